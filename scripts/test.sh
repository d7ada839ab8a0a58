#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test:
#   0. lint (scripts/lint.sh; first, as it needs no build): clang-format over src/ tests/ bench/
#      fuzz/, clang-tidy over src/ (.clang-format and .clang-tidy at the root);
#   1. the release build's full test suite (unit, protocol, interop, end-to-end);
#   2. the same unit and protocol tests under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. a short run of every fuzz target (clang libFuzzer).
# Set TSS_SKIP_LINT=1, TSS_SKIP_SANITIZE=1 or TSS_SKIP_FUZZ=1 to skip a stage locally; CI runs
# all of them.
# TSS_TEST_REPEAT=N runs every test of stages 1 and 2 up to N times, stopping at its first
# failure (ctest --repeat until-fail:N): the way to hunt flaky tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

repeat=()
if [ -n "${TSS_TEST_REPEAT:-}" ]; then
  [[ "$TSS_TEST_REPEAT" =~ ^[1-9][0-9]*$ ]] || { echo "TSS_TEST_REPEAT must be a positive count"; exit 2; }
  repeat=(--repeat "until-fail:$TSS_TEST_REPEAT")
fi

if [ "${TSS_SKIP_LINT:-0}" != 1 ]; then
  echo "== lint"
  scripts/lint.sh
fi

echo "== release build and tests"
scripts/build.sh build
ctest --test-dir build --output-on-failure -j "${TSS_TEST_JOBS:-2}" "${repeat[@]}"

if [ "${TSS_SKIP_SANITIZE:-0}" != 1 ]; then
  echo "== ASan+UBSan build and tests"
  # Optimised (with debug info) so the protocol tests stay fast under the sanitizers.
  scripts/build.sh build-asan -DTSS_SANITIZE=ON -DTSS_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "${TSS_TEST_JOBS:-2}" -L "unit|protocol" \
    "${repeat[@]}"
fi

if [ "${TSS_SKIP_FUZZ:-0}" != 1 ]; then
  echo "== fuzz (short run of every target)"
  CC=clang CXX=clang++ scripts/build.sh build-fuzz -DTSS_FUZZ=ON -DTSS_BUILD_TESTS=OFF \
    -DTSS_BUILD_BENCH=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
  scripts/fuzz.sh build-fuzz "${TSS_FUZZ_SECONDS:-20}"
fi
echo "== all tests passed"
