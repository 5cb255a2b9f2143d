"""The array-backend shim: the only module that imports CuPy.

Every op finds the array module of its inputs with `get_array_module(x)` and
calls `xp.exp`, `xp.matmul`, ... on it, so one code path serves NumPy on the
CPU and CuPy on a CUDA device (the idea of DeZero's `cuda.py`).

A backend is a small record: the array module, the array type, how to move
arrays to and from the host, a random generator, and the two functions that
NumPy and CuPy spell differently (scatter-add and erf).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy

_default_dtype = numpy.float32


@dataclass
class Backend:
    name: str
    xp: Any                                    # the array module: numpy, cupy, ...
    array_type: type                           # arrays that belong to this backend
    to_host: Callable[[Any], numpy.ndarray]    # device array -> numpy array
    from_host: Callable[[Any], Any]            # numpy array -> device array
    make_rng: Callable[[int], Any]             # seed -> Generator with .random / .standard_normal
    scatter_add: Callable[[Any, Any, Any], None]  # target[idx] += values, repeats accumulate
    erf: Callable[[Any], Any]

    def __repr__(self) -> str:
        return f"Backend({self.name!r})"


def _numpy_erf(x):
    from scipy.special import erf
    return erf(x)


NUMPY = Backend(
    name="numpy", xp=numpy, array_type=numpy.ndarray,
    to_host=lambda a: a, from_host=numpy.asarray,
    make_rng=numpy.random.default_rng,
    scatter_add=lambda target, idx, values: numpy.add.at(target, idx, values),
    erf=_numpy_erf,
)

_backends: dict[str, Backend] = {"numpy": NUMPY}
_by_type: dict[type, Backend] = {numpy.ndarray: NUMPY}

CUPY_HELP = (
    "Install CuPy for your CUDA version, e.g. `pip install cupy-cuda12x` "
    "(CUDA 12) or `pip install cupy-cuda13x` (CUDA 13), or use `--backend numpy`."
)


class BackendError(RuntimeError):
    """A backend was asked for that cannot be had, or arrays of two backends met."""


def _load_cupy() -> Backend:
    try:
        import cupy
        import cupyx
        import cupyx.scipy.special
    except ImportError as e:
        raise BackendError(f"backend 'cupy' needs CuPy, which is not installed ({e}). {CUPY_HELP}") from e
    try:
        n = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # cudaErrorNoDevice, missing driver, ...
        raise BackendError(f"backend 'cupy': CuPy is installed but no CUDA device is usable ({e}). "
                           "Check `nvidia-smi`, or use `--backend numpy`.") from e
    if n == 0:
        raise BackendError("backend 'cupy': CuPy found no CUDA device. Use `--backend numpy`.")
    return Backend(
        name="cupy", xp=cupy, array_type=cupy.ndarray,
        to_host=cupy.asnumpy, from_host=cupy.asarray,
        make_rng=cupy.random.default_rng,
        scatter_add=cupyx.scatter_add,
        erf=cupyx.scipy.special.erf,
    )


def register(backend: Backend) -> Backend:
    """Make a backend available by name (tests register a strict CuPy stand-in)."""
    _backends[backend.name] = backend
    _by_type[backend.array_type] = backend
    return backend


def get_backend(name: str | Backend = "numpy") -> Backend:
    """The backend called `name` ('numpy' or 'cupy'); CuPy is imported here, on first use."""
    if isinstance(name, Backend):
        return name
    if name not in _backends:
        if name == "cupy":
            return register(_load_cupy())
        known = ", ".join(sorted(set(_backends) | {"cupy"}))
        raise BackendError(f"unknown backend {name!r}; choose one of: {known}")
    return _backends[name]


def backend_of(a) -> Backend:
    """The backend an array belongs to; Python scalars and NumPy scalars count as NumPy."""
    b = _by_type.get(type(a))
    if b is not None:
        return b
    for t, b in _by_type.items():
        if isinstance(a, t):
            return b
    if isinstance(a, (int, float, bool, numpy.generic)):
        return NUMPY
    if type(a).__module__.startswith("cupy"):
        return get_backend("cupy")
    raise TypeError(f"not an array of any backend: {type(a).__name__}")


def get_array_module(*arrays):
    """`numpy` or `cupy` (or a registered module) for these arrays; a clear error if they mix."""
    return check_same_backend([a for a in arrays if not isinstance(a, (int, float, bool))]).xp


def check_same_backend(arrays) -> Backend:
    """The one backend of all `arrays`; BackendError if they come from two."""
    first = None
    for a in arrays:
        b = backend_of(a)
        if first is None:
            first = b
        elif b is not first:
            raise BackendError(f"arrays from different backends met in one op: '{first.name}' and '{b.name}'. "
                               "Move them to one device first, e.g. tensor.to('numpy').")
    return first or NUMPY


def to_numpy(a) -> numpy.ndarray:
    """Copy an array of any backend to the host."""
    return backend_of(a).to_host(a)


def to_backend(a, backend: str | Backend):
    """Move an array (of any backend) to `backend`."""
    target = get_backend(backend)
    if backend_of(a) is target:
        return a
    return target.from_host(to_numpy(a))


def get_default_dtype():
    return _default_dtype


def set_default_dtype(dtype) -> None:
    """float32 (the default) or float64 (gradient checks, parity tests)."""
    global _default_dtype
    dtype = numpy.dtype(dtype).type
    if dtype not in (numpy.float32, numpy.float64):
        raise ValueError(f"default dtype must be float32 or float64, not {numpy.dtype(dtype).name}")
    _default_dtype = dtype


# One generator per backend, reseeded by `manual_seed`; dropout and init draw from it.
_rngs: dict[str, Any] = {}
_seed = 0


def manual_seed(seed: int) -> None:
    """Reseed every backend's generator (like `torch.manual_seed`)."""
    global _seed
    _seed = int(seed)
    _rngs.clear()


def rng(backend: str | Backend = "numpy"):
    """The seeded generator of `backend`."""
    b = get_backend(backend)
    if b.name not in _rngs:
        _rngs[b.name] = b.make_rng(_seed)
    return _rngs[b.name]
