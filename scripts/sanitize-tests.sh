#!/usr/bin/env bash
# Builds the unit tests with AddressSanitizer + UndefinedBehaviorSanitizer
# (FXS_SANITIZE=ON) in ./build-asan and runs them. The UI is left out: the
# unit tests compile the window-less parts of ui/ themselves, and the ImGui
# views would only lengthen the build.
set -euo pipefail
cd "$(dirname "$0")/.."
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFXS_SANITIZE=ON -DFXS_BUILD_UI=OFF \
  "${launcher[@]}" >/dev/null
cmake --build build-asan -j"$(nproc)" --target fxs_unit_tests
# halt_on_error: the first finding fails its test. detect_leaks: a leak is a finding too.
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build-asan -R '^unit\.' --output-on-failure -j"$(nproc)" --timeout 600
