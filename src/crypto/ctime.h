// crypto/ctime.h — marking what secret-dependent code may reveal.
//
// Constant-time code may still branch on a few facts about a secret that are public by design
// (an encoding is valid, a value is not zero). Declassify() says so explicitly: it is a no-op
// in normal builds, and in the valgrind constant-time check (tests/ctime, built with
// TSS_CTIME_CHECK) it tells memcheck the value is public, so every other branch on a secret is
// still reported. This mirrors libsecp256k1's secp256k1_declassify.
#pragma once

#include <cstddef>

#ifdef TSS_CTIME_CHECK
#include <valgrind/memcheck.h>
#endif

namespace tss::crypto {

inline void Declassify(const void* data, size_t len) {
#ifdef TSS_CTIME_CHECK
  VALGRIND_MAKE_MEM_DEFINED(data, len);
#else
  (void)data;
  (void)len;
#endif
}

template <typename T>
inline T Declassified(T value) {
  Declassify(&value, sizeof value);
  return value;
}

}  // namespace tss::crypto
