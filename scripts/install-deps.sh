#!/usr/bin/env bash
# Install the Debian 12 packages crl needs, if any is missing.
set -euo pipefail

packages=(build-essential meson ninja-build pkg-config libgsl-dev
          libopenblas-dev libyaml-dev libcmocka-dev gnuplot-nox cmake
          libmujoco-dev clang libclang-rt-14-dev
          libopenmpi-dev openmpi-bin # mpirun -n K crl train (tests/cli_mpi_test.sh)
          python3-numpy python3-onnx) # tests of python/crl_policy.py, crl export --format onnx
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
