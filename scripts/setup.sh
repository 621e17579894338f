#!/usr/bin/env bash
# Installs the Debian packages gradflow needs (only the missing ones), then configures and
# builds a Release tree in build/. Extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake make libboost-dev libboost-test-dev libboost-iostreams-dev
          libboost-filesystem-dev libboost-system-dev libeigen3-dev libgnuplot-iostream-dev
          gnuplot-nox libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libspectra-dev)
# Sweeps over MPI ranks (docs/sweeps.md).
packages+=(libopenmpi-dev openmpi-bin)
# The Python module (python/, docs/python.md), its tests and examples, and `pip install .`.
packages+=(pybind11-dev python3-dev python3-numpy python3-pandas python3-pytest python3-matplotlib
           python3-venv python3-setuptools python3-wheel)
bash scripts/install-packages.sh "${packages[@]}"

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$(nproc)"
