#!/usr/bin/env bash
# Runs the long fault runs on real `tss node` processes and rewrites their sections of
# docs/RELIABILITY.md with what they measured: the kill-point matrix (tests/e2e/kill_matrix.py:
# every crash point of keygen, keyrefresh and sign, in every role it has; about half an hour on
# two shared cores), the soak (tests/faults/soak.py: ten minutes of mixed work on five nodes under
# random faults; about twelve), the storage and shutdown faults (tests/faults/storage_faults.py:
# SQLite locked, PostgreSQL restarted, disk full, SIGTERM mid-session; about four) and the
# partitioned validator (tests/faults/partition_netns.py, network namespaces).
# Usage: scripts/reliability.sh [build dir, default build] [extra kill_matrix.py arguments,
# e.g. --only 'sign\.']
# Exits non-zero if any of them failed; the sections are rewritten either way, failures included.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
[ -x "$build/bin/tss" ] || { echo "no $build/bin/tss: build first (scripts/build.sh $build)" >&2; exit 2; }
status=0
python3 tests/e2e/kill_matrix.py --tss "$build/bin/tss" --long --report docs/RELIABILITY.md "$@" || status=1
python3 tests/faults/soak.py --tss "$build/bin/tss" --minutes 10 --report docs/RELIABILITY.md || status=1
python3 tests/faults/storage_faults.py --tss "$build/bin/tss" --long --report docs/RELIABILITY.md || status=1
python3 tests/faults/partition_netns.py --tss "$build/bin/tss" --long --report docs/RELIABILITY.md || status=1
exit $status
