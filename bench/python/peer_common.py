"""Shared by the Python peers: the problem files written by the C++ benchmark, result lines,
and which BLAS the process actually loaded (read from /proc/self/maps, not from build flags)."""
import os
import sys

# OpenBLAS threads = the 2 cores gradflow also uses; set before numpy is imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import numpy as np  # noqa: E402


def load(directory, name, shape):
    """A raw float64 array in column-major (Eigen) order."""
    a = np.fromfile(os.path.join(directory, name), dtype=np.float64)
    return a.reshape(shape, order="F") if len(shape) > 1 else a


def save(directory, name, vec):
    np.ascontiguousarray(vec, dtype=np.float64).tofile(os.path.join(directory, name))


def result(**kv):
    print("RESULT " + " ".join(f"{k}={v}" for k, v in kv.items()), flush=True)


def info(text):
    print("INFO " + text, flush=True)


def loaded_blas():
    """Shared libraries of this process whose names say BLAS/LAPACK."""
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            base = os.path.basename(path)
            if ("blas" in base or "lapack" in base or "mkl" in base) and "/python" not in path:
                libs.add(os.path.realpath(path))
    return sorted(libs)


def problem_args(argv):
    """key=value arguments."""
    out = {}
    for a in argv:
        k, _, v = a.partition("=")
        out[k] = v
    return out


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(2)
