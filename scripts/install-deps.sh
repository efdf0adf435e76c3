#!/usr/bin/env bash
# Installs the Debian 12 packages futexscope needs to build, test and benchmark.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev
  libdw-dev libgtest-dev nlohmann-json3-dev
  libimgui-dev libglfw3-dev libstb-dev xvfb libgl1-mesa-dri xauth
  linux-perf bpftrace
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
