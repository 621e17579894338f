"""Data sets as (X, y) NumPy arrays, made by the library's own [data] reader and generators.

    X, y = gradflow.data.sphere(50, 10, seed=1)   # the default experiment's data for seed 1

Every function takes the [data] keys of docs/experiment.md as keywords (label_scale=,
noise=, teacher_width=, ...) and checks them as an experiment file's [data] table is checked.
The data come from the first stream of `seed`, as in a run, so they are the data of
`gradflow.run` with that seed. X is (n, d) in Fortran order (the library's column-major
matrix, handed over without a copy); y is (n,) for one output, else (n, k).
"""
from . import _core

# The [data] kinds of the library (its data sets have no registry; DataOptions lists them).
KINDS = ("sphere", "gaussian", "teacher", "linear", "csv", "digits", "diabetes", "scalar")


def make(kind, seed=1, **options):
    """The data set of `kind` with the given [data] keys: make("teacher", n=40, d=5, noise=0.1)."""
    from . import _value
    sets = [f"kind={_value(kind, 'data.kind')}"] + [f"{k}={_value(v, 'data.' + k)}" for k, v in options.items()
                                                     if v is not None]
    X, Y, _ = _core.make_data(sets, int(seed))
    return X, (Y[:, 0] if Y.shape[1] == 1 else Y)


def _maker(kind, sized):
    if sized:
        def f(n=None, d=None, seed=1, **options):
            return make(kind, seed=seed, n=n, d=d, **options)
        f.__doc__ = f"(X, y) of the `{kind}` data set: n samples of dimension d, seeded; other [data] keys as keywords."
    else:
        def f(seed=1, **options):
            return make(kind, seed=seed, **options)
        f.__doc__ = f"(X, y) of the `{kind}` data set; [data] keys (n=, path=, ...) as keywords."
    f.__name__ = kind
    return f


for _kind in KINDS:
    globals()[_kind] = _maker(_kind, _kind in ("sphere", "gaussian", "teacher", "linear"))
del _kind
