#!/usr/bin/env bash
# Builds and runs every test: unit tests, and (as root) integration tests that
# load the real BPF programs against the sample workloads.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
if [ "$(id -u)" -ne 0 ]; then
  echo "run-tests: not root: the integration tests will SKIP (they load BPF programs)" >&2
fi
ctest --test-dir build --output-on-failure -j1 --timeout 600
