"""PyTorch peer of bench/gd_bench.cpp: full-batch GD θ ← θ − η∇L(θ) on a two-layer net
(sum squared loss, MATH.md §2), CPU, float64, torch.set_num_threads(threads).

Two implementations, both reported (the C++ side compares against the faster):
  manual    the gradient written out (two GEMMs, in-place elementwise work), under no_grad;
  autograd  the loss written out, loss.backward(), then the update.
θ layout as gradflow: vec(W) column-major (m×d), i.e. Wᵀ row-major (d×m), then a (m) for
tanh two_layer; relu2 keeps a = ±1 fixed (file a.bin).

usage: gd_peer.py dir=D net=tanh|relu2 n= d= m= s= eta= iters= threads=2 wall=SECONDS
(stops early, after a whole chunk, once wall seconds are spent; reports the iterations done)
Prints one RESULT line per implementation and writes its final θ to D/theta_<impl>.bin.
"""
import sys
import time

from peer_common import info, load, loaded_blas, problem_args, result, save

import torch


def gd_manual(net, X, y, th, a_fixed, s, eta, iters, m, d):
    md = m * d
    XT = X.t().contiguous()
    Wt = th[:md].view(d, m)
    a = th[md:] if net == "tanh" else a_fixed
    with torch.no_grad():
        for _ in range(iters):
            Z = X @ Wt
            if net == "tanh":
                torch.tanh(Z, out=Z)
                r = torch.mv(Z, a).mul_(s).sub_(y)
                ga = torch.mv(Z.t(), r).mul_(s)
                Z.mul_(Z).neg_().add_(1.0).mul_(r.unsqueeze(1))  # σ'(Z) diag(r)
            else:
                mask = Z > 0
                Z.clamp_(min=0.0)
                r = torch.mv(Z, a).mul_(s).sub_(y)
                torch.mul(mask, r.unsqueeze(1), out=Z)
            gWt = (XT @ Z).mul_(a * s)
            Wt.sub_(gWt, alpha=eta)
            if net == "tanh":
                a.sub_(ga, alpha=eta)
    return th


def gd_autograd(net, X, y, th, a_fixed, s, eta, iters, m, d):
    md = m * d
    Wt = th[:md].view(d, m).clone().requires_grad_(True)
    a = th[md:].clone().requires_grad_(True) if net == "tanh" else a_fixed
    act = torch.tanh if net == "tanh" else torch.relu
    for _ in range(iters):
        f = s * (act(X @ Wt) @ a)
        loss = 0.5 * (f - y).square().sum()
        loss.backward()
        with torch.no_grad():
            Wt.sub_(Wt.grad, alpha=eta)
            Wt.grad = None
            if net == "tanh":
                a.sub_(a.grad, alpha=eta)
                a.grad = None
    with torch.no_grad():
        return torch.cat([Wt.reshape(-1), a]) if net == "tanh" else Wt.reshape(-1).clone()


def main():
    p = problem_args(sys.argv[1:])
    D, net = p["dir"], p["net"]
    n, d, m = int(p["n"]), int(p["d"]), int(p["m"])
    s, eta, iters, threads = float(p["s"]), float(p["eta"]), int(p["iters"]), int(p["threads"])
    wall = float(p["wall"])
    torch.set_num_threads(threads)
    X = torch.from_numpy(load(D, "X.bin", (n, d)).copy())
    y = torch.from_numpy(load(D, "y.bin", (n,)).copy())
    theta0 = torch.from_numpy(load(D, "theta0.bin", (-1,)).copy())
    a_fixed = torch.from_numpy(load(D, "a.bin", (m,)).copy()) if net == "relu2" else None
    info(f"torch {torch.__version__} threads {torch.get_num_threads()} blas " + ",".join(loaded_blas()))

    impls = {"manual": gd_manual, "autograd": gd_autograd}
    for name, fn in impls.items():
        fn(net, X, y, theta0.clone(), a_fixed, s, eta, 2, m, d)  # warm-up
        th = theta0.clone()
        done, chunk = 0, 1
        start = time.perf_counter()
        # Chunks of growing size up to `iters`, stopping once `wall` seconds are spent.
        while done < iters and time.perf_counter() - start < wall:
            k = min(chunk, iters - done)
            th = fn(net, X, y, th, a_fixed, s, eta, k, m, d)
            done += k
            chunk *= 2
        elapsed = time.perf_counter() - start
        save(D, f"theta_{name}.bin", th.numpy())
        result(impl=name, iters=done, wall=elapsed)


if __name__ == "__main__":
    main()
