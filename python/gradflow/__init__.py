"""gradflow from Python: the C++ library's experiments, models, data sets and theory.

    import gradflow
    result = gradflow.run({"model": {"width": 200}}, overrides={"run.t_end": 5})
    result["gf"]          # pandas DataFrame (dict of NumPy arrays without pandas): t, loss, ...
    result.info           # run.json as a dict
    result.save("runs/a") # the run folder the CLI writes

Every model, method and key comes from the library's registries (model_kinds(),
method_kinds()); nothing here lists them. docs/python.md is the guide.
"""
import inspect
import json
import math
import os
import re
import shutil
import tempfile

# The library finds its data sets, plot templates and recipes through GRADFLOW_SHARE: the
# copy shipped inside an installed package, or build/share/gradflow next to build/python.
_here = os.path.dirname(os.path.abspath(__file__))
for _share in (os.path.join(_here, "share"), os.path.join(_here, "..", "..", "share", "gradflow")):
    if os.path.isdir(os.path.join(_share, "recipes")):
        os.environ.setdefault("GRADFLOW_SHARE", os.path.normpath(_share))
        break

from . import _core  # noqa: E402
from . import data, theory  # noqa: E402,F401

try:
    import pandas as _pd
except ImportError:  # a dict of NumPy arrays then
    _pd = None
import numpy as _np  # noqa: E402

__version__ = _core.version

# One thread, as the CLI's default: spinning OpenMP workers on a shared machine cost 10-80x
# (docs/performance.md), and one thread gives the CLI's bits.
_core.set_threads(1)


def set_threads(threads):
    """Threads of the GEMMs and kernels (default 1, as the CLI's --threads)."""
    _core.set_threads(int(threads))


def thread_count():
    return _core.thread_count()

__all__ = ["run", "compare", "theory", "reproduce", "recipes", "Model", "Result", "data", "model_kinds",
           "method_kinds", "default_experiment", "to_toml",
           "set_threads", "thread_count"]


# --- configuration -------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(k):
    if not isinstance(k, str):
        raise ValueError(f"config: keys must be strings, got {type(k).__name__} {k!r}")
    return k if _BARE_KEY.match(k) else json.dumps(k)


def _value(v, where):
    """A Python value as a TOML value (the syntax of `--set key=value`)."""
    if isinstance(v, (bool, _np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, _np.integer)):
        return str(int(v))
    if isinstance(v, (float, _np.floating)):
        v = float(v)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string: JSON's escapes are TOML's
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_value(x, where) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(x, where)}" for k, x in v.items()) + "}"
    raise ValueError(f"{where}: cannot write a {type(v).__name__} as a TOML value")


def to_toml(config):
    """A nested dict as TOML text: dicts become tables, lists of dicts arrays of tables
    ({"methods": [{"kind": "gf"}]} is [[methods]] kind = "gf")."""
    lines = []

    def table(d, path):
        subs = []
        for k, v in d.items():
            if isinstance(v, dict):
                subs.append((k, v, False))
            elif isinstance(v, (list, tuple)) and v and all(isinstance(x, dict) for x in v):
                subs.append((k, v, True))
            else:
                lines.append(f"{_key(k)} = {_value(v, '.'.join(path + [str(k)]))}")
        for k, v, array in subs:
            name = path + [_key(k)]
            for entry in (v if array else [v]):
                lines.append("")
                lines.append(("[[%s]]" if array else "[%s]") % ".".join(name))
                table(entry, name)

    if not isinstance(config, dict):
        raise ValueError(f"config: expected a dict, got {type(config).__name__}")
    table(config, [])
    return "\n".join(lines) + "\n"


def _source(config):
    """(text, is_path) for the C++ side: a dict, TOML text, a path, or None (the default)."""
    if config is None:
        return _core.default_experiment(), False
    if isinstance(config, dict):
        return to_toml(config), False
    if isinstance(config, os.PathLike):
        return os.fspath(config), True
    if isinstance(config, str):
        # TOML has '=' or a table header on some line; a path has neither.
        if "\n" in config or "=" in config or config.lstrip().startswith("["):
            return config, False
        if not os.path.isfile(config):
            raise ValueError(f"config: no such file '{config}' (pass a dict, TOML text or a path)")
        return config, True
    raise ValueError(f"config: expected a dict, TOML text or a path, got {type(config).__name__}")


def _sets(overrides):
    """{"model.width": 200} or ["model.width=200"] as `--set` assignments."""
    if overrides is None:
        return []
    if isinstance(overrides, dict):
        return [f"{k}={_value(v, k)}" for k, v in overrides.items()]
    if isinstance(overrides, (list, tuple)) and all(isinstance(s, str) for s in overrides):
        return list(overrides)
    raise ValueError("overrides: expected a dict {key: value} or a list of 'key=value' strings")


# --- results -------------------------------------------------------------------------------

def _frame(columns, values):
    """A DataFrame over the (rows x columns) array, or a dict of its column views."""
    if _pd is not None:
        return _pd.DataFrame(values, columns=list(columns), copy=False)
    return {c: values[:, j] for j, c in enumerate(columns)}


def _read_csv(path):
    if _pd is not None:
        return _pd.read_csv(path)
    import csv
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    out = {}
    for j, name in enumerate(rows[0]):
        col = [r[j] for r in rows[1:]]
        try:
            out[name] = _np.array([float(x) for x in col])
        except ValueError:
            out[name] = _np.array(col, dtype=object)
    return out


class Result:
    """What run, compare and reproduce return.

    result[name]    one table: a pandas DataFrame (a dict of NumPy arrays without pandas);
                    for run the method names (result["gf"]), for compare "compare", for
                    reproduce "summary"
    result.info     the folder's JSON report as a dict (run.json, compare.json, summary.json)
    result.text     the summary the CLI prints
    result.interrupted, result.stopped_by   run only: True and "SIGINT" / "callback" when
                    the run was stopped before every method finished
    result.save(path, force=False)          writes the folder the CLI writes
    """

    def __init__(self, kind, info, frames, text, interrupted=False, stopped_by="", tables=None, folder=None,
                 claims=None):
        self.kind = kind
        self.info = info
        self._frames = frames
        self.text = text
        self.interrupted = interrupted
        self.stopped_by = stopped_by
        self.claims = claims or []
        self._tables = tables
        self._folder = folder  # compare/reproduce: the files as the library wrote them

    def __getitem__(self, name):
        if name not in self._frames:
            raise KeyError(f"{name!r}: the result has {', '.join(self._frames) or 'no tables'}")
        return self._frames[name]

    def __contains__(self, name):
        return name in self._frames

    def __iter__(self):
        return iter(self._frames)

    def keys(self):
        return list(self._frames)

    @property
    def methods(self):
        """run: the method entries of run.json (name, kind, status, ...), in file order."""
        return self.info.get("methods", [])

    def __repr__(self):
        state = " interrupted" if self.interrupted else ""
        return f"<gradflow.Result {self.kind}{state}: {', '.join(self._frames)}>"

    def save(self, path, force=False, figures=True):
        """Writes the CLI's folder at `path`: for run, run.json and one CSV per method written by
        the library's CSV writer (byte for byte the CLI's), and its figures when gnuplot is
        installed and `figures`. An existing folder is replaced only with force=True."""
        path = os.fspath(path)
        if self.kind == "run":
            _core.save_run(path, bool(force), self.info, self._tables, bool(figures))
            return path
        if os.path.exists(path):
            if not force:
                raise ValueError(f"path: '{path}' exists (save(..., force=True) replaces it)")
            shutil.rmtree(path)
        shutil.copytree(self._folder_path(), path)
        return path

    def _folder_path(self):
        return self._folder.name if hasattr(self._folder, "name") else self._folder


def _sample_caller(callback):
    """The C++ side calls (method, t, columns); the user's callback takes (t, columns) or
    (t, columns, method)."""
    if callback is None:
        return None
    if not callable(callback):
        raise ValueError(f"callback: expected a callable f(t, columns), got {type(callback).__name__}")
    # The method goes third to a parameter named `method`, a third required positional one or *args
    # (so f(t, columns, line=line) keeps its default).
    try:
        params = list(inspect.signature(callback).parameters.values())
        required = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and
                    p.default is p.empty]
        three = (len(required) >= 3 or any(p.kind == p.VAR_POSITIONAL for p in params) or
                 any(p.name == "method" for p in params[2:]))
    except (TypeError, ValueError):
        three = False
    if three:
        return lambda method, t, columns: callback(t, columns, method)
    return lambda method, t, columns: callback(t, columns)


def run(config=None, overrides=None, callback=None):
    """Runs an experiment: `config` is a dict, TOML text or a path (None: the default
    experiment), `overrides` a dict {"model.width": 200} applied like `--set`.

    callback(t, columns[, method]) is called at every sample of every method, `columns` a dict
    of that row (t included), `method` the method's name when f has a third parameter named
    `method` (or a third without default, or *args); returning True stops the run there (the running method ends
    "interrupted", the rest stay "pending"). An exception in the callback stops the run and is
    raised. The integration runs without the GIL; Ctrl-C stops it at its next sample and the
    partial Result comes back with result.interrupted = True (result.stopped_by = "SIGINT").

    Copies: each method's rows are copied once into one array; the DataFrames view it."""
    text, is_path = _source(config)
    out = _core.run(text, is_path, _sets(overrides), _sample_caller(callback))
    frames = {name: _frame(columns, values) for name, columns, values, _ in out["tables"]}
    return Result("run", out["info"], frames, _core.summary(out["info"]), out["interrupted"], out["stopped_by"],
                  tables=out["tables"])


def compare(config=None, overrides=None, etas=None, horizon=None, figures=False):
    """`gradflow compare`: the experiment's discrete methods against their flows over step sizes
    `etas` (None: 2.5, 1, 1/2, 1/4, 1/8 over lambda_max), for flow time `horizon` (None:
    run.t_end). result["compare"] is compare.csv, result.info compare.json."""
    text, is_path = _source(config)
    folder = tempfile.TemporaryDirectory(prefix="gradflow-compare-")
    summary = _core.compare(text, is_path, _sets(overrides), [float(e) for e in (etas or [])],
                            float(horizon or 0.0), folder.name, bool(figures))
    with open(os.path.join(folder.name, "compare.json")) as f:
        info = json.load(f)
    frames = {"compare": _read_csv(os.path.join(folder.name, "compare.csv"))}
    return Result("compare", info, frames, summary, folder=folder)


def reproduce(name, size="default", overrides=None, out=None, force=False, figures=False):
    """`gradflow reproduce NAME`: runs a shipped recipe (recipes() lists them) at `size` (tiny,
    default or full) into `out` (None: a temporary folder, kept while the Result lives).
    result.claims holds the verdicts, result["summary"] summary.csv, result.info summary.json."""
    folder = None
    if out is None:
        folder = tempfile.TemporaryDirectory(prefix="gradflow-reproduce-")
        out = os.path.join(folder.name, name)
    out = os.fspath(out)
    claims, text = _core.reproduce(name, size, _sets(overrides), out, bool(force), bool(figures))
    with open(os.path.join(out, "summary.json")) as f:
        info = json.load(f)
    frames = {"summary": _read_csv(os.path.join(out, "summary.csv"))}
    result = Result("reproduce", info, frames, text, folder=out, claims=claims)
    result._keep = folder  # the temporary folder lives as long as the result
    return result


def _axis(key, values, where):
    if isinstance(values, str):
        return f"{key}={values}"  # "1..20" or "100,400"
    values = list(values)
    if not values:
        raise ValueError(f"{where} {key}: no values")
    items = [_value(v, key) for v in values]
    if any("," in v for v in items):
        raise ValueError(f"{where} {key}: a value holds a comma, which separates the values")
    return f"{key}=" + ",".join(items)


def sweep(config=None, grid=None, zip=None, overrides=None, out=None, jobs=1, force=False, retry_failed=False):
    """`gradflow sweep`: a grid of runs over any keys. `grid` {key: values} forms a product
    (values a list, or a string such as "1..20"), `zip` {key: values} advances together; both
    add to (and replace keys of) the [sweep] table of `config`. Points run in this process
    (jobs=1) or in `jobs` forked processes into `out` (None: a temporary folder), which a second
    call continues: done points are skipped. Returns sweep.csv (a DataFrame, or a dict of
    arrays without pandas), one row per point x method; sweep.json is in its attrs["sweep"]
    with pandas. Ctrl-C takes effect when the sweep returns (points run without the GIL)."""
    text, is_path = _source(config)
    axes = [_axis(k, v, "grid") for k, v in (grid or {}).items()]
    zipped = [_axis(k, v, "zip") for k, v in (zip or {}).items()]
    folder = None
    if out is None:
        folder = tempfile.TemporaryDirectory(prefix="gradflow-sweep-")
        out = os.path.join(folder.name, "sweep")
    out = os.fspath(out)
    _core.sweep(text, is_path, _sets(overrides), axes, zipped, out, int(jobs), bool(force), bool(retry_failed))
    table = _read_csv(os.path.join(out, "sweep.csv"))
    if _pd is not None:
        with open(os.path.join(out, "sweep.json")) as f:
            table.attrs["sweep"] = json.load(f)
    if folder is not None:
        folder.cleanup()
    return table


def recipes():
    """{name: title} of the shipped reproduction recipes."""
    return dict(_core.recipes())


def model_kinds():
    """The model registry: {name: {"summary", "keys": [{"name", "type", "default", "doc", ...}]}}."""
    return {k["name"]: k for k in _core.model_kinds()}


def method_kinds():
    """The method registry: {name: {"summary", "space", "order", "twins", "keys"}}."""
    return {k["name"]: k for k in _core.method_kinds()}


def default_experiment():
    """The default experiment as TOML text (`gradflow run --print-default`)."""
    return _core.default_experiment()


class Model(_core.Model):
    """A model kind of the registry bound to your data: Model("relu2", X, y, seed=1, width=200).

    X is (n, d), y (n,) or (n, k), float64; both are copied (the library keeps its own
    column-major X). Options are the kind's keys (model_kinds()[kind]["keys"]), checked like a
    file's [model] table. θ0 is drawn from the seed's model stream, so with X, y from
    gradflow.data of the same seed it is the θ0 of a run.

    predict(θ) f(θ) (length n·k)            gradient(θ, r) Jᵀr, never forming J
    jvp(θ, v) J v                           ntk(θ) H = JJᵀ (n·k square)
    lambda_min(θ) λ_min(H(θ))               loss(θ), loss_gradient(θ) -> (L, ∇L), residual(θ)
    theta0, num_params, num_outputs, options, c (L = c/2 |f - y|²), X, Y
    diagnostic_columns, diagnostics(θ) the model's own columns (invariants, patterns)

    Copies: θ, r and v are copied into Eigen vectors (the library's Model interface takes
    const Vec&, O(P) against the O(n·m·d) of a call); results are handed over without a copy;
    theta0, X and Y return fresh copies. Every call but loss and residual releases the GIL."""

    def __init__(self, kind, X, y, seed=1, reduction="sum", **options):
        super().__init__(kind, X, y, int(seed), reduction, [f"{k}={_value(v, 'model.' + k)}" for k, v in options.items()])

    def __repr__(self):
        return f"<gradflow.Model {self.kind}: {self.num_params} parameters, {self.num_outputs} outputs>"
