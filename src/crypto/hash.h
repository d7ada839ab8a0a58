// crypto/hash.h — SHA-256, Fiat–Shamir transcripts, hash-to-scalar and salted commitments.
//
// Owns: every use of a hash function in the protocol layer, so domain separation lives in one
// place. SHA-256 is OpenSSL's (SHA-NI / AVX2 where the CPU has them). Must not touch: points
// beyond absorbing their encodings.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "common/bytes.h"
#include "crypto/scalar.h"

namespace tss::crypto {

class Point;
class Rng;

using Digest = std::array<uint8_t, 32>;

Digest Sha256(std::span<const uint8_t> data);

// Incremental SHA-256.
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher& other);  // copies the running state
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  Sha256Hasher& Update(std::span<const uint8_t> data);
  Sha256Hasher& Update(std::string_view s) { return Update(AsBytes(s)); }
  Digest Final();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A Fiat–Shamir transcript. Every absorbed item is framed as (label length, label, data length,
// data), so no two different sequences of appends produce the same hash input. Challenges are
// derived from a copy of the running state plus a label and a counter, and are themselves
// absorbed, so later challenges depend on earlier ones.
class Transcript {
 public:
  explicit Transcript(std::string_view domain);
  void Append(std::string_view label, std::span<const uint8_t> data);
  void Append(std::string_view label, std::string_view data) { Append(label, AsBytes(data)); }
  void Append(std::string_view label, const Scalar& s);
  void Append(std::string_view label, const Point& p);  // compressed; infinity as 0x00
  void Append(std::string_view label, uint64_t v);
  // A uniform scalar (64 hash bytes reduced mod n).
  Scalar ChallengeScalar(std::string_view label);
  void ChallengeBytes(std::string_view label, std::span<uint8_t> out);

 private:
  Sha256Hasher state_;
  uint64_t challenges_ = 0;
};

// H(domain, parts...) as a uniform scalar; each part framed as in Transcript.
Scalar HashToScalar(std::string_view domain, std::initializer_list<std::span<const uint8_t>> parts);

// Commitments to a message, bound to a session id: com = H("tss/commit", sid, salt, msg) with a
// fresh 32-byte salt. Hiding (salt) and binding (collision resistance of SHA-256).
struct Commitment {
  Digest value;
};
struct CommitmentOpening {
  std::array<uint8_t, 32> salt;
};
Commitment Commit(std::span<const uint8_t> session_id, std::span<const uint8_t> message,
                  CommitmentOpening& opening, Rng& rng);
bool VerifyCommitment(std::span<const uint8_t> session_id, std::span<const uint8_t> message,
                      const CommitmentOpening& opening, const Commitment& commitment);

}  // namespace tss::crypto
