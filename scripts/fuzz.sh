#!/usr/bin/env bash
# Runs every fuzz target in BUILD_DIR/fuzzers (a TSS_FUZZ=ON build) for SECONDS each.
# Usage: scripts/fuzz.sh [BUILD_DIR] [SECONDS]   (defaults: build-fuzz, 20)
# Each target starts from a scratch copy of fuzz/corpus/<target> (the checked-in corpus is never
# changed); a crash or a failed check prints the end of the target's log and exits 1. No target
# built is a failure too: CI would otherwise pass a fuzz stage that fuzzed nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-fuzz}
seconds=${2:-20}
shopt -s nullglob
targets=("$dir"/fuzzers/*)
if [ ${#targets[@]} -eq 0 ]; then
  echo "no fuzz targets in $dir/fuzzers: build with -DTSS_FUZZ=ON (clang) first"
  exit 1
fi
for t in "${targets[@]}"; do
  [ -f "$t" ] && [ -x "$t" ] || continue
  name=$(basename "$t")
  corpus="fuzz/corpus/$name"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/
  echo "fuzzing $name for ${seconds}s"
  "$t" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=0 "$work" 2>"$work.log" \
    || { tail -50 "$work.log"; echo "fuzz target $name failed"; exit 1; }
  rm -rf "$work" "$work.log"
done
