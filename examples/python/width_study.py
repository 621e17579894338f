"""Width study: gradient flow on Du et al.'s two-layer ReLU net (relu2) at growing widths m.

For m → ∞ the flow's error obeys Δ̇ = −H∞Δ, so the loss falls like exp(−2λ0 t) once its
slowest mode dominates, λ0 = λ_min(H∞); before that the larger modes set the pace. The figure
shows the loss curves (drawn from the callback as the runs go, as a notebook would draw them
live) and the rate fitted over the second half of each run, next to that asymptote 2λ0.

usage: python3 width_study.py [OUT_DIR]     writes OUT_DIR/width_study.png
"""
import os
import sys

import matplotlib
matplotlib.use(os.environ.get("MPLBACKEND", "Agg"))
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import gradflow  # noqa: E402

out_dir = sys.argv[1] if len(sys.argv) > 1 else "."
base = {"seed": 2, "data": {"kind": "sphere", "n": 30, "d": 5},
        "model": {"kind": "relu2"}, "run": {"t_end": 8.0, "samples": 81}, "methods": [{"kind": "gf"}]}
widths = [50, 100, 200, 400, 800]

fig, (ax_loss, ax_rate) = plt.subplots(1, 2, figsize=(10, 4))
rates = []
for m in widths:
    line, = ax_loss.semilogy([], [], label=f"m={m}")
    ts, losses = [], []

    def draw(t, columns, line=line, ts=ts, losses=losses):
        ts.append(t)
        losses.append(columns["loss"])
        line.set_data(ts, losses)  # in a notebook: fig.canvas.draw_idle() here

    result = gradflow.run(base, overrides={"model.width": m}, callback=draw)
    rates.append(result.methods[0]["fitted_rate"])
    lambda0 = result.info["lambda0"]
    print(f"m={m:4d}  L(0)={result.info['loss0']:.4g}  fitted rate={rates[-1]:.4f}  2*lambda0={2 * lambda0:.4f}")
ax_loss.relim()
ax_loss.autoscale_view()
ax_loss.set_xlabel("t")
ax_loss.set_ylabel("loss")
ax_loss.legend()
ax_rate.semilogx(widths, rates, "o-", label="fitted rate of the loss")
ax_rate.axhline(2 * lambda0, color="k", ls="--", label=r"$2\lambda_0$ (infinite width)")
ax_rate.set_xlabel("width m")
ax_rate.legend()
fig.suptitle("relu2 gradient flow, sphere n=30 d=5")
fig.tight_layout()
path = os.path.join(out_dir, "width_study.png")
fig.savefig(path, dpi=100)
print("wrote", path)
