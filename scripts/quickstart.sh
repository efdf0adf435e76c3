#!/usr/bin/env bash
# Quick start: install what is missing, build, record the bundled contended-mutex
# sample with the real BPF programs, and print its report.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
./build/futexscope record -o build/quickstart.fxs -- ./build/samples/fxs-sample-mutex
./build/futexscope report build/quickstart.fxs --top 5
