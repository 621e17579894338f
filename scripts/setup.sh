#!/usr/bin/env bash
# Installs the Debian packages gradflow needs (only the missing ones), then configures and
# builds a Release tree in build/. Extra arguments go to cmake's configure step.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ cmake make libboost-dev libboost-test-dev libboost-iostreams-dev
          libboost-filesystem-dev libboost-system-dev libeigen3-dev libgnuplot-iostream-dev
          gnuplot-nox libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libspectra-dev)
bash scripts/install-packages.sh "${packages[@]}"

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$(nproc)"
