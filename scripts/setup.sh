#!/usr/bin/env bash
# Installs the build and test dependencies from Debian's packages.
# Works as root or through sudo; does nothing when everything is present.
set -euo pipefail
packages=(g++ make cmake pkg-config libfmt-dev nlohmann-json3-dev libyaml-cpp-dev libabsl-dev
  libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev clang-format
  clang libclang-rt-14-dev
  python3 python3-dev pybind11-dev python3-pybind11 python3-numpy python3-pytest
  python3-distributed python3-matplotlib python3-plotly chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
