"""The Python module against the mathematics and against the CLI (docs/python.md)."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import gradflow
from gradflow import data, theory

# Small enough for a fast suite; relu2 gf goes through the switching integrator.
SMALL = {
    "seed": 3,
    "data": {"kind": "sphere", "n": 20, "d": 5},
    "model": {"kind": "relu2", "width": 50},
    "run": {"t_end": 2.0, "samples": 21},
    "methods": [{"kind": "gf"}, {"kind": "gd", "eta": 0.05, "name": "gd"}],
}


# --- registries and configuration ---------------------------------------------------------

def test_registries_describe_every_kind():
    models, methods = gradflow.model_kinds(), gradflow.method_kinds()
    assert {"relu2", "two_layer", "linear2"} <= set(models)
    assert {"gf", "gd", "hbf", "nag"} <= set(methods)
    width = {k["name"]: k for k in models["relu2"]["keys"]}["width"]
    assert width["type"] == "integer" and width["default"] == 1000
    assert methods["gd"]["space"] == "discrete" and "gf" in methods["gd"]["twins"]
    assert methods["hbf"]["order"] == 2
    for kind in list(models.values()) + list(methods.values()):
        assert kind["summary"], kind["name"]
    # The registry's keys are what Model accepts: every relu2 key by its name.
    X, y = data.sphere(6, 3, seed=1)
    opts = {k["name"]: k["default"] for k in models["relu2"]["keys"] if not k["required"]}
    opts["width"] = 8
    assert gradflow.Model("relu2", X, y, **opts).options["width"] == 8


def test_to_toml_round_trips_through_tomllib():
    import tomllib
    cfg = {"seed": 2, "data": {"n": 7, "label_scale": 0.5, "kind": "sphere"}, "flag": True,
           "methods": [{"kind": "gf"}, {"kind": "gd", "eta": 1e-3, "name": "g \"1\""}], "x": [1.5, float("inf")]}
    assert tomllib.loads(gradflow.to_toml(cfg)) == cfg
    assert "[[methods]]" in gradflow.to_toml(cfg)


def test_config_forms_agree(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(gradflow.to_toml(SMALL))
    a = gradflow.run(SMALL)
    b = gradflow.run(path.read_text())
    c = gradflow.run(str(path))
    d = gradflow.run(path)
    for r in (b, c, d):
        np.testing.assert_array_equal(np.asarray(r["gf"]), np.asarray(a["gf"]))
        assert r.info["config"] == a.info["config"]
    wide = gradflow.run(SMALL, overrides={"model.width": 60})
    assert wide.info["config"]["model"]["width"] == 60 and wide.info["model"]["num_params"] == 60 * 5
    assert gradflow.run(SMALL, overrides=["model.width=60"]).info["model"]["num_params"] == 300


def test_threads():
    assert gradflow.thread_count() == 1  # the CLI's default
    gradflow.set_threads(2)
    assert gradflow.thread_count() == 2
    gradflow.set_threads(1)
    with pytest.raises(ValueError, match="threads: must be at least 1"):
        gradflow.set_threads(0)


def test_default_experiment_is_the_cli_default():
    text = gradflow.default_experiment()
    assert 'kind = "relu2"' in text and "[[methods]]" in text


@pytest.mark.parametrize("config, overrides, needle", [
    (dict(SMALL, colour=1), None, "unknown key 'colour'"),
    (SMALL, {"model.width": -3}, "model.width"),
    (SMALL, {"model.kind": "cnn"}, "model.kind: unknown kind 'cnn'"),
    ("no/such/file.toml", None, "config: no such file"),
    (3, None, "config: expected"),
    (SMALL, 5, "overrides:"),
])
def test_bad_configuration_is_a_value_error(config, overrides, needle):
    with pytest.raises(ValueError) as e:
        gradflow.run(config, overrides=overrides)
    assert needle in str(e.value) and "\n" not in str(e.value)


# --- data -----------------------------------------------------------------------------------

def test_data_sets():
    X, y = data.sphere(30, 4, seed=5)
    assert X.shape == (30, 4) and y.shape == (30,) and X.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(X, axis=1), 1.0, rtol=1e-12)
    X2, y2 = data.sphere(30, 4, seed=5)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(X, data.sphere(30, 4, seed=6)[0])
    assert X.flags.f_contiguous  # the library's matrix, not copied
    Xg, _ = data.gaussian(10, 3, seed=1)
    assert Xg.shape == (10, 3) and not np.allclose(np.linalg.norm(Xg, axis=1), 1.0)
    Xt, yt = data.teacher(12, 3, seed=1, teacher_width=5, noise=0.0)
    assert Xt.shape == (12, 3) and yt.shape == (12,)
    Xl, Yl = data.linear(15, 4, seed=1, k=2, noise=0.0, orthogonal=False)
    assert Yl.shape == (15, 2)
    # noise-free linear targets lie in the column space of X
    coef, *_ = np.linalg.lstsq(Xl, Yl, rcond=None)
    np.testing.assert_allclose(Xl @ coef, Yl, atol=1e-10)
    Xs, ys = data.scalar(y=2.0)
    assert Xs.shape[0] == 1 and ys[0] == 2.0
    Xd, yd = data.digits(n=40)
    assert Xd.shape[0] == 40 and Xd.shape[1] == 64
    Xb, yb = data.diabetes()
    assert Xb.shape == (442, 10)
    assert data.make("sphere", n=3, d=2, seed=1)[0].shape == (3, 2)


def test_csv_data(tmp_path):
    path = tmp_path / "points.csv"
    rows = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, -1.0], [4.0, 4.0, 0.5]])
    np.savetxt(path, rows, delimiter=",")
    X, y = data.csv(path=str(path), normalize="none", standardize_targets=False)
    np.testing.assert_array_equal(X, rows[:, :2])
    np.testing.assert_array_equal(y, rows[:, 2])


def test_bad_data_options():
    with pytest.raises(ValueError, match="unknown key 'data.colour'"):
        data.sphere(10, 3, colour=2)
    with pytest.raises(ValueError, match="data.n"):
        data.sphere(-1, 3)
    with pytest.raises(ValueError, match="seed"):
        data.sphere(10, 3, seed=-1)


# --- models: the mathematics --------------------------------------------------------------

def fd_jacobian(model, theta, eps=1e-6):
    J = np.empty((model.num_outputs, model.num_params))
    for j in range(model.num_params):
        e = np.zeros_like(theta)
        e[j] = eps
        J[:, j] = (model.predict(theta + e) - model.predict(theta - e)) / (2 * eps)
    return J


@pytest.mark.parametrize("kind, options", [
    ("two_layer", {"width": 7, "activation": "tanh"}),
    ("two_layer", {"width": 6, "activation": "softplus", "beta": 2.0}),
    ("relu2", {"width": 8}),
    ("linear2", {"width": 4}),
    ("mlp", {"depth": 3, "width": 5, "activation": "tanh", "bias": True}),
    ("mlp", {"depth": 4, "width": 4, "train": "1, 3"}),
])
def test_gradient_jvp_ntk_against_finite_differences(kind, options):
    X, y = data.sphere(9, 3, seed=2)
    model = gradflow.Model(kind, X, y, seed=4, **options)
    theta = model.theta0 + 0.01 * np.random.default_rng(0).standard_normal(model.num_params)
    J = fd_jacobian(model, theta)
    r = np.random.default_rng(1).standard_normal(model.num_outputs)
    v = np.random.default_rng(2).standard_normal(model.num_params)
    # ReLU kinks are met with probability 0 at eps = 1e-6; smooth kinds are O(eps²).
    np.testing.assert_allclose(model.gradient(theta, r), J.T @ r, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(model.jvp(theta, v), J @ v, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(model.ntk(theta), J @ J.T, rtol=1e-6, atol=1e-8)
    assert model.lambda_min(theta) == pytest.approx(np.linalg.eigvalsh(J @ J.T)[0], rel=1e-5, abs=1e-9)
    # The loss: L = (c/2)|f - y|², ∇L = Jᵀ c (f - y).
    f = model.predict(theta)
    np.testing.assert_allclose(model.residual(theta), f - y, rtol=1e-14, atol=1e-14)
    L, g = model.loss_gradient(theta)
    assert L == pytest.approx(0.5 * model.c * np.sum((f - y) ** 2), rel=1e-13)
    assert model.loss(theta) == pytest.approx(L, rel=1e-14)
    np.testing.assert_allclose(g, model.gradient(theta, model.c * (f - y)), rtol=1e-12, atol=1e-14)


def test_mean_reduction_scales_the_loss():
    X, y = data.sphere(10, 3, seed=2)
    s = gradflow.Model("two_layer", X, y, width=5, activation="tanh")
    m = gradflow.Model("two_layer", X, y, width=5, activation="tanh", reduction="mean")
    assert m.c == pytest.approx(1 / 10) and s.c == 1.0
    assert m.loss(m.theta0) == pytest.approx(s.loss(s.theta0) / 10, rel=1e-14)
    with pytest.raises(ValueError, match="reduction"):
        gradflow.Model("two_layer", X, y, reduction="median")


def test_model_properties_and_theta0_of_a_run():
    X, y = data.sphere(20, 5, seed=3)
    model = gradflow.Model("relu2", X, y, seed=3, width=50)
    assert model.kind == "relu2" and model.num_params == 250 and model.num_outputs == 20
    assert "relu2" in repr(model)
    np.testing.assert_array_equal(model.X, X)
    np.testing.assert_array_equal(model.Y[:, 0], y)
    t0 = model.theta0
    t0[:] = 0  # a copy: the model's θ0 is untouched
    assert np.any(model.theta0 != 0)
    # Same seed and data: the run's θ0, so its L(0), λ_min(H0) and λ0 are these, exactly.
    info = gradflow.run(SMALL).info
    assert info["loss0"] == model.loss(model.theta0)
    assert info["lambda_min_H0"] == model.lambda_min(model.theta0)
    assert info["lambda0"] == theory.lambda0(X)
    cols = model.diagnostic_columns
    assert cols and set(model.diagnostics(model.theta0)) == set(cols)
    assert model.diagnostics(model.theta0)["pattern_change"] == 0.0


def test_gradient_timed_in_cpp(small_model):
    m = small_model
    assert 0 < m._time_gradient(m.theta0, np.ones(m.num_outputs), 10) < 1


def test_model_option_errors():
    X, y = data.sphere(5, 2, seed=1)
    with pytest.raises(ValueError, match="unknown key 'model.depth'"):
        gradflow.Model("relu2", X, y, depth=3)
    with pytest.raises(ValueError, match="model.kind: unknown kind 'resnet' \\(expected .*relu2"):
        gradflow.Model("resnet", X, y)
    with pytest.raises(ValueError, match="model.train: layer 5 does not exist"):
        gradflow.Model("mlp", X, y, depth=3, train="1, 5")
    with pytest.raises(ValueError, match="model.activation"):
        gradflow.Model("two_layer", X, y, activation="sigmoid")


# --- arrays -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_model():
    X, y = data.sphere(6, 3, seed=1)
    return gradflow.Model("two_layer", X, y, width=4, activation="tanh")


def bad_theta_cases(P):
    return [
        (np.zeros(P, dtype=np.int64), "theta: expected dtype float64, got int64"),
        (np.zeros(P, dtype=np.float32), "theta: expected dtype float64, got float32"),
        (np.zeros((P, 1)), f"theta: expected a 1-D array, got shape ({P}, 1)"),
        (np.zeros(P + 1), f"theta: expected length {P} (model.num_params), got {P + 1}"),
        (np.zeros(2 * P)[::2], "theta: array is not contiguous (use np.ascontiguousarray(theta))"),
        ([0.0] * P, "theta: expected a numpy.ndarray of float64, got list (use np.asarray(theta, dtype=np.float64))"),
        (None, "theta: expected a numpy.ndarray of float64, got NoneType (use np.asarray(theta, dtype=np.float64))"),
    ]


def test_bad_theta_raises_one_line(small_model):
    m = small_model
    r = np.zeros(m.num_outputs)
    for bad, message in bad_theta_cases(m.num_params):
        for call in (lambda: m.predict(bad), lambda: m.gradient(bad, r), lambda: m.ntk(bad),
                     lambda: m.lambda_min(bad), lambda: m.loss(bad), lambda: m.jvp(bad, m.theta0)):
            with pytest.raises(ValueError) as e:
                call()
            assert str(e.value) == message


def test_bad_r_v_and_matrices(small_model):
    m, th = small_model, small_model.theta0
    with pytest.raises(ValueError) as e:
        m.gradient(th, np.zeros(m.num_outputs + 2))
    assert str(e.value) == f"r: expected length {m.num_outputs} (model.num_outputs), got {m.num_outputs + 2}"
    with pytest.raises(ValueError, match=r"^v: expected length"):
        m.jvp(th, np.zeros(3))
    X = np.asfortranarray(data.sphere(6, 3, seed=1)[0])
    y = np.ones(6)
    cases = [
        (lambda: gradflow.Model("relu2", X[:, ::2], y), "X: array is not contiguous (use np.ascontiguousarray(X))"),
        (lambda: gradflow.Model("relu2", X[0], y), "X: expected a 2-D array, got shape (3,)"),
        (lambda: gradflow.Model("relu2", X.astype(np.float32), y), "X: expected dtype float64, got float32"),
        (lambda: gradflow.Model("relu2", np.where(X > 0.5, np.nan, X), y), "X: contains NaN or infinite entries"),
        (lambda: gradflow.Model("relu2", X, np.ones(5)), "y: expected length 6 (the rows of X), got 5"),
        (lambda: gradflow.Model("relu2", X, np.ones((5, 1))), "y: expected 6 rows (the rows of X), got 5"),
        (lambda: gradflow.Model("relu2", X, y, seed=-2), "seed: must be non-negative"),
        (lambda: gradflow.Model("relu2", np.zeros((0, 3)), np.zeros(0)),
         "X: expected at least one row and one column, got shape (0, 3)"),
        (lambda: theory.h_infinity(X.tolist()), "X: expected a numpy.ndarray of float64, got list (use np.asarray(X, dtype=np.float64))"),
        (lambda: theory.lambda_min(np.ones((2, 3))), "H: expected a square matrix, got 2x3"),
        (lambda: theory.xu(X, y, X, X), "Y: expected a 2-D array, got shape (6,)"),
        (lambda: theory.xu_spectral_step(X, X), "W1, W2: give both (linear2) or neither (one layer)"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError) as e:
            call()
        assert str(e.value) == message
    # C and Fortran order give the same model.
    a = gradflow.Model("relu2", np.ascontiguousarray(X), y, width=5)
    b = gradflow.Model("relu2", X, y, width=5)
    np.testing.assert_array_equal(a.predict(a.theta0), b.predict(b.theta0))


# --- theory -------------------------------------------------------------------------------

def test_kernels():
    X, _ = data.sphere(12, 4, seed=7)
    H = theory.h_infinity(X)
    A = theory.row_angles(X)
    np.testing.assert_allclose(A, np.arccos(np.clip(X @ X.T, -1, 1)), atol=1e-7)
    np.testing.assert_allclose(H, (X @ X.T) * (np.pi - A) / (2 * np.pi), atol=1e-7)
    np.testing.assert_allclose(np.diag(H), 0.5, rtol=1e-12)  # unit inputs
    lam = theory.lambda_min(H)
    assert lam == pytest.approx(np.linalg.eigvalsh(H)[0], rel=1e-10) and lam > 0
    assert theory.lambda0(X) == lam
    np.testing.assert_allclose(theory.two_layer_h_infinity(X, 0.7, 1.3),
                               theory.kernel_outer(X, 1.3) + theory.kernel_inner(X, 0.49), rtol=1e-12)
    np.testing.assert_allclose(theory.kernel_inner(X, 1.0), H, rtol=1e-12)
    np.testing.assert_allclose(np.diag(theory.kernel_outer(X, 2.0)), 4.0 / 2, rtol=1e-12)


def test_xu_quantities():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((8, 3))
    Y = rng.standard_normal((8, 2))
    W1 = 0.3 * rng.standard_normal((3, 4))
    W2 = 0.3 * rng.standard_normal((4, 2))
    q = theory.xu(X, Y, W1, W2)
    s = np.linalg.svd(X, compute_uv=False)
    assert q["sigma_max"] == pytest.approx(s[0], rel=1e-12) and q["sigma_min"] == pytest.approx(s[-1], rel=1e-12)
    assert q["kappa"] == pytest.approx((s[0] / s[-1]) ** 2, rel=1e-12)
    assert q["loss0"] == pytest.approx(0.5 * np.sum((Y - X @ W1 @ W2) ** 2), rel=1e-12)
    D = W1.T @ W1 - W2 @ W2.T
    np.testing.assert_allclose(q["imbalance_eigenvalues"], np.sort(np.linalg.eigvalsh(D))[::-1], atol=1e-12)
    assert 0 < q["eta_star"] <= q["eta_max"] == min(q["eta_max_1"], q["eta_max_2"])
    f = lambda e: 1 - q["a1"] * e + q["a2"] * e ** 2 + q["a3"] * e ** 3 + q["a4"] * e ** 4  # noqa: E731
    assert q["rate"] == pytest.approx(f(q["eta_star"]), rel=1e-12) and q["rate"] < 1
    one = theory.xu_spectral_step(X)
    assert one["eta"] == pytest.approx(2 / (s[0] ** 2 + s[-1] ** 2), rel=1e-12)
    two = theory.xu_spectral_step(X, W1, W2)
    assert two["contraction"] == pytest.approx((two["K"] * two["tau_max"] - two["mu"] * two["tau_min"]) /
                                               (two["K"] * two["tau_max"] + two["mu"] * two["tau_min"]), rel=1e-12)
    with pytest.raises(ValueError, match="c1"):
        theory.xu(X, Y, W1, W2, c1=1.5)


def test_theory_report():
    report = gradflow.theory(SMALL)
    X, _ = data.sphere(20, 5, seed=3)
    assert report["lambda0"] == theory.lambda0(X)
    assert report["n"] == 20 and report["config"]["model"]["width"] == 50
    assert report["H_inf_diag_mean"] == pytest.approx(0.5)  # unit inputs
    assert report == theory.report(SMALL)
    assert "lambda0" in theory.text(SMALL)


# --- runs ---------------------------------------------------------------------------------

def test_run_result():
    r = gradflow.run(SMALL)
    assert r.keys() == ["gf", "gd"] and "gf" in r and list(r) == ["gf", "gd"]
    gf = r["gf"]
    assert list(gf.columns[:2]) == ["t", "loss"] and len(gf) == 21
    np.testing.assert_allclose(gf["t"], np.linspace(0, 2, 21), rtol=1e-15)
    assert np.all(np.diff(gf["loss"]) < 0)  # gradient flow decreases the loss
    assert r.info["status"] == "complete" and not r.interrupted and r.stopped_by == ""
    assert [m["status"] for m in r.methods] == ["completed", "completed"]
    assert "gf" in r.text and "gradflow.Result run" in repr(r)
    with pytest.raises(KeyError, match="'hb'"):
        r["hb"]


def test_without_pandas(monkeypatch):
    monkeypatch.setattr(gradflow, "_pd", None)
    r = gradflow.run(SMALL)
    gf = r["gf"]
    assert isinstance(gf, dict) and isinstance(gf["loss"], np.ndarray) and gf["t"][-1] == 2.0
    np.testing.assert_array_equal(gf["loss"], r._tables[0][2][:, 1])  # a view of the run's table
    cmp = gradflow.compare(dict(SMALL, model={"kind": "two_layer", "width": 5, "activation": "tanh"},
                                methods=[{"kind": "gd", "eta": 0.05}]), etas=[0.05], horizon=0.5)["compare"]
    assert isinstance(cmp, dict) and cmp["method"][0] == "gd_vs_gf" and cmp["eta"].dtype == np.float64


def test_run_equals_cli_bit_for_bit(tmp_path, cli):
    cfg = tmp_path / "small.toml"
    cfg.write_text(gradflow.to_toml(SMALL))
    subprocess.run([cli, "run", str(cfg), "--out", str(tmp_path / "cli"), "--no-live"], check=True,
                   capture_output=True)
    r = gradflow.run(str(cfg))
    r.save(tmp_path / "py", figures=False)
    for name in ("gf", "gd"):
        cli_csv = (tmp_path / "cli" / f"{name}.csv").read_bytes()
        assert (tmp_path / "py" / f"{name}.csv").read_bytes() == cli_csv
        # The in-memory table itself, written as the CLI writes numbers (%.10g).
        lines = [",".join(r[name].columns)] + [",".join("%.10g" % x for x in row) for row in np.asarray(r[name])]
        assert "\n".join(lines) + "\n" == cli_csv.decode()
    a = json.loads((tmp_path / "cli" / "run.json").read_text())
    b = json.loads((tmp_path / "py" / "run.json").read_text())

    def strip(j):
        j = dict(j, wall_seconds=None, methods=[dict(m, counters=dict(m["counters"], wall_seconds=None))
                                                  for m in j["methods"]])
        return j
    assert strip(a) == strip(b)
    with pytest.raises(ValueError, match="holds an earlier result"):
        r.save(tmp_path / "py")
    r.save(tmp_path / "py", force=True)  # with the CLI's figures (gnuplot is in scripts/setup.sh)
    assert sorted(f.name for f in (tmp_path / "py").glob("*.png")) == sorted(f.name for f in (tmp_path / "cli").glob("*.png"))
    assert any((tmp_path / "py").glob("*.png"))


def test_sweep_equals_cli_and_resumes(tmp_path, cli):
    cfg = tmp_path / "small.toml"
    cfg.write_text(gradflow.to_toml(SMALL))
    subprocess.run([cli, "sweep", str(cfg), "--out", str(tmp_path / "cli"), "--grid", "seed=1..2",
                    "--grid", "model.width=10,20"], check=True, capture_output=True)
    table = gradflow.sweep(str(cfg), grid={"seed": "1..2", "model.width": [10, 20]}, out=tmp_path / "py", jobs=2)
    assert table.attrs["sweep"]["status"] == "complete"
    assert len(table) == 4 * len(table.attrs["sweep"]["base_config"]["methods"])

    def strip(path):  # sweep.csv without its wall_seconds column (the last)
        return [line.rsplit(",", 1)[0] for line in path.read_text().splitlines()]
    assert strip(tmp_path / "py" / "sweep.csv") == strip(tmp_path / "cli" / "sweep.csv")
    again = gradflow.sweep(str(cfg), grid={"seed": "1..2", "model.width": [10, 20]}, out=tmp_path / "py")
    assert [p["runs"] for p in again.attrs["sweep"]["points"]] == [1, 1, 1, 1]  # nothing ran twice
    with pytest.raises(ValueError, match="unknown key 'model.widht'"):
        gradflow.sweep(str(cfg), grid={"model.widht": [10]})
    with pytest.raises(ValueError, match="no values"):
        gradflow.sweep(str(cfg), grid={"seed": []})


def test_callback_sees_every_sample_and_stops_the_run():
    seen = []
    r = gradflow.run(SMALL, callback=lambda t, cols, method: seen.append((method, t, cols["loss"])))
    assert [s[1] for s in seen if s[0] == "gf"] == list(r["gf"]["t"])
    assert [s[2] for s in seen if s[0] == "gd"] == list(r["gd"]["loss"])

    r = gradflow.run(SMALL, callback=lambda t, cols: t >= 0.5)
    assert r.interrupted and r.stopped_by == "callback" and r.info["status"] == "interrupted"
    assert r["gf"]["t"].iloc[-1] == pytest.approx(0.5)
    assert [m["status"] for m in r.methods] == ["interrupted", "pending"]
    assert "gd" in r and len(r["gd"]) == 0
    # The interrupt flag the stop used is cleared: the next run completes.
    assert gradflow.run(SMALL).info["status"] == "complete"


def test_callback_error_is_raised():
    def boom(t, cols):
        if t > 0.3:
            raise RuntimeError("from the callback")
    with pytest.raises(RuntimeError, match="from the callback"):
        gradflow.run(SMALL, callback=boom)
    with pytest.raises(ValueError, match="callback: expected a callable"):
        gradflow.run(SMALL, callback=3)
    assert gradflow.run(SMALL).info["status"] == "complete"


def test_sigint_in_process_interrupts():
    def ctrl_c(t, cols):
        if t >= 0.6:
            os.kill(os.getpid(), signal.SIGINT)
    r = gradflow.run(SMALL, callback=ctrl_c)
    assert r.interrupted and r.stopped_by == "SIGINT"
    assert [m["status"] for m in r.methods] == ["interrupted", "pending"]
    assert 0.6 <= r["gf"]["t"].iloc[-1] <= 0.8


def test_sigint_stops_a_long_run_without_the_gil(tmp_path):
    # The child says when its first sample is out; SIGINT then lands while C++ integrates (no
    # GIL held), and the next sample's check stops the run.
    child = textwrap.dedent("""
        import json, sys, gradflow
        cfg = {"seed": 1, "data": {"n": 40, "d": 8}, "model": {"kind": "two_layer", "width": 400,
               "activation": "tanh"}, "run": {"t_end": 1e4, "samples": 10001, "rtol": 1e-10, "atol": 1e-12},
               "methods": [{"kind": "gf"}, {"kind": "gd", "eta": 0.01}]}
        def first(t, columns):
            if t == 0:
                print("ready", flush=True)
        r = gradflow.run(cfg, callback=first)
        print(json.dumps({"interrupted": r.interrupted, "by": r.stopped_by, "rows": len(r["gf"]),
                          "status": [m["status"] for m in r.methods], "run": r.info["status"]}), flush=True)
    """)
    p = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    assert p.stdout.readline().strip() == "ready"
    time.sleep(0.5)  # the flow needs minutes
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == 0, out
    res = json.loads(out.strip().splitlines()[-1])
    assert res["interrupted"] and res["by"] == "SIGINT" and res["run"] == "interrupted"
    assert res["status"] == ["interrupted", "pending"] and 0 < res["rows"] < 10001


# --- compare and reproduce ----------------------------------------------------------------

def test_compare(tmp_path):
    cfg = dict(SMALL, model={"kind": "two_layer", "width": 10, "activation": "tanh"},
               methods=[{"kind": "gd", "eta": 0.05}])
    r = gradflow.compare(cfg, etas=[0.1, 0.05, 0.025], horizon=1.0)
    c = r["compare"]
    gf = c[c["method"] == "gd_vs_gf"].sort_values("eta")
    assert len(gf) == 3
    # GD tracks gradient flow to O(η): halving η halves the gap.
    dev = np.asarray(gf["max_param_dev"])
    assert np.all(np.diff(dev) > 0)
    assert dev[1] / dev[0] == pytest.approx(2, rel=0.2)
    assert r.info["horizon"] == 1.0 and "gd" in r.text
    r.save(tmp_path / "cmp")
    with open(os.path.join(r._folder_path(), "compare.csv")) as f:
        assert (tmp_path / "cmp" / "compare.csv").read_text() == f.read()
    assert json.loads((tmp_path / "cmp" / "compare.json").read_text()) == r.info
    with pytest.raises(ValueError, match="horizon"):
        gradflow.compare(cfg, horizon=-1)


def test_reproduce_and_recipes(tmp_path):
    names = gradflow.recipes()
    assert "sbc2014" in names and names["sbc2014"]
    r = gradflow.reproduce("sbc2014", size="tiny", out=tmp_path / "sbc")
    assert r.claims and all(c["verdict"] in ("PASS", "FAIL", "INCONCLUSIVE") for c in r.claims)
    assert (tmp_path / "sbc" / "summary.json").exists() and len(r["summary"]) > 0
    assert "PASS" in r.text
    r.save(tmp_path / "copy")
    assert (tmp_path / "copy" / "report.md").exists()
    with pytest.raises(ValueError, match="recipe"):
        gradflow.reproduce("no_such_recipe", size="tiny", out=tmp_path / "x")
    with pytest.raises(ValueError):
        gradflow.reproduce("sbc2014", size="huge", out=tmp_path / "y")
