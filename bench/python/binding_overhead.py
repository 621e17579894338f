"""Cost of the Python bindings (issue 15), measured side by side in one process.

1. model.gradient(θ, r) called from Python against the same call timed inside C++
   (Model._time_gradient: the loop runs in C++ on the same θ and r), relu2 at
   n=50, d=10, m=1000 and n=1000, d=100, m=10000.
2. Full-batch GD on the same problem (two_layer ReLU, both layers trained, sum loss):
   gradflow.run with a gd method (the loop in C++), a Python loop over
   model.loss_gradient, and a NumPy loop with the gradient written out (two GEMMs).
   All three start from the same θ0 and their final losses are printed to show they agree.
   The run's time is its gd method's counter: the iterations plus the diagnostics of its two
   sampled rows (t = 0 and the end), about two gradients' worth.

One thread everywhere (gradflow's default; OPENBLAS/OMP_NUM_THREADS=1 for NumPy).
usage: PYTHONPATH=build/python python3 bench/python/binding_overhead.py [--quick]
Prints markdown tables (docs/performance.md quotes them).
"""
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import gradflow  # noqa: E402
from gradflow import data  # noqa: E402

QUICK = "--quick" in sys.argv


def per_call(f, budget):
    """Seconds per call of f, repeated for about `budget` seconds (best of three batches)."""
    f()
    t = time.perf_counter()
    f()
    once = max(time.perf_counter() - t, 1e-7)
    reps = max(1, int(budget / 3 / once))
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(reps):
            f()
        best = min(best, (time.perf_counter() - t) / reps)
    return best, reps


def gradient_overhead(n, d, m, budget):
    X, y = data.sphere(n, d, seed=1)
    model = gradflow.Model("relu2", X, y, seed=1, width=m)
    theta = model.theta0
    r = np.random.default_rng(0).standard_normal(model.num_outputs)
    py, reps = per_call(lambda: model.gradient(theta, r), budget)
    cpp = min(model._time_gradient(theta, r, reps) for _ in range(3))
    copy, _ = per_call(lambda: theta.copy(), 0.2)  # what the θ copy into an Eigen vector costs
    return py, cpp, copy, model.num_params


def numpy_gd(X, y, theta, m, eta, iters):
    """GD on f(x) = (1/√m) Σ a_r relu(w_rᵀx), θ = [vec(W) column-major (m×d), a], sum loss."""
    n, d = X.shape
    s = 1.0 / np.sqrt(m)
    W = theta[:m * d].reshape((d, m)).T.copy()  # column-major m×d
    a = theta[m * d:].copy()
    for _ in range(iters):
        Z = X @ W.T                     # n×m
        A = np.maximum(Z, 0.0)
        f = s * (A @ a)
        delta = f - y
        ga = s * (A.T @ delta)
        M = (Z > 0) * (s * delta)[:, None] * a[None, :]
        gW = M.T @ X                    # m×d
        W -= eta * gW
        a -= eta * ga
    Z = X @ W.T
    f = s * (np.maximum(Z, 0.0) @ a)
    return 0.5 * np.sum((f - y) ** 2)


def torch_gd(X, y, theta, m, eta, iters):
    """numpy_gd in PyTorch (float64, one thread), or None when PyTorch is missing."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    n, d = X.shape
    s = 1.0 / np.sqrt(m)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    W = torch.from_numpy(theta[:m * d].reshape((d, m)).T.copy())
    a = torch.from_numpy(theta[m * d:].copy())
    with torch.no_grad():
        for _ in range(iters):
            Z = Xt @ W.T
            A = torch.clamp(Z, min=0.0)
            delta = s * (A @ a) - yt
            ga = s * (A.T @ delta)
            M = (Z > 0) * (s * delta)[:, None] * a[None, :]
            W -= eta * (M.T @ Xt)
            a -= eta * ga
        f = s * (torch.clamp(Xt @ W.T, min=0.0) @ a)
        return float(0.5 * torch.sum((f - yt) ** 2))


def gd_comparison(n, d, m, iters, eta):
    X, y = data.sphere(n, d, seed=1)
    model = gradflow.Model("two_layer", X, y, seed=1, width=m)
    theta0 = model.theta0
    config = {"seed": 1, "data": {"kind": "sphere", "n": n, "d": d}, "model": {"kind": "two_layer", "width": m},
              "run": {"t_end": iters * eta, "samples": 2, "lambda_min_max_n": 0},
              "methods": [{"kind": "gd", "eta": eta, "name": "gd"}]}
    t = time.perf_counter()
    result = gradflow.run(config)
    run_total = time.perf_counter() - t
    run_gd = result.methods[0]["counters"]["wall_seconds"]
    run_loss = float(result["gd"]["loss"].iloc[-1])
    assert result.methods[0]["counters"]["steps_accepted"] == iters, result.methods[0]["counters"]

    t = time.perf_counter()
    theta = theta0
    for _ in range(iters):
        _, g = model.loss_gradient(theta)
        theta = theta - eta * g
    loop = time.perf_counter() - t
    loop_loss = model.loss(theta)

    t = time.perf_counter()
    np_loss = numpy_gd(X, y, theta0, m, eta, iters)
    npy = time.perf_counter() - t

    t = time.perf_counter()
    torch_loss = torch_gd(X, y, theta0, m, eta, iters)
    pt = time.perf_counter() - t if torch_loss is not None else float("nan")
    return run_gd, run_total, run_loss, loop, loop_loss, npy, np_loss, pt, torch_loss


def main():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from peer_common import loaded_blas  # noqa: E402
    blas = ", ".join(os.path.basename(b) for b in loaded_blas()) or "none found"
    print(f"gradflow {gradflow.__version__}, threads {gradflow.thread_count()}, NumPy {np.__version__} "
          f"(BLAS: {blas}), load average {os.getloadavg()[0]:.1f}")
    try:
        import torch
        print(f"PyTorch {torch.__version__}, one thread")
    except ImportError:
        print("PyTorch: not installed (its column is nan)")
    print()
    print("| n, d, m | P | Python model.gradient [µs] | same call in C++ [µs] | overhead [µs] | ratio | θ copy [µs] |")
    print("|---|---|---|---|---|---|---|")
    for n, d, m, budget in [(50, 10, 1000, 1.0 if QUICK else 3.0), (1000, 100, 10000, 2.0 if QUICK else 10.0)]:
        py, cpp, copy, P = gradient_overhead(n, d, m, budget)
        print(f"| {n}, {d}, {m} | {P} | {py * 1e6:.1f} | {cpp * 1e6:.1f} | {(py - cpp) * 1e6:.1f} | "
              f"{py / cpp:.3f} | {copy * 1e6:.1f} |")
    print()
    print("| n, d, m | iterations | gradflow.run gd [s] (whole call) | Python loop over loss_gradient [s] | "
          "NumPy loop [s] | PyTorch loop [s] | NumPy / gradflow | PyTorch / gradflow | final losses (run, loop, NumPy, PyTorch) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, d, m, iters, eta in [(50, 10, 1000, 200 if QUICK else 2000, 0.05),
                                (1000, 100, 10000, 3 if QUICK else 40, 0.002)]:
        run_gd, run_total, run_loss, loop, loop_loss, npy, np_loss, pt, pt_loss = gd_comparison(n, d, m, iters, eta)
        print(f"| {n}, {d}, {m} | {iters} | {run_gd:.3f} ({run_total:.3f}) | {loop:.3f} | {npy:.3f} | {pt:.3f} | "
              f"{npy / run_gd:.2f} | {pt / run_gd:.2f} | {run_loss:.10g}, {loop_loss:.10g}, {np_loss:.10g}, {pt_loss} |")


if __name__ == "__main__":
    main()
