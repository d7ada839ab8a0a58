// Arithmetic mod p = 2^256 − c with c = 2^32 + 977: a 512-bit product folds back into 256 bits by
// replacing 2^256 with c twice, then p is subtracted at most once. Every step runs the same
// whatever the values, so the timing never depends on them.
#include "crypto/field.h"

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

// The chord rule: λ = (y2 − y1)/(x2 − x1), x3 = λ² − x1 − x2, y3 = λ·(x1 − x3) − y1.
void AddAffine(const FieldElement& x1, const FieldElement& y1, const FieldElement& x2,
               const FieldElement& y2, FieldElement& x3, FieldElement& y3) {
  const FieldElement lambda = (y2 - y1) * (x2 - x1).Inverse();
  const FieldElement x = lambda * lambda - x1 - x2;
  const FieldElement y = lambda * (x1 - x) - y1;
  x3 = x;
  y3 = y;
}

}  // namespace tss::crypto
