#!/usr/bin/env bash
# The README's default experiment (relu2, n=50, d=10, m=1000, t_end=30, rtol 1e-6) under the
# three ReLU integrators, side by side in one run on one thread (issue 12, benchmarks 3 and 4):
# `auto` and `exact` at the default rtol, and `exact` at rtol 1e-10 as the reference. For each
# weight flow it reports RHS evaluations, wall time, and the largest relative loss error over
# the samples against the reference; and the whole run's wall time.
#   bash bench/default_bench.sh [gradflow binary]      (writes bench/results/default_bench.md)
set -euo pipefail
cd "$(dirname "$0")/.."
exe=${1:-build/bin/gradflow}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
run() {  # name, then --set options
  local name=$1
  shift
  local t0=$EPOCHREALTIME
  "$exe" --threads 1 run --no-live --out "$scratch/$name" "$@" > "$scratch/$name.log"
  echo "$name $t0 $EPOCHREALTIME" >> "$scratch/walls"
}
run auto
run exact --set 'run.switching="exact"'
run reference --set 'run.switching="exact"' --set run.rtol=1e-10 --set run.atol=1e-12
mkdir -p bench/results
/usr/bin/python3 - "$scratch" <<'EOF' | tee bench/results/default_bench.md
import csv, json, sys
d = sys.argv[1]
walls = {k: float(b) - float(a) for k, a, b in (line.split() for line in open(f"{d}/walls"))}
runs = {k: json.load(open(f"{d}/{k}/run.json")) for k in ("auto", "exact", "reference")}
def loss(run, name):
    with open(f"{d}/{run}/{name}.csv") as f:
        return [float(r["loss"]) for r in csv.DictReader(f)]
print("## The default experiment under auto and exact (one run, side by side)\n")
print("`gradflow run` on the embedded default (relu2 on sphere data, n=50, d=10, m=1000, t_end=30, "
      "rtol 1e-6), one thread. Loss error = max over the samples of |L − L_ref| / L_ref, with L_ref from "
      "`exact` at rtol 1e-10. RHS evaluations do not count the one-GEMM forward and backward passes.\n")
print("| method | auto RHS | exact RHS | ratio | auto wall s | exact wall s | ratio | auto loss error | exact loss error | auto stepped over / events | exact events |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for ma, me in zip(runs["auto"]["methods"], runs["exact"]["methods"]):
    if not ma.get("switching") or ma["switching"] == "off":
        continue
    name = ma["name"]
    ref = loss("reference", name)
    err = lambda run: max(abs(a - b) / b for a, b in zip(loss(run, name), ref))
    ca, ce = ma["counters"], me["counters"]
    sa, se = ma["switching"], me["switching"]
    print(f"| {name} | {ca['rhs_evals']} | {ce['rhs_evals']} | {ce['rhs_evals'] / ca['rhs_evals']:.2f}× | "
          f"{ca['wall_seconds']:.2f} | {ce['wall_seconds']:.2f} | {ce['wall_seconds'] / ca['wall_seconds']:.2f}× | "
          f"{err('auto'):.2e} | {err('exact'):.2e} | {int(sa['stepped_crossings'])} / {int(sa['events'])} | {int(se['events'])} |")
wa, we = walls["auto"], walls["exact"]
print(f"\nWhole run (every method, figures included): auto {wa:.1f} s, exact {we:.1f} s: {we / wa:.2f}× faster.\n")
print("Command: `bash bench/default_bench.sh`.")
EOF
