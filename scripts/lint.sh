#!/usr/bin/env bash
# The lint stage of scripts/test.sh; runs alone too. Usage: scripts/lint.sh [format] [tidy]
# (both when none is named).
#   format: clang-format --dry-run -Werror with the root .clang-format over every .h and .cpp in
#           src/, tests/, bench/ and fuzz/. Fix a file with `clang-format -i FILE`.
#   tidy:   clang-tidy with the root .clang-tidy (every finding an error) over every .cpp in src/
#           and the src/ headers they include, with the flags of a clang configuration in
#           build-tidy/ (configured, never built: nothing in src/ is generated).
# Prints each finding once and exits 1 if there is any. TSS_JOBS sets the parallelism (default:
# every core).
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(format tidy)
for s in "${stages[@]}"; do
  [[ "$s" == format || "$s" == tidy ]] || { echo "unknown lint stage '$s' (format, tidy)" >&2; exit 2; }
done
jobs=${TSS_JOBS:-$(nproc)}
failed=0
for tool in clang-format clang-tidy clang++; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "error: $tool not found; scripts/install-deps.sh installs it" >&2; exit 1; }
done

run_format() {
  echo "-- clang-format ($(clang-format --version | grep -o 'version [0-9.]*'))"
  # Each difference from the formatted file is one "FILE:LINE:COL: error: ..." line (and context).
  local out status=0 unformatted
  out=$(find src tests bench fuzz -type f \( -name '*.h' -o -name '*.cpp' \) -print0 |
    xargs -0 -P "$jobs" -n 32 clang-format --dry-run -Werror 2>&1) || status=$?
  unformatted=$(printf '%s\n' "$out" | sed -nE 's/^([^:]+):[0-9]+:[0-9]+: error: .*/\1/p' | sort -u)
  if [ -n "$unformatted" ]; then
    echo "not formatted (\`clang-format FILE | diff FILE -\` shows how; \`clang-format -i FILE\` fixes it):"
    echo "$unformatted" | sed 's/^/  /'
    failed=1
  elif [ "$status" != 0 ]; then
    echo "$out"
    echo "clang-format failed (output above)"
    failed=1
  fi
}

run_tidy() {
  echo "-- clang-tidy ($(clang-tidy --version | grep -o 'version [0-9.]*'))"
  # Tests and benchmarks off: src/crypto is also compiled into the ctime test library, and a
  # second compile command for a file would make clang-tidy check it twice.
  local generator=()
  [ -f build-tidy/CMakeCache.txt ] || ! command -v ninja >/dev/null 2>&1 || generator=(-G Ninja)
  cmake -S . -B build-tidy "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    -DTSS_BUILD_TESTS=OFF -DTSS_BUILD_BENCH=OFF -DTSS_FUZZ=OFF >/dev/null
  local logs
  logs=$(mktemp -d)
  # One log per file; a header's findings repeat in every file that includes it, so the
  # report below keeps each distinct line once.
  local status=0
  find src -name '*.cpp' -print0 | sort -z |
    xargs -0 -P "$jobs" -I{} sh -c \
      'clang-tidy -p build-tidy --quiet "$1" >"$2/$(echo "$1" | tr / _).log" 2>&1' sh {} "$logs" ||
    status=$?
  local findings
  findings=$(cat "$logs"/*.log | grep -E '^/.*:[0-9]+:[0-9]+: (warning|error): ' |
    sed "s|^$PWD/||" | sort -u || true)
  if [ -n "$findings" ]; then
    echo "$findings"
    echo "$(echo "$findings" | wc -l) clang-tidy finding(s); \`clang-tidy -p build-tidy FILE.cpp\` shows them in context"
    failed=1
  elif [ "$status" != 0 ]; then
    cat "$logs"/*.log
    echo "clang-tidy failed without a finding (output above)"
    failed=1
  fi
  rm -rf "$logs"
}

for s in "${stages[@]}"; do
  start=$SECONDS
  "run_$s"
  echo "-- $s: $((SECONDS - start)) s"
done
exit "$failed"
