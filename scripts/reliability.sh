#!/usr/bin/env bash
# Runs the long kill-point matrix (tests/e2e/kill_matrix.py: every crash point of keygen,
# keyrefresh and sign, in every role it has, on real `tss node` processes) and the long form of
# the partitioned-validator cases (tests/faults/partition_netns.py: network namespaces, so root;
# skipped with a message otherwise), and rewrites their sections of docs/RELIABILITY.md with the
# tables they measured. Takes about 40 minutes on two shared cores.
# Usage: scripts/reliability.sh [build dir, default build] [extra kill_matrix.py arguments, e.g.
# --only 'sign\.']
# Exits non-zero if a case failed; the sections are rewritten either way, failures included.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
[ -x "$build/bin/tss" ] || { echo "no $build/bin/tss: build first (scripts/build.sh $build)" >&2; exit 2; }
status=0
python3 tests/e2e/kill_matrix.py --tss "$build/bin/tss" --long --report docs/RELIABILITY.md "$@" || status=1
python3 tests/faults/partition_netns.py --tss "$build/bin/tss" --long --report docs/RELIABILITY.md || status=1
exit $status
