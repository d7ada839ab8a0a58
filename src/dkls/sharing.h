// dkls/sharing.h — Shamir sharing arithmetic used by the sessions: polynomials, Feldman
// commitments, Lagrange coefficients and the zero-sharing of DKLs23 Functionality 3.4.
//
// Owns: the arithmetic only. Must not touch: messages or session state.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "crypto/point.h"
#include "crypto/scalar.h"
#include "dkls/key_share.h"

namespace tss::dkls {

// p(x) for p given by its coefficients, constant term first (constant time in the coefficients).
crypto::Scalar EvalPolynomial(std::span<const crypto::Scalar> coefficients, uint16_t x);
// Σ_k C_k·x^k: the Feldman commitment of p(x) when C_k = a_k·G.
crypto::Point EvalCommitments(std::span<const crypto::Point> commitments, uint16_t x);
// λ_i(at) = Π_{j ∈ set, j ≠ i} (at − j)/(i − j). `set` must hold distinct indices, one of them i.
crypto::Scalar LagrangeCoefficient(std::span<const uint16_t> set, uint16_t i, uint16_t at = 0);
// Σ λ_j·X_j over the first t shares: the point the public shares interpolate to at `at`.
crypto::Point InterpolatePublic(std::span<const crypto::Point> shares_1_to_t, uint16_t at);

// ζ_i for the signer set: Σ over signers j ≠ i of ±PRF(seed_ij, sid), "+" when i < j and "−"
// when i > j, so the ζ of a signer set sum to zero while each is uniform to anyone missing one
// of its seeds (DKLs23 §3, Functionality 3.4, seeds from keygen).
crypto::Scalar ZeroShare(const KeyShare& share, std::span<const uint16_t> signers,
                         ByteSpan session_id);

}  // namespace tss::dkls
