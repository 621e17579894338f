"""The theory's numbers. Called, gradflow.theory(config, overrides) is `gradflow theory`: the
report of an experiment as a dict (λ0, the widths the papers ask for, the bound constants, Xu
et al.'s rates, ...). Its functions take arrays:

    h_infinity(X)                  Du et al.'s H∞ (relu2), x_iᵀx_j (π − θ_ij)/(2π)
    lambda0(X)                     λ_min(H∞)
    two_layer_h_infinity(X, outer_std=1, w_std=1)   H∞ of two_layer (ReLU, both layers)
    kernel_outer(X, w_std=1), kernel_inner(X, a_second_moment=1), row_angles(X)
    lambda_min(H)                  smallest eigenvalue of a symmetric matrix
    xu(X, Y, W1, W2, c1=0.5, c2=1.5)   Xu et al.'s constants, η_max, η*, rates (linear2)
    xu_spectral_step(X, W1=None, W2=None)   the minimax fixed step 2/(Kβ0 + μα0)

Matrices are float64 (n, d) arrays, C or Fortran order, copied in; results are not copied.
"""
import sys
import types

from . import _core


def report(config=None, overrides=None, delta=0.1):
    """The `gradflow theory` report of an experiment (a dict), without training; `delta` is the
    failure probability of the width bounds."""
    from . import _sets, _source
    text, is_path = _source(config)
    info, _ = _core.theory(text, is_path, _sets(overrides), float(delta))
    return info


def text(config=None, overrides=None, delta=0.1):
    """The report as the CLI prints it."""
    from . import _sets, _source
    src, is_path = _source(config)
    return _core.theory(src, is_path, _sets(overrides), float(delta))[1]


def h_infinity(X):
    return _core.h_infinity(X)


def lambda0(X):
    return _core.lambda_min(_core.h_infinity(X))


def two_layer_h_infinity(X, outer_std=1.0, w_std=1.0):
    return _core.two_layer_h_infinity(X, float(outer_std), float(w_std))


def kernel_outer(X, w_std=1.0):
    return _core.kernel_outer(X, float(w_std))


def kernel_inner(X, a_second_moment=1.0):
    return _core.kernel_inner(X, float(a_second_moment))


def row_angles(X):
    return _core.row_angles(X)


def lambda_min(H):
    return _core.lambda_min(H)


def xu(X, Y, W1, W2, c1=0.5, c2=1.5):
    return _core.xu(X, Y, W1, W2, float(c1), float(c2))


def xu_spectral_step(X, W1=None, W2=None):
    return _core.xu_spectral_step(X, W1, W2)


class _CallableModule(types.ModuleType):
    def __call__(self, config=None, overrides=None, delta=0.1):
        return report(config, overrides, delta)


sys.modules[__name__].__class__ = _CallableModule
