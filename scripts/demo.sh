#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo: a local 4-node cluster over libp2p on
# loopback (SQLite, encrypted key shares) doing keygen, sign, keyrefresh, sign, with every
# signature verified by OpenSSL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
python3 tests/e2e/demo.py --tss build/bin/tss
