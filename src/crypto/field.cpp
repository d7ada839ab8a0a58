// Arithmetic mod p = 2^256 − c with c = 2^32 + 977: a 512-bit product folds back into 256 bits by
// replacing 2^256 with c twice, then p is subtracted at most once. Every step runs the same
// whatever the values, so the timing never depends on them.
#include "crypto/field.h"

#include <vector>

#include "common/bytes.h"
#include "crypto/limbs.h"

namespace tss::crypto {

namespace {

using limbs::u128;

constexpr uint64_t kP[4] = {0xFFFFFFFEFFFFFC2FULL, 0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFFFFFFFFFFULL,
                            0xFFFFFFFFFFFFFFFFULL};
constexpr uint64_t kC = 0x1000003D1ULL;  // 2^256 − p

// r = v + k·c for a v that the caller knows leaves room (no carry out of 256 bits).
void AddSmallMultipleOfC(uint64_t v[4], uint64_t k) {
  u128 x = static_cast<u128>(v[0]) + static_cast<u128>(k) * kC;
  v[0] = static_cast<uint64_t>(x);
  for (int i = 1; i < 4; ++i) {
    x = static_cast<u128>(v[i]) + static_cast<uint64_t>(x >> 64);
    v[i] = static_cast<uint64_t>(x);
  }
}

// r = v mod p for v < 2^256 (< 2p), by subtracting p at most once: v ≥ p exactly when v + c
// carries out of 256 bits, and then v + c mod 2^256 = v − p.
void ReduceOnce(const uint64_t v[4], uint64_t r[4]) {
  uint64_t plus_c[4];
  uint64_t carry = kC;
  for (int i = 0; i < 4; ++i) {
    u128 x = static_cast<u128>(v[i]) + carry;
    plus_c[i] = static_cast<uint64_t>(x);
    carry = static_cast<uint64_t>(x >> 64);
  }
  const uint64_t mask = 0 - carry;
  for (int i = 0; i < 4; ++i) r[i] = (plus_c[i] & mask) | (v[i] & ~mask);
}

// r = l mod p for l < 2^512.
void Reduce512(const uint64_t l[8], uint64_t r[4]) {
  // m + top·2^256 = l[0..4) + l[4..8)·c, with top < 2^34.
  uint64_t m[4];
  uint64_t top = 0;
  for (int i = 0; i < 4; ++i) {
    u128 x = static_cast<u128>(l[4 + i]) * kC + l[i] + top;
    m[i] = static_cast<uint64_t>(x);
    top = static_cast<uint64_t>(x >> 64);
  }
  // m + top·c < 2^256 + 2^67: at most one more carry, and when there is one the low 256 bits
  // are below 2^67, so folding it in as c leaves room.
  u128 x = static_cast<u128>(m[0]) + static_cast<u128>(top) * kC;
  m[0] = static_cast<uint64_t>(x);
  for (int i = 1; i < 4; ++i) {
    x = static_cast<u128>(m[i]) + static_cast<uint64_t>(x >> 64);
    m[i] = static_cast<uint64_t>(x);
  }
  AddSmallMultipleOfC(m, static_cast<uint64_t>(x >> 64));
  ReduceOnce(m, r);
}

}  // namespace

FieldElement FieldElement::FromBytes(const uint8_t in[32]) {
  uint64_t v[4];
  for (int i = 0; i < 4; ++i) v[i] = LoadBe64(in + static_cast<size_t>(3 - i) * 8);
  FieldElement f;
  ReduceOnce(v, f.d_);
  return f;
}

void FieldElement::ToBytes(uint8_t out[32]) const {
  for (int i = 0; i < 4; ++i) StoreBe64(out + static_cast<size_t>(3 - i) * 8, d_[i]);
}

FieldElement FieldElement::operator+(const FieldElement& o) const {
  uint64_t s[4];
  uint64_t carry = 0;
  for (int i = 0; i < 4; ++i) {
    u128 x = static_cast<u128>(d_[i]) + o.d_[i] + carry;
    s[i] = static_cast<uint64_t>(x);
    carry = static_cast<uint64_t>(x >> 64);
  }
  // a + b < 2p: after a carry the low part is below 2^256 − 2c, so adding c leaves room.
  AddSmallMultipleOfC(s, carry);
  FieldElement r;
  ReduceOnce(s, r.d_);
  return r;
}

FieldElement FieldElement::operator-(const FieldElement& o) const {
  FieldElement r;
  limbs::SubMod(d_, o.d_, kP, r.d_);
  return r;
}

FieldElement FieldElement::operator*(const FieldElement& o) const {
  uint64_t l[8];
  limbs::MulWide(d_, o.d_, l);
  FieldElement r;
  Reduce512(l, r.d_);
  limbs::Wipe(l, 8);
  return r;
}

FieldElement FieldElement::Inverse() const {
  constexpr uint64_t kExponent[4] = {kP[0] - 2, kP[1], kP[2], kP[3]};  // p − 2
  FieldElement one;
  one.d_[0] = 1;
  return limbs::PowPublicExponent(*this, kExponent, one);
}

uint64_t FieldElement::IsZero() const {
  const uint64_t z = d_[0] | d_[1] | d_[2] | d_[3];
  return ((z | (0 - z)) >> 63) ^ 1;
}

FieldElement FieldElement::Select(const FieldElement& if_zero, const FieldElement& if_one,
                                  uint64_t bit) {
  const uint64_t mask = 0 - (bit & 1);
  FieldElement r;
  for (int i = 0; i < 4; ++i) r.d_[i] = (if_one.d_[i] & mask) | (if_zero.d_[i] & ~mask);
  return r;
}

AffinePoint AffinePoint::FromCoordinates(const uint8_t xy[64]) {
  return AffinePoint{FieldElement::FromBytes(xy), FieldElement::FromBytes(xy + 32)};
}

void AffinePoint::ToCompressed(uint8_t out[33]) const {
  out[0] = static_cast<uint8_t>(0x02 | y.IsOdd());
  x.ToBytes(out + 1);
}

AffinePoint AffinePoint::Negated() const {
  return AffinePoint{x, FieldElement() - y};
}

// The chord rule for P_k + Q: λ_k = (y_Q − y_k)/(x_Q − x_k), x = λ_k² − x_k − x_Q,
// y = λ_k·(x_k − x) − y_k. The inverses of all d_k = x_Q − x_k come from one inversion of their
// product: with prefix products π_k = d_0···d_k, 1/d_k = π_{k−1}·(1/π_k), and 1/π_{k−1} = d_k/π_k.
void AddToEach(std::span<const AffinePoint> points, const AffinePoint& q,
               std::span<AffinePoint> out) {
  const size_t n = points.size();
  if (n == 0) return;
  std::vector<FieldElement> prefix(n);  // π_k
  FieldElement running;
  for (size_t k = 0; k < n; ++k) {
    const FieldElement d = q.x - points[k].x;
    running = k == 0 ? d : running * d;
    prefix[k] = running;
  }
  FieldElement inverse = running.Inverse();  // 1/π_{n−1}
  for (size_t k = n; k-- > 0;) {
    const FieldElement d = q.x - points[k].x;
    const FieldElement inv_d = k == 0 ? inverse : prefix[k - 1] * inverse;
    inverse = inverse * d;  // 1/π_{k−1}
    const FieldElement lambda = (q.y - points[k].y) * inv_d;
    const FieldElement x = lambda * lambda - points[k].x - q.x;
    const FieldElement y = lambda * (points[k].x - x) - points[k].y;
    out[k] = AffinePoint{x, y};
  }
}

}  // namespace tss::crypto
