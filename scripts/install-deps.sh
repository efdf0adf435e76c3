#!/usr/bin/env bash
# Installs the Debian 12 packages futexscope needs to build, test and benchmark.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev
  libdw-dev libgtest-dev nlohmann-json3-dev
  libimgui-dev libglfw3-dev libstb-dev xvfb libgl1-mesa-dri xauth fonts-dejavu-core
  # GLFW/glfw3native.h (X11 + GLX) needs Xlib, Xrandr and GLX headers, which
  # libglfw3-dev only recommends: --no-install-recommends leaves them out.
  libx11-dev libxrandr-dev libgl-dev
  linux-perf bpftrace
  # scripts/fuzz.sh: libFuzzer and the sanitizer runtimes for clang; ccache for
  # the extra sanitizer and fuzzer builds.
  libclang-rt-14-dev ccache
  qemu-system-x86 busybox-static xz-utils
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
# The VM tests' kernel (Debian 6.1, unpacked into /var/cache/futexscope-vm, the
# host's boot setup untouched), fetched now so that the tests need no network.
if [ "$(id -u)" -eq 0 ]; then
  "$(dirname "$0")/../tests/vm/run-in-vm.sh" --prepare ||
    echo "install-deps: warning: no VM kernel yet; tests/vm/run-in-vm.sh fetches it on first use" >&2
fi
