#!/usr/bin/env bash
# Runs every benchmark: installs the peers (SciPy, PyTorch, OpenBLAS) from Debian, builds the
# bench tree in build-bench/, runs each benchmark and keeps its report in bench/results/.
#   bash bench/run.sh            # all benchmarks
#   bash bench/run.sh rhs_bench  # only the named ones
#   GRADFLOW_MARCH=haswell bash bench/run.sh rhs_bench gd_bench
#                                # built for AVX2 without AVX-512, in build-bench-haswell/,
#                                # reports in bench/results/haswell/
set -euo pipefail
cd "$(dirname "$0")/.."

peers=(python3-numpy python3-scipy python3-torch libopenblas0-pthread libopenblas-dev)
bash scripts/install-packages.sh "${peers[@]}"
bash scripts/setup.sh >/dev/null  # the project's own packages

names=("$@")
((${#names[@]})) || names=(rhs_bench switching_bench flow_bench gd_bench modal_bench auto_bench scale_bench)
targets=()
for name in "${names[@]}"; do [ -f "bench/$name.cpp" ] && targets+=("$name"); done

march=${GRADFLOW_MARCH:-native}
tree=build-bench results=bench/results
[ "$march" = native ] || { tree=build-bench-$march; results=bench/results/$march; }
cmake -S . -B "$tree" -DCMAKE_BUILD_TYPE=Release -DGRADFLOW_BUILD_BENCH=ON -DGRADFLOW_MARCH="$march" >/dev/null
# Only the benchmarks (and the library they link): the test suite is not needed here.
((${#targets[@]})) && cmake --build "$tree" -j "$(nproc)" --target "${targets[@]}" >/dev/null
mkdir -p "$results"
# OpenBLAS (the GEMM baseline of rhs_bench, and PyTorch's BLAS) falls back to its Prescott (SSE3)
# kernels on CPUs newer than it knows; name the kernel family of the instruction set built for.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  if [ "$march" = native ] && grep -qw avx512f /proc/cpuinfo; then export OPENBLAS_CORETYPE=SkylakeX
  elif [ "$march" = native ] && ! grep -qw avx2 /proc/cpuinfo; then :
  else export OPENBLAS_CORETYPE=Haswell
  fi
fi
{ lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core)'; echo "date: $(date -u +%F)"
  echo "build: -march=$march; OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(detected)}"; } > "$results/machine.txt"
for name in "${names[@]}"; do
  exe=$tree/bin/$name
  [ -x "$exe" ] || { echo "bench: $name is not built" >&2; exit 2; }
  echo "== $name"
  # Peers are driven from the system interpreter, which owns Debian's Python modules.
  GRADFLOW_PYTHON=/usr/bin/python3 GRADFLOW_BENCH_DIR=bench "$exe" | tee "$results/$name.md"
done
