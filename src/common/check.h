// common/check.h — TSS_DCHECK: a contract that a programming error broke, checked in debug and
// sanitizer builds (TSS_DCHECK_ALWAYS_ON) and compiled out of release builds.
//
// Use it for what no input can cause (a loop-only method called from another thread), never for
// bad input from outside: that gets a Status.
#pragma once

#include <cstdio>
#include <cstdlib>

#if !defined(NDEBUG) || defined(TSS_DCHECK_ALWAYS_ON)
inline constexpr bool kTssDchecksOn = true;
#define TSS_DCHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: TSS_DCHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)
#else
inline constexpr bool kTssDchecksOn = false;
#define TSS_DCHECK(cond) \
  do {                   \
  } while (0 && (cond))
#endif
