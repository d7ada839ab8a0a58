// crypto/schnorr.h — non-interactive Schnorr proof of knowledge of a discrete logarithm.
//
// Owns: prove/verify that the prover knows x with X = x·G, made non-interactive by Fiat–Shamir
// over a transcript that binds the session id and the prover's index, so a proof cannot be
// replayed in another session or by another party. Must not touch: protocol state.
#pragma once

#include <span>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/point.h"
#include "crypto/scalar.h"

namespace tss::crypto {

class Rng;

struct SchnorrProof {
  static constexpr size_t kEncodedSize = 33 + 32;
  Point commitment;  // R = k·G
  Scalar response;   // z = k + e·x

  Bytes Encode() const;
  static Result<SchnorrProof> Decode(std::span<const uint8_t> bytes);
};

// `context` binds the proof to where it is used (session id, party index, purpose).
SchnorrProof SchnorrProve(std::span<const uint8_t> context, const Scalar& x, const Point& X,
                          Rng& rng);
bool SchnorrVerify(std::span<const uint8_t> context, const Point& X, const SchnorrProof& proof);

}  // namespace tss::crypto
