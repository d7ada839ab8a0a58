// Arithmetic mod n = 2^256 - c with c < 2^129: a 512-bit product folds back into 256 bits by
// replacing each 2^256 with c three times; every step is the same whatever the values, so the
// timing never depends on them.
#include "crypto/scalar.h"

#include <sodium.h>

#include <cstring>

#include "common/bytes.h"
#include "crypto/ctime.h"
#include "crypto/limbs.h"
#include "crypto/rng.h"

namespace tss::crypto {

namespace {

using limbs::u128;

constexpr uint64_t kN[4] = {0xBFD25E8CD0364141ULL, 0xBAAEDCE6AF48A03BULL, 0xFFFFFFFFFFFFFFFEULL,
                            0xFFFFFFFFFFFFFFFFULL};
// c = 2^256 - n
constexpr uint64_t kC[3] = {0x402DA1732FC9BEBFULL, 0x4551231950B75FC4ULL, 0x1ULL};
// (n - 1) / 2, the largest "low" s.
constexpr uint64_t kHalfN[4] = {0xDFE92F46681B20A0ULL, 0x5D576E7357A4501DULL, 0xFFFFFFFFFFFFFFFFULL,
                                0x7FFFFFFFFFFFFFFFULL};

using limbs::Wipe;

// r = v mod n for v < 2^257 given as 4 limbs plus a top bit, by subtracting n at most once.
// Inlined: it is the whole cost of an addition.
[[gnu::always_inline]] inline void ReduceOnce(const uint64_t v[4], uint64_t top, uint64_t r[4]) {
  uint64_t plus_c[4];
  uint64_t carry = 0;
  for (int i = 0; i < 4; ++i) {
    u128 x = static_cast<u128>(v[i]) + (i < 3 ? kC[i] : 0) + carry;
    plus_c[i] = static_cast<uint64_t>(x);
    carry = static_cast<uint64_t>(x >> 64);
  }
  // v >= n  <=>  v + c >= 2^256  <=>  a carry out (or the top bit was already set).
  uint64_t mask = 0 - ((carry | top) & 1);
  for (int i = 0; i < 4; ++i) r[i] = (plus_c[i] & mask) | (v[i] & ~mask);
}

// A three-word column accumulator (acc2:acc1:acc0) for schoolbook products: each column of a
// product is summed here, then its low word taken off and the rest shifted down.
struct Acc {
  uint64_t w0 = 0, w1 = 0, w2 = 0;
  void Add(uint64_t v) {
    u128 x = static_cast<u128>(w0) + v;
    w0 = static_cast<uint64_t>(x);
    x = static_cast<u128>(w1) + static_cast<uint64_t>(x >> 64);
    w1 = static_cast<uint64_t>(x);
    w2 += static_cast<uint64_t>(x >> 64);
  }
  void MulAdd(uint64_t a, uint64_t b) {
    u128 p = static_cast<u128>(a) * b;
    u128 x = static_cast<u128>(w0) + static_cast<uint64_t>(p);
    w0 = static_cast<uint64_t>(x);
    x = static_cast<u128>(w1) + static_cast<uint64_t>(p >> 64) + static_cast<uint64_t>(x >> 64);
    w1 = static_cast<uint64_t>(x);
    w2 += static_cast<uint64_t>(x >> 64);
  }
  uint64_t Extract() {
    uint64_t out = w0;
    w0 = w1, w1 = w2, w2 = 0;
    return out;
  }
};

// r = l mod n for l < 2^512. With c = 2^256 - n = kC[0] + kC[1]·2^64 + 2^128, replace 2^256 by c
// three times: 512 → at most 386 bits → at most 260 bits → below 2^256 + 2^133, then subtract n
// at most once. Fixed sequence of operations whatever the value.
void Reduce512(const uint64_t l[8], uint64_t r[4]) {
  const uint64_t c0 = kC[0], c1 = kC[1];
  // m = l[0..4) + l[4..8)·c  (7 limbs, m6 < 4).
  uint64_t m[7];
  Acc acc;
  acc.Add(l[0]);
  acc.MulAdd(l[4], c0);
  m[0] = acc.Extract();
  acc.Add(l[1]);
  acc.MulAdd(l[5], c0);
  acc.MulAdd(l[4], c1);
  m[1] = acc.Extract();
  acc.Add(l[2]);
  acc.MulAdd(l[6], c0);
  acc.MulAdd(l[5], c1);
  acc.Add(l[4]);
  m[2] = acc.Extract();
  acc.Add(l[3]);
  acc.MulAdd(l[7], c0);
  acc.MulAdd(l[6], c1);
  acc.Add(l[5]);
  m[3] = acc.Extract();
  acc.MulAdd(l[7], c1);
  acc.Add(l[6]);
  m[4] = acc.Extract();
  acc.Add(l[7]);
  m[5] = acc.Extract();
  m[6] = acc.Extract();
  // p = m[0..4) + m[4..7)·c  (5 limbs, p4 < 16).
  uint64_t p[5];
  acc.Add(m[0]);
  acc.MulAdd(m[4], c0);
  p[0] = acc.Extract();
  acc.Add(m[1]);
  acc.MulAdd(m[5], c0);
  acc.MulAdd(m[4], c1);
  p[1] = acc.Extract();
  acc.Add(m[2]);
  acc.MulAdd(m[6], c0);
  acc.MulAdd(m[5], c1);
  acc.Add(m[4]);
  p[2] = acc.Extract();
  acc.Add(m[3]);
  acc.MulAdd(m[6], c1);
  acc.Add(m[5]);
  p[3] = acc.Extract();
  acc.Add(m[6]);
  p[4] = acc.Extract();
  // q = p[0..4) + p4·c  (q4 ≤ 1, and q4 = 1 only when q[0..4) is small).
  uint64_t q[4];
  acc.Add(p[0]);
  acc.MulAdd(p[4], c0);
  q[0] = acc.Extract();
  acc.Add(p[1]);
  acc.MulAdd(p[4], c1);
  q[1] = acc.Extract();
  acc.Add(p[2]);
  acc.Add(p[4]);
  q[2] = acc.Extract();
  acc.Add(p[3]);
  q[3] = acc.Extract();
  ReduceOnce(q, acc.Extract(), r);
  Wipe(m, 7);
  Wipe(p, 5);
  Wipe(q, 4);
}

// r = l mod n for l < 2^576 (9 limbs): one fold m = l[0..4) + l[4..9)·c brings it below
// 2^256 + 2^449 < 2^512, then Reduce512. A 5×2-limb product instead of the full multiply by
// 2^512 mod n and second reduction that folding the top limb separately would cost. Fixed
// sequence of operations whatever the value (the index conditions are compile-time shapes).
void Reduce576(const uint64_t l[9], uint64_t r[4]) {
  const uint64_t c0 = kC[0], c1 = kC[1];
  uint64_t m[8];
  Acc acc;
  for (int k = 0; k < 7; ++k) {
    if (k < 4) acc.Add(l[k]);
    if (k <= 4) acc.MulAdd(l[4 + k], c0);
    if (k >= 1 && k <= 5) acc.MulAdd(l[3 + k], c1);
    if (k >= 2) acc.Add(l[2 + k]);  // c's 2^128 term
    m[k] = acc.Extract();
  }
  m[7] = acc.Extract();
  Reduce512(m, r);
  Wipe(m, 8);
}

}  // namespace

Scalar Scalar::FromU64(uint64_t v) {
  Scalar s;
  s.d_[0] = v;
  return s;
}

Result<Scalar> Scalar::FromBytes(std::span<const uint8_t> bytes) {
  if (bytes.size() != 32) return InvalidArgument("scalar encoding must be 32 bytes");
  uint64_t v[4];
  for (int i = 0; i < 4; ++i) v[i] = LoadBe64(bytes.data() + static_cast<size_t>(3 - i) * 8);
  // v < n ? — compare via the borrow of v - n.
  uint64_t borrow = 0;
  for (int i = 0; i < 4; ++i) {
    u128 x = static_cast<u128>(v[i]) - kN[i] - borrow;
    borrow = static_cast<uint64_t>(x >> 64) & 1;
  }
  // Whether an encoding is canonical is public; its bits are not.
  if (!Declassified(borrow))
    return InvalidArgument("scalar encoding is not below the group order n");
  Scalar s;
  for (int i = 0; i < 4; ++i) s.d_[i] = v[i];
  sodium_memzero(v, sizeof v);
  return s;
}

Scalar Scalar::FromBytesReduce(std::span<const uint8_t> bytes) {
  if (bytes.size() == 32) {
    // Below 2^256 < 2n: one conditional subtraction suffices (a hot path of the OT code).
    uint64_t v[4];
    for (int i = 0; i < 4; ++i) v[i] = LoadBe64(bytes.data() + static_cast<size_t>(3 - i) * 8);
    Scalar s;
    ReduceOnce(v, 0, s.d_);
    Wipe(v, 4);
    return s;
  }
  uint64_t l[8] = {0};
  size_t n = bytes.size() > 64 ? 64 : bytes.size();
  // Big-endian: the last byte is the least significant.
  for (size_t k = 0; k < n; ++k) {
    size_t pos = n - 1 - k;  // significance in bytes
    l[pos / 8] |= uint64_t{bytes[k]} << (8 * (pos % 8));
  }
  Scalar s;
  Reduce512(l, s.d_);
  sodium_memzero(l, sizeof l);
  return s;
}

Scalar Scalar::FromLimbsReduce(std::span<const uint64_t, 8> limbs) {
  Scalar s;
  Reduce512(limbs.data(), s.d_);
  return s;
}

Scalar Scalar::FromLimbsReduce(std::span<const uint64_t, 9> limbs) {
  Scalar s;
  Reduce576(limbs.data(), s.d_);
  return s;
}

Scalar Scalar::Random(Rng& rng) {
  uint8_t buf[64];
  rng.Fill(buf);
  Scalar s = FromBytesReduce(buf);
  sodium_memzero(buf, sizeof buf);
  return s;
}

Scalar Scalar::RandomNonZero(Rng& rng) {
  for (;;) {
    Scalar s = Random(rng);
    if (!Declassified(s.IsZero())) return s;  // loops with probability 2^-256
  }
}

void Scalar::ToBytes(uint8_t out[32]) const {
  for (int i = 0; i < 4; ++i) StoreBe64(out + static_cast<size_t>(3 - i) * 8, d_[i]);
}

std::array<uint8_t, 32> Scalar::ToBytes() const {
  std::array<uint8_t, 32> out;
  ToBytes(out.data());
  return out;
}

Scalar Scalar::operator+(const Scalar& o) const {
  uint64_t sum[4];
  uint64_t carry = 0;
  for (int i = 0; i < 4; ++i) {
    u128 x = static_cast<u128>(d_[i]) + o.d_[i] + carry;
    sum[i] = static_cast<uint64_t>(x);
    carry = static_cast<uint64_t>(x >> 64);
  }
  Scalar r;
  ReduceOnce(sum, carry, r.d_);
  return r;
}

Scalar Scalar::operator-() const {
  uint64_t diff[4];
  uint64_t borrow = 0;
  uint64_t nonzero = 0;
  for (int i = 0; i < 4; ++i) {
    u128 x = static_cast<u128>(kN[i]) - d_[i] - borrow;
    diff[i] = static_cast<uint64_t>(x);
    borrow = static_cast<uint64_t>(x >> 64) & 1;
    nonzero |= d_[i];
  }
  uint64_t mask = 0 - static_cast<uint64_t>((nonzero | (0 - nonzero)) >> 63);
  Scalar r;
  for (int i = 0; i < 4; ++i) r.d_[i] = diff[i] & mask;
  return r;
}

// One borrow chain and a masked add of n, instead of negating and then adding (two chains and a
// reduction): a subtraction per OT row entry on both sides of the multiplication.
Scalar Scalar::operator-(const Scalar& o) const {
  Scalar r;
  limbs::SubMod(d_, o.d_, kN, r.d_);
  return r;
}

Scalar Scalar::operator*(const Scalar& o) const {
  uint64_t l[8];
  limbs::MulWide(d_, o.d_, l);
  Scalar r;
  Reduce512(l, r.d_);
  Wipe(l, 8);
  return r;
}

Scalar Scalar::Inverse() const {
  // a^(n-2) by left-to-right square-and-multiply; the exponent is public, the base is not,
  // and every step does the same work regardless of the base.
  constexpr uint64_t kExp[4] = {kN[0] - 2, kN[1], kN[2], kN[3]};
  return limbs::PowPublicExponent(*this, kExp, One());
}

// Binary extended Euclid on (a, n) with x1·a ≡ u and x2·a ≡ v (mod n) kept throughout. Branches
// and loop counts depend on the value: callers pass public values only (see scalar.h).
Scalar Scalar::InverseVartime() const {
  if (IsZero()) return Scalar();
  uint64_t u[4], v[4];
  for (int i = 0; i < 4; ++i) u[i] = d_[i], v[i] = kN[i];
  Scalar x1 = One(), x2;
  const auto is_one = [](const uint64_t* w) { return w[0] == 1 && (w[1] | w[2] | w[3]) == 0; };
  const auto shift_right = [](uint64_t* w) {
    for (int i = 0; i < 3; ++i) w[i] = (w[i] >> 1) | (w[i + 1] << 63);
    w[3] >>= 1;
  };
  // x / 2 mod n: add n first when x is odd (n is odd, so the sum is even; it may carry to 2^256).
  const auto halve = [&](Scalar& x) {
    uint64_t carry = 0;
    if (x.d_[0] & 1) {
      for (int i = 0; i < 4; ++i) {
        u128 t = static_cast<u128>(x.d_[i]) + kN[i] + carry;
        x.d_[i] = static_cast<uint64_t>(t);
        carry = static_cast<uint64_t>(t >> 64);
      }
    }
    shift_right(x.d_);
    x.d_[3] |= carry << 63;
  };
  const auto at_least = [](const uint64_t* a, const uint64_t* b) {
    for (int i = 3; i >= 0; --i)
      if (a[i] != b[i]) return a[i] > b[i];
    return true;
  };
  const auto subtract = [](uint64_t* a, const uint64_t* b) {  // a −= b, a ≥ b
    uint64_t borrow = 0;
    for (int i = 0; i < 4; ++i) {
      u128 t = static_cast<u128>(a[i]) - b[i] - borrow;
      a[i] = static_cast<uint64_t>(t);
      borrow = static_cast<uint64_t>(t >> 64) & 1;
    }
  };
  // gcd(a, n) = 1, so neither u nor v reaches 0 before one of them reaches 1.
  while (!is_one(u) && !is_one(v)) {
    while ((u[0] & 1) == 0) shift_right(u), halve(x1);
    while ((v[0] & 1) == 0) shift_right(v), halve(x2);
    if (at_least(u, v)) {
      subtract(u, v);
      x1 -= x2;
    } else {
      subtract(v, u);
      x2 -= x1;
    }
  }
  return is_one(u) ? x1 : x2;
}

bool Scalar::IsZero() const {
  return (d_[0] | d_[1] | d_[2] | d_[3]) == 0;
}

bool Scalar::operator==(const Scalar& o) const {
  uint64_t x = 0;
  for (int i = 0; i < 4; ++i) x |= d_[i] ^ o.d_[i];
  return x == 0;
}

Scalar Scalar::Select(const Scalar& if_zero, const Scalar& if_one, uint64_t bit) {
  uint64_t mask = 0 - (bit & 1);
  Scalar r;
  for (int i = 0; i < 4; ++i) r.d_[i] = (if_one.d_[i] & mask) | (if_zero.d_[i] & ~mask);
  return r;
}

bool Scalar::IsHigh() const {
  // s > (n-1)/2  <=>  (n-1)/2 - s borrows.
  uint64_t borrow = 0;
  for (int i = 0; i < 4; ++i) {
    u128 x = static_cast<u128>(kHalfN[i]) - d_[i] - borrow;
    borrow = static_cast<uint64_t>(x >> 64) & 1;
  }
  return borrow != 0;
}

}  // namespace tss::crypto
