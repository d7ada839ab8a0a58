#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
echo "The demo cluster (keygen, sign, keyrefresh, sign over libp2p) needs the node, which is not"
echo "built yet. What works today:"
build/bin/tss version
