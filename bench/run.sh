#!/usr/bin/env bash
# Runs every benchmark: installs the peers (SciPy, PyTorch, OpenBLAS) from Debian, builds the
# bench tree in build-bench/, runs each benchmark and keeps its report in bench/results/.
#   bash bench/run.sh            # all benchmarks
#   bash bench/run.sh rhs_bench  # only the named ones
set -euo pipefail
cd "$(dirname "$0")/.."

peers=(python3-numpy python3-scipy python3-torch libopenblas0-pthread)
bash scripts/install-packages.sh "${peers[@]}"
bash scripts/setup.sh >/dev/null  # the project's own packages

names=("$@")
((${#names[@]})) || names=(rhs_bench switching_bench flow_bench gd_bench modal_bench auto_bench)
targets=()
for name in "${names[@]}"; do [ -f "bench/$name.cpp" ] && targets+=("$name"); done

cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DGRADFLOW_BUILD_BENCH=ON >/dev/null
# Only the benchmarks (and the library they link): the test suite is not needed here.
((${#targets[@]})) && cmake --build build-bench -j "$(nproc)" --target "${targets[@]}" >/dev/null
mkdir -p bench/results
{ lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core)'; echo "date: $(date -u +%F)"; } > bench/results/machine.txt
for name in "${names[@]}"; do
  exe=build-bench/bin/$name
  [ -x "$exe" ] || { echo "bench: $name is not built" >&2; exit 2; }
  echo "== $name"
  # Peers are driven from the system interpreter, which owns Debian's Python modules.
  GRADFLOW_PYTHON=/usr/bin/python3 GRADFLOW_BENCH_DIR=bench "$exe" | tee "bench/results/$name.md"
done
