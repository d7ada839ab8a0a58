// Arithmetic mod n = 2^256 - c with c < 2^129: a 512-bit product folds back into 256 bits by
// replacing each 2^256 with c, a few times over; every loop has a fixed trip count so the
// timing never depends on the values.
#include "crypto/scalar.h"

#include <sodium.h>

#include "crypto/ctime.h"
#include "crypto/rng.h"

namespace tss::crypto {

namespace {

using u128 = unsigned __int128;

constexpr uint64_t kN[4] = {0xBFD25E8CD0364141ULL, 0xBAAEDCE6AF48A03BULL, 0xFFFFFFFFFFFFFFFEULL,
                            0xFFFFFFFFFFFFFFFFULL};
// c = 2^256 - n
constexpr uint64_t kC[3] = {0x402DA1732FC9BEBFULL, 0x4551231950B75FC4ULL, 0x1ULL};
// (n - 1) / 2, the largest "low" s.
constexpr uint64_t kHalfN[4] = {0xDFE92F46681B20A0ULL, 0x5D576E7357A4501DULL, 0xFFFFFFFFFFFFFFFFULL,
                                0x7FFFFFFFFFFFFFFFULL};

// out[0..8) = in[0..4) + in[4..8) * c. The inputs are < 2^512, so out < 2^386.
void Fold(const uint64_t in[8], uint64_t out[8]) {
  uint64_t t[8] = {in[0], in[1], in[2], in[3], 0, 0, 0, 0};
  for (int i = 0; i < 4; ++i) {
    uint64_t carry = 0;
    for (int j = 0; j < 3; ++j) {
      u128 x = static_cast<u128>(in[4 + i]) * kC[j] + t[i + j] + carry;
      t[i + j] = static_cast<uint64_t>(x);
      carry = static_cast<uint64_t>(x >> 64);
    }
    for (int k = i + 3; k < 8; ++k) {
      u128 x = static_cast<u128>(t[k]) + carry;
      t[k] = static_cast<uint64_t>(x);
      carry = static_cast<uint64_t>(x >> 64);
    }
  }
  for (int i = 0; i < 8; ++i) out[i] = t[i];
}

// r = v mod n for v < 2^257 given as 4 limbs plus a top bit, by subtracting n at most once.
void ReduceOnce(const uint64_t v[4], uint64_t top, uint64_t r[4]) {
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

void Reduce512(const uint64_t l[8], uint64_t r[4]) {
  uint64_t a[8], b[8];
  Fold(l, a);  // < 2^386
  Fold(a, b);  // < 2^260
  Fold(b, a);  // < 2^256 + 2^133
  Fold(a, b);  // < 2^256: the last fold only moves at most one 2^256 into c, no carry remains
  ReduceOnce(b, b[4], r);
}

}  // namespace

Scalar::~Scalar() {
  sodium_memzero(d_, sizeof d_);
}

Scalar Scalar::FromU64(uint64_t v) {
  Scalar s;
  s.d_[0] = v;
  return s;
}

Result<Scalar> Scalar::FromBytes(std::span<const uint8_t> bytes) {
  if (bytes.size() != 32) return InvalidArgument("scalar encoding must be 32 bytes");
  uint64_t v[4];
  for (int i = 0; i < 4; ++i) {
    uint64_t w = 0;
    for (int k = 0; k < 8; ++k) w = w << 8 | bytes[(3 - i) * 8 + k];
    v[i] = w;
  }
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
    for (int i = 0; i < 4; ++i) {
      uint64_t w = 0;
      for (int k = 0; k < 8; ++k) w = w << 8 | bytes[(3 - i) * 8 + k];
      v[i] = w;
    }
    Scalar s;
    ReduceOnce(v, 0, s.d_);
    sodium_memzero(v, sizeof v);
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
  for (int i = 0; i < 4; ++i)
    for (int k = 0; k < 8; ++k) out[(3 - i) * 8 + k] = static_cast<uint8_t>(d_[i] >> (56 - 8 * k));
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

Scalar Scalar::operator-(const Scalar& o) const {
  return *this + (-o);
}

Scalar Scalar::operator*(const Scalar& o) const {
  uint64_t l[8] = {0};
  for (int i = 0; i < 4; ++i) {
    uint64_t carry = 0;
    for (int j = 0; j < 4; ++j) {
      u128 x = static_cast<u128>(d_[i]) * o.d_[j] + l[i + j] + carry;
      l[i + j] = static_cast<uint64_t>(x);
      carry = static_cast<uint64_t>(x >> 64);
    }
    l[i + 4] = carry;
  }
  Scalar r;
  Reduce512(l, r.d_);
  sodium_memzero(l, sizeof l);
  return r;
}

Scalar Scalar::Inverse() const {
  // a^(n-2) by left-to-right square-and-multiply; the exponent is public, the base is not,
  // and every step does the same work regardless of the base.
  constexpr uint64_t kExp[4] = {kN[0] - 2, kN[1], kN[2], kN[3]};
  Scalar result = One();
  for (int i = 3; i >= 0; --i) {
    for (int b = 63; b >= 0; --b) {
      result = result * result;
      if ((kExp[i] >> b) & 1) result = result * *this;
    }
  }
  return result;
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
