// crypto/scalar.h — integers modulo the secp256k1 group order n.
//
// Owns: Scalar, a value in [0, n) with constant-time arithmetic (no branch or memory index
// depends on a value), strict and reducing decoders, and wiping on destruction so secret
// scalars never outlive their use. Must not touch: points (crypto/point.h) or hashing.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "common/status.h"

namespace tss::crypto {

class Rng;

class Scalar {
 public:
  Scalar() = default;  // zero
  Scalar(const Scalar&) = default;
  Scalar& operator=(const Scalar&) = default;
  // Wipes the limbs. Inline (scalars are short-lived temporaries in hot loops): the empty asm
  // that claims to read them keeps the compiler from dropping the stores as dead.
  ~Scalar() {
    d_[0] = d_[1] = d_[2] = d_[3] = 0;
    asm volatile("" : : "r"(d_) : "memory");
  }

  static Scalar Zero() { return Scalar(); }
  static Scalar One() { return FromU64(1); }
  static Scalar FromU64(uint64_t v);
  // Big-endian 32 bytes; refuses values >= n (an encoding must be canonical).
  static Result<Scalar> FromBytes(std::span<const uint8_t> bytes);
  // Any big-endian byte string of at most 64 bytes, reduced mod n. With 64 uniform bytes the
  // result is uniform to within 2^-256 — use that for hash-to-scalar and sampling.
  static Scalar FromBytesReduce(std::span<const uint8_t> bytes);
  // A 512-bit value given as 8 little-endian 64-bit limbs, reduced mod n (for callers that sum
  // many unreduced products and reduce once).
  static Scalar FromLimbsReduce(std::span<const uint64_t, 8> limbs);
  // The same for a 576-bit value (9 limbs), as a WideSum of many products holds.
  static Scalar FromLimbsReduce(std::span<const uint64_t, 9> limbs);
  // Uniform in [0, n), or in [1, n) for Random NonZero.
  static Scalar Random(Rng& rng);
  static Scalar RandomNonZero(Rng& rng);

  std::array<uint8_t, 32> ToBytes() const;  // big-endian, canonical
  void ToBytes(uint8_t out[32]) const;

  Scalar operator+(const Scalar& o) const;
  Scalar operator-(const Scalar& o) const;
  Scalar operator-() const;
  Scalar operator*(const Scalar& o) const;
  Scalar& operator+=(const Scalar& o) { return *this = *this + o; }
  Scalar& operator-=(const Scalar& o) { return *this = *this - o; }
  Scalar& operator*=(const Scalar& o) { return *this = *this * o; }
  // Multiplicative inverse; the inverse of zero is zero. Constant time (Fermat, fixed exponent).
  Scalar Inverse() const;
  // The same inverse by binary extended GCD, several times faster but VARIABLE TIME: its
  // branches and running time depend on the value. Only for public values (Lagrange
  // denominators of party indices, sums of broadcast values); never for a secret.
  Scalar InverseVartime() const;

  bool IsZero() const;
  // Constant-time comparison.
  bool operator==(const Scalar& o) const;
  bool operator!=(const Scalar& o) const { return !(*this == o); }
  // True for s > n/2 (ECDSA low-s normalisation). Constant time.
  bool IsHigh() const;
  // if_one when bit is 1, if_zero when it is 0; constant time (masks, no branch on bit).
  static Scalar Select(const Scalar& if_zero, const Scalar& if_one, uint64_t bit);

  const uint64_t* limbs() const { return d_; }

 private:
  uint64_t d_[4] = {0, 0, 0, 0};  // little-endian 64-bit limbs, always < n
};

}  // namespace tss::crypto
