#!/usr/bin/env bash
# Wall time of a run with the live dumb plot (under script(1), which gives it a terminal)
# against the same run with --no-live, alternating, REPS times each. OMP_NUM_THREADS=1 by
# default: Eigen's OpenMP GEMM slows many-fold whenever another process takes a core, which
# on a shared machine drowns the difference being measured.
#   bash bench/live_overhead.sh [REPS] [extra `gradflow run` arguments...]
# e.g. bash bench/live_overhead.sh 5 --set model.width=200
set -euo pipefail
reps=${1:-3}; shift || true
cli=${GRADFLOW:-build/bin/gradflow}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args="$*"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
secs() { local s; s=$(date +%s.%N); "$@" > /dev/null 2>&1; echo "$(date +%s.%N) - $s" | bc; }
printf "%-4s %12s %12s\n" rep "live [s]" "no-live [s]"
for r in $(seq "$reps"); do
  live=$(secs env -u DISPLAY script -qec "$cli run $args --out $out/live" /dev/null)
  off=$(secs env -u DISPLAY script -qec "$cli run $args --out $out/off --no-live" /dev/null)
  printf "%-4s %12.3f %12.3f\n" "$r" "$live" "$off"
done
