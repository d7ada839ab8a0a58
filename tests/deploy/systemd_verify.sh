#!/usr/bin/env bash
# Checks deploy/tss-node.service: `systemd-analyze verify` on it (with ExecStart pointed at the
# build's tss, since verify checks the binary exists) must print nothing at all — verify reports
# an unknown key or a bad value as a warning and still exits 0 — and every flag its ExecStart
# passes must be one `tss node` knows, and every variable it reads must be in
# deploy/tss-node.env.example. systemd-analyze missing: installed by scripts/install-deps.sh when
# we are root; otherwise (or where verify cannot run at all) the test is skipped, saying why.
# Usage: tests/deploy/systemd_verify.sh SOURCE_DIR TSS_BINARY
set -euo pipefail
src=$1
tss=$2
unit=$src/deploy/tss-node.service
env_example=$src/deploy/tss-node.env.example
if ! command -v systemd-analyze >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "SKIPPED: systemd-analyze is not installed and we are not root to install it (apt-get install systemd)"
    exit 77
  fi
  "$src/scripts/install-deps.sh"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed "s|/usr/local/bin/tss|$tss|" "$unit" >"$tmp/tss-node.service"
if ! out=$(systemd-analyze verify "$tmp/tss-node.service" 2>&1); then
  if grep -qi "failed to initialize manager\|failed to connect to bus" <<<"$out"; then
    echo "SKIPPED: systemd-analyze verify cannot run here: $out"
    exit 77
  fi
  echo "systemd-analyze verify failed:"
  echo "$out"
  exit 1
fi
if [ -n "$out" ]; then
  echo "systemd-analyze verify reported:"
  echo "$out"
  exit 1
fi
# ExecStart's flags against `tss node --help`, its variables against the example environment.
exec_start=$(sed -n '/^ExecStart=/,/^[^ ]/p' "$unit" | grep -v '^[A-Z][A-Za-z]*=' || true)
exec_start="$(grep '^ExecStart=' "$unit") $exec_start"
help=$("$tss" node --help)
for flag in $(grep -o -- '--[a-z0-9-]*' <<<"$exec_start" | sort -u); do
  grep -q -- "$flag" <<<"$help" || { echo "ExecStart passes $flag, which tss node does not know"; exit 1; }
done
for var in $(grep -o '\${\?TSS_[A-Z0-9_]*' <<<"$exec_start" | tr -d '${' | sort -u); do
  grep -q "^$var=" "$env_example" || { echo "ExecStart reads \$$var, which $env_example does not set"; exit 1; }
done
echo "deploy/tss-node.service: systemd-analyze verify clean; its flags and variables exist"
