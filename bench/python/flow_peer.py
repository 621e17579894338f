"""SciPy peer of bench/flow_bench.cpp: the gradient flow θ' = -∇L(θ) of a two-layer net
(sum squared loss, MATH.md §2) integrated by scipy.integrate.solve_ivp with a NumPy
right-hand side written for speed (two GEMMs, in-place elementwise work, no Jacobian).

θ layout as gradflow: vec(W) column-major (m×d), i.e. Wᵀ row-major (d×m), then a (m) for
tanh two_layer (both layers trained); relu2 keeps a = ±1 fixed (file a.bin).

usage: flow_peer.py dir=D net=tanh|relu2 n= d= m= s= T= rtol= atol= methods=RK45,DOP853 wall=SECONDS
Prints one RESULT line per method and writes the final θ to D/theta_<method>.bin.
"""
import sys
import time

from peer_common import info, load, loaded_blas, problem_args, result, save, np

from scipy.integrate import solve_ivp


class WallLimit(Exception):
    pass


def make_rhs(net, X, y, a_fixed, s, m, d):
    n = X.shape[0]
    XT = np.ascontiguousarray(X.T)
    Z = np.empty((n, m))
    B = np.empty((n, m), dtype=bool)
    md = m * d

    def tanh_rhs(t, th):
        Wt = th[:md].reshape(d, m)
        a = th[md:]
        np.matmul(X, Wt, out=Z)
        np.tanh(Z, out=Z)
        r = s * (Z @ a) - y
        out = np.empty_like(th)
        np.matmul(r, Z, out=out[md:])
        out[md:] *= -s
        np.multiply(Z, Z, out=Z)  # σ' = 1 - tanh²
        np.subtract(1.0, Z, out=Z)
        np.multiply(Z, r[:, None], out=Z)
        gWt = XT @ Z
        gWt *= -s * a
        out[:md] = gWt.ravel()
        return out

    sa = -s * a_fixed if a_fixed is not None else None

    def relu2_rhs(t, th):
        Wt = th[:md].reshape(d, m)
        np.matmul(X, Wt, out=Z)
        np.greater(Z, 0.0, out=B)
        np.maximum(Z, 0.0, out=Z)
        r = s * (Z @ a_fixed) - y
        np.multiply(B, r[:, None], out=Z)
        gWt = XT @ Z
        gWt *= sa
        return gWt.ravel()

    return tanh_rhs if net == "tanh" else relu2_rhs


def main():
    p = problem_args(sys.argv[1:])
    D, net = p["dir"], p["net"]
    n, d, m = int(p["n"]), int(p["d"]), int(p["m"])
    s, T = float(p["s"]), float(p["T"])
    rtol, atol, wall = float(p["rtol"]), float(p["atol"]), float(p["wall"])
    X = load(D, "X.bin", (n, d))
    y = load(D, "y.bin", (n,))
    theta0 = load(D, "theta0.bin", (-1,))
    a_fixed = load(D, "a.bin", (m,)) if net == "relu2" else None
    rhs = make_rhs(net, X, y, a_fixed, s, m, d)
    info("blas " + ",".join(loaded_blas()))
    rhs(0.0, theta0)  # warm-up (first-touch of buffers, BLAS thread start)

    for method in p["methods"].split(","):
        state = {"nfev": 0, "t": 0.0}
        start = time.perf_counter()

        def fun(t, th):
            state["nfev"] += 1
            state["t"] = max(state["t"], t)
            if time.perf_counter() - start > wall:
                raise WallLimit()
            return rhs(t, th)

        try:
            # t_eval=[T]: only the final state is kept (P can be 10⁶, one copy per step would not fit).
            sol = solve_ivp(fun, (0.0, T), theta0, method=method, rtol=rtol, atol=atol, t_eval=[T])
            elapsed = time.perf_counter() - start
            if sol.status != 0:
                result(method=method, status="failed", t=state["t"], wall=elapsed, nfev=state["nfev"])
                continue
            save(D, f"theta_{method}.bin", sol.y[:, -1])
            result(method=method, status="completed", t=T, wall=elapsed, nfev=sol.nfev)
        except WallLimit:
            elapsed = time.perf_counter() - start
            result(method=method, status="wall_limit", t=state["t"], wall=elapsed, nfev=state["nfev"])


if __name__ == "__main__":
    main()
