#!/usr/bin/env bash
# Runs the long fault runs on real `tss node` processes and rewrites their sections of
# docs/RELIABILITY.md with what they measured: the kill-point matrix (tests/e2e/kill_matrix.py:
# every crash point of keygen, keyrefresh and sign, in every role it has; about half an hour on
# two shared cores), then the soak (tests/faults/soak.py: ten minutes of mixed work on five nodes
# under random faults; about twelve). Usage: scripts/reliability.sh [build dir, default build]
# [extra kill_matrix.py arguments, e.g. --only 'sign\.']
# Exits non-zero if either failed; the sections are rewritten either way, failures included.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
[ -x "$build/bin/tss" ] || { echo "no $build/bin/tss: build first (scripts/build.sh $build)" >&2; exit 2; }
status=0
python3 tests/e2e/kill_matrix.py --tss "$build/bin/tss" --long --report docs/RELIABILITY.md "$@" || status=$?
python3 tests/faults/soak.py --tss "$build/bin/tss" --minutes 10 --report docs/RELIABILITY.md || status=$?
exit "$status"
