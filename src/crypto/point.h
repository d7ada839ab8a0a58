// crypto/point.h — points of the secp256k1 group, over libsecp256k1's public API.
//
// Owns: Point (an affine point or the point at infinity, which libsecp256k1's pubkey type
// cannot hold and so is tracked here explicitly), the group law, scalar multiplication (k·G
// and SecretMul* constant time in the scalar: libsecp256k1's ecmult_gen and its ECDH module's
// ecmult_const; operator* variable time, for public scalars), and the SEC1 encodings with full
// validation. Must not touch: hashing, protocols.
#pragma once

#include <secp256k1.h>

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "crypto/scalar.h"

namespace tss::crypto {

// The process-wide libsecp256k1 context (randomized once, then used read-only: thread-safe).
const secp256k1_context* Secp256k1Context();

class Point {
 public:
  static constexpr size_t kCompressedSize = 33;
  static constexpr size_t kUncompressedSize = 65;

  Point() = default;  // the point at infinity
  static Point Infinity() { return Point(); }
  static const Point& Generator();
  // k·G (constant time in k). Zero gives infinity.
  static Point BaseMul(const Scalar& k);

  // Accepts a 33-byte compressed or 65-byte uncompressed SEC1 encoding of a point on the curve.
  // Refuses everything else — including the point at infinity, which never has a meaning on
  // our wire — with a message that says what was wrong.
  static Result<Point> FromBytes(std::span<const uint8_t> bytes);

  // 33-byte compressed SEC1 encoding. Infinity has none: calling this on it is a programming
  // error and aborts; check IsInfinity() where it can arise.
  std::array<uint8_t, 33> ToBytes() const;
  std::array<uint8_t, 65> ToUncompressedBytes() const;
  // The affine x coordinate as 32 big-endian bytes (ECDSA's r before reduction).
  std::array<uint8_t, 32> X() const;
  bool YIsOdd() const;

  Point operator+(const Point& o) const;
  Point operator-(const Point& o) const { return *this + (-o); }
  Point operator-() const;
  // k·P in VARIABLE time: libsecp256k1's tweak_mul runs the verifier's wNAF multiplication,
  // whose timing depends on k. Only for public scalars (verification, Lagrange and Feldman
  // evaluation); use SecretMul for a secret one. Zero or infinity gives infinity.
  Point operator*(const Scalar& k) const;
  // k·P in constant time in k (libsecp256k1's ECDH module), as a Point for checks that compare
  // it with others. The comparison and any further use of the result are variable time in the
  // point (not in k): for results that become public or are only compared. Zero or infinity
  // gives infinity.
  Point SecretMul(const Scalar& k) const;
  // k·P for a result that must stay SECRET (Diffie–Hellman values, points whose relation to a
  // public one would reveal a secret bit): libsecp256k1's ECDH module computes it in constant
  // time in k and hands out the affine coordinates after a constant-time normalisation, so no
  // step branches on the result either. x ‖ y, big-endian, 32 bytes each; the caller wipes them.
  // P must not be infinity and k not zero (aborts: a programming error).
  std::array<uint8_t, 64> SecretMulCoordinates(const Scalar& k) const;
  // The same point as its 33-byte compressed encoding, still in constant time.
  std::array<uint8_t, 33> SecretMulToBytes(const Scalar& k) const;
  Point& operator+=(const Point& o) { return *this = *this + o; }

  bool IsInfinity() const { return infinity_; }
  bool operator==(const Point& o) const;
  bool operator!=(const Point& o) const { return !(*this == o); }

  // Sum of many points (infinity for none).
  static Point Sum(std::span<const Point> points);

  const secp256k1_pubkey* raw() const { return infinity_ ? nullptr : &key_; }

 private:
  secp256k1_pubkey key_{};
  bool infinity_ = true;
};

}  // namespace tss::crypto
