// crypto/limbs.h — 256-bit integers as four little-endian 64-bit limbs: the constant-time steps
// that arithmetic mod n (crypto/scalar.cpp) and mod p (crypto/field.cpp) share. Internal to
// crypto/. Every function runs the same instructions whatever the values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tss::crypto::limbs {

using u128 = unsigned __int128;

// Wipes a few stack limbs without a libsodium call (the reductions run per OT row, where the call
// was measurable); the empty asm that claims to read them keeps the stores from being dropped.
[[gnu::always_inline]] inline void Wipe(uint64_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) p[i] = 0;
  asm volatile("" : : "r"(p) : "memory");
}

// l = a·b, the full 512-bit schoolbook product. Each step is at most
// (2^64 − 1)² + 2·(2^64 − 1) = 2^128 − 1, so nothing overflows.
[[gnu::always_inline]] inline void MulWide(const uint64_t a[4], const uint64_t b[4],
                                           uint64_t l[8]) {
  for (int i = 0; i < 8; ++i) l[i] = 0;
  for (int i = 0; i < 4; ++i) {
    uint64_t carry = 0;
    for (int j = 0; j < 4; ++j) {
      u128 x = static_cast<u128>(a[i]) * b[j] + l[i + j] + carry;
      l[i + j] = static_cast<uint64_t>(x);
      carry = static_cast<uint64_t>(x >> 64);
    }
    l[i + 4] = carry;
  }
}

// r = (a − b) mod m for a, b < m: one borrow chain, then m added back under a mask when the
// chain borrowed (a − b < 0 as integers).
[[gnu::always_inline]] inline void SubMod(const uint64_t a[4], const uint64_t b[4],
                                          const uint64_t m[4], uint64_t r[4]) {
  uint64_t diff[4];
  uint64_t borrow = 0;
  for (int i = 0; i < 4; ++i) {
    u128 x = static_cast<u128>(a[i]) - b[i] - borrow;
    diff[i] = static_cast<uint64_t>(x);
    borrow = static_cast<uint64_t>(x >> 64) & 1;
  }
  const uint64_t mask = 0 - borrow;
  uint64_t carry = 0;
  for (int i = 0; i < 4; ++i) {
    u128 x = static_cast<u128>(diff[i]) + (m[i] & mask) + carry;
    r[i] = static_cast<uint64_t>(x);
    carry = static_cast<uint64_t>(x >> 64);
  }
  Wipe(diff, 4);
}

// base^exponent by left-to-right square-and-multiply, for a PUBLIC exponent (little-endian
// limbs): the schedule follows the exponent's bits only, never the base's. T needs operator*.
template <typename T>
T PowPublicExponent(const T& base, const uint64_t exponent[4], T one) {
  T result = one;
  for (int i = 3; i >= 0; --i) {
    for (int b = 63; b >= 0; --b) {
      result = result * result;
      if ((exponent[i] >> b) & 1) result = result * base;
    }
  }
  return result;
}

}  // namespace tss::crypto::limbs
