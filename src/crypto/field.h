// crypto/field.h — the base field of secp256k1 (integers mod p = 2^256 − 2^32 − 977), in
// constant time, and the one point operation libsecp256k1's public API lacks in constant time.
//
// Owns: FieldElement (a value in [0, p), no branch or memory index depends on it), AffinePoint
// and AddToEach.
// Needed where a point that must stay secret has to be added to another: the base-OT receiver
// computes B = b·G + Δ_i·A (crypto/ot/setup.cpp), and libsecp256k1 only adds public keys
// (secp256k1_ec_pubkey_combine, variable time) and only serializes them in variable time.
// Must not touch: scalars mod n (crypto/scalar.h), encodings of points (crypto/point.h).
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace tss::crypto {

class FieldElement {
 public:
  FieldElement() = default;  // zero
  FieldElement(const FieldElement&) = default;
  FieldElement& operator=(const FieldElement&) = default;
  // Secret coordinates pass through here: wiped like a Scalar.
  ~FieldElement() {
    d_[0] = d_[1] = d_[2] = d_[3] = 0;
    asm volatile("" : : "r"(d_) : "memory");
  }

  // Big-endian 32 bytes, reduced mod p (values p..2^256−1 wrap; libsecp256k1 hands out
  // canonical coordinates, so nothing wraps in practice).
  static FieldElement FromBytes(const uint8_t in[32]);
  void ToBytes(uint8_t out[32]) const;  // big-endian, canonical

  FieldElement operator+(const FieldElement& o) const;
  FieldElement operator-(const FieldElement& o) const;
  FieldElement operator*(const FieldElement& o) const;
  // x^(p−2): the inverse for x ≠ 0, zero for zero (Fermat; the exponent is public, so its fixed
  // square-and-multiply schedule does not depend on x).
  FieldElement Inverse() const;

  // 1 when zero, else 0, computed without a branch (declassify before branching on it).
  uint64_t IsZero() const;
  // The low bit of the canonical value (the parity of y in a compressed point encoding).
  uint64_t IsOdd() const { return d_[0] & 1; }
  // if_one when bit & 1 is 1, else if_zero; no branch on bit.
  static FieldElement Select(const FieldElement& if_zero, const FieldElement& if_one, uint64_t bit);

 private:
  uint64_t d_[4] = {0, 0, 0, 0};  // little-endian 64-bit limbs, always < p
};

// An affine point of the curve (never the point at infinity), by its coordinates.
struct AffinePoint {
  FieldElement x, y;
  // From x ‖ y, big-endian, 32 bytes each (as Point::SecretMulCoordinates gives them).
  static AffinePoint FromCoordinates(const uint8_t xy[64]);
  // The 33-byte compressed SEC1 encoding, without a branch on the parity of y.
  void ToCompressed(uint8_t out[33]) const;
  AffinePoint Negated() const;
};

// out[k] = points[k] + q for every k, in constant time, for points whose x differs from q's (so
// neither doubling nor the point at infinity arises; the caller rules x_k = x_q out first — with
// x_k = x_q the results are meaningless, never a crash). The chord rule needs one inversion per
// sum; Montgomery's trick shares one inversion across the batch (3 multiplications per point
// instead). out may be points.
void AddToEach(std::span<const AffinePoint> points, const AffinePoint& q,
               std::span<AffinePoint> out);

}  // namespace tss::crypto
