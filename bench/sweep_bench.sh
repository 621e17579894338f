#!/usr/bin/env bash
# A 24-point sweep of the default experiment at a small size (width 50, 100, 200 x seeds 1..8),
# run serially, with -j 2, and under mpirun -np 3 (rank 0 hands out work, two ranks run points),
# one after the other on this machine. Reports each one's wall time, its speed-up over the
# serial run and the fraction of the slots' time the points kept busy (sweep.json's
# last_invocation), and checks that the three sweep.csv agree (the wall-time column aside).
#   bash bench/sweep_bench.sh [extra `gradflow sweep` arguments...] > bench/results/sweep_bench.md
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${GRADFLOW:-build/bin/gradflow}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
grid=(--set data.n=20 --set data.d=5 --set run.t_end=10 --set run.samples=101
      --grid model.width=50,100,200 --grid seed=1..8 "$@")

field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['last_invocation'][sys.argv[2]])" "$1" "$2"; }
table() { cut -d, -f1-$(($(head -1 "$1" | tr ',' '\n' | wc -l) - 1)) "$1"; }

"$cli" sweep "${grid[@]}" --out "$out/serial" > /dev/null
"$cli" sweep "${grid[@]}" -j 2 --out "$out/jobs2" > /dev/null
mpi=no
if command -v mpirun > /dev/null; then
  mpirun --oversubscribe -np 3 "$cli" sweep "${grid[@]}" --out "$out/mpi3" > /dev/null && mpi=yes
fi

serial=$(field "$out/serial/sweep.json" wall_seconds)
echo "# Sweep benchmark: 24 points of the default experiment (n=20, d=5, t_end=10), $(date -u +%F)"
echo
echo "\`bash bench/sweep_bench.sh\`, $(getconf _NPROCESSORS_ONLN) cores, one thread per point."
echo
echo "| run | slots | wall [s] | speed-up | busy fraction | sweep.csv as serial |"
echo "|---|---|---|---|---|---|"
for run in serial jobs2 mpi3; do
  [ "$run" = mpi3 ] && [ "$mpi" = no ] && { echo "| mpirun -np 3 | - | not run: MPI missing | | | |"; continue; }
  f="$out/$run/sweep.json"
  wall=$(field "$f" wall_seconds)
  same=$(cmp -s <(table "$out/serial/sweep.csv") <(table "$out/$run/sweep.csv") && echo yes || echo NO)
  label=$([ "$run" = serial ] && echo "serial (-j 1)" || ([ "$run" = jobs2 ] && echo "-j 2" || echo "mpirun -np 3"))
  printf "| %s | %s | %.2f | %.2fx | %.2f | %s |\n" "$label" "$(field "$f" slots)" "$wall" \
    "$(echo "$serial / $wall" | bc -l)" "$(field "$f" busy_fraction)" "$same"
done
