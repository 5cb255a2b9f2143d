"""A strict stand-in for CuPy, for CI machines without a GPU.

`StrictArray` wraps a NumPy array and behaves the way a CuPy array does where
CuPy differs from NumPy, so a NumPy-ism that would break on the GPU fails on
the CPU first:
  - no implicit conversion to NumPy: np.asarray(x), np.array(x) raise
    TypeError (CuPy raises on __array__);
  - no mixing with NumPy arrays in an operation, an index or an assignment
    (CuPy refuses numpy.ndarray operands);
  - NumPy functions dispatched on it are limited to those CuPy implements;
    ufunc methods such as np.add.at are refused (use backend.scatter_add);
  - reductions return 0-d arrays, not NumPy scalars (as CuPy does).
Moving data is explicit, as with CuPy: backend.from_host / backend.to_host.
"""
from __future__ import annotations

import operator
import types

import numpy

from minitransformer import backend as B

# numpy functions that CuPy implements and the engine may use on device arrays
ALLOWED = {
    "abs", "arange", "argmax", "asarray", "broadcast_to", "concatenate", "cumsum", "einsum", "empty", "exp",
    "expand_dims", "full", "isfinite", "log", "matmul", "max", "maximum", "mean", "minimum", "ones", "ones_like",
    "split", "sqrt", "stack", "sum", "take_along_axis", "tanh", "tril", "where", "zeros", "zeros_like",
    "empty_like", "full_like", "array", "sign", "square", "clip", "allclose", "all", "any", "argsort",
}
ATTRIBUTES = {"float16", "float32", "float64", "int32", "int64", "bool_", "pi", "e", "newaxis", "finfo", "iinfo",
              "dtype", "inf", "nan"}


class StrictError(TypeError):
    pass


def _refuse_numpy(x, where):
    if isinstance(x, numpy.ndarray) and x.ndim > 0:
        raise StrictError(f"{where}: a NumPy array of shape {x.shape} met a device array. CuPy refuses this; "
                          "move it first with backend.from_host(...)")


def _unwrap(x, where="operation"):
    if isinstance(x, StrictArray):
        return x.a
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, where) for v in x)
    _refuse_numpy(x, where)
    return x


def _wrap(x):
    if isinstance(x, numpy.ndarray):
        return StrictArray(x)
    if isinstance(x, numpy.generic):           # CuPy reductions give 0-d arrays, never NumPy scalars
        return StrictArray(numpy.asarray(x))
    if isinstance(x, (list, tuple)):
        return type(x)(_wrap(v) for v in x)
    return x


class StrictArray:
    __slots__ = ("a",)
    __array_priority__ = 2000

    def __init__(self, a):
        self.a = a

    def __array__(self, *args, **kwargs):
        raise StrictError("Implicit conversion to a NumPy array is not allowed (CuPy raises here too). "
                          "Use backend.to_numpy(x) / tensor.numpy() to copy to the host explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__":
            raise StrictError(f"numpy.{ufunc.__name__}.{method} on a device array: CuPy has no such ufunc method "
                              "here; use the backend's scatter_add")
        out = getattr(numpy, ufunc.__name__)(*_unwrap(inputs, f"numpy.{ufunc.__name__}"), **kwargs)
        return _wrap(out)

    def __array_function__(self, func, types_, args, kwargs):
        if func.__name__ not in ALLOWED:
            raise StrictError(f"numpy.{func.__name__} on a device array: not one the engine may call on GPU data "
                              "(use the backend's array module, xp)")
        return _wrap(func(*_unwrap(args, func.__name__), **{k: _unwrap(v, func.__name__) for k, v in kwargs.items()}))

    shape = property(lambda self: self.a.shape)
    dtype = property(lambda self: self.a.dtype)
    ndim = property(lambda self: self.a.ndim)
    size = property(lambda self: self.a.size)
    T = property(lambda self: StrictArray(self.a.T))

    def __getattr__(self, name):
        if name.startswith("__"):   # never forward __array_interface__ and friends: no back door to NumPy
            raise AttributeError(name)
        attr = getattr(self.a, name)
        if callable(attr):
            return lambda *args, **kw: _wrap(attr(*_unwrap(args, name), **{k: _unwrap(v, name) for k, v in kw.items()}))
        return _wrap(attr)

    def __getitem__(self, index):
        return _wrap(self.a[_unwrap(index, "indexing")])

    def __setitem__(self, index, value):
        self.a[_unwrap(index, "indexing")] = _unwrap(value, "assignment")

    def __len__(self):
        return len(self.a)

    def __iter__(self):
        return (_wrap(v) for v in self.a)

    def __float__(self):
        return float(self.a)

    def __int__(self):
        return int(self.a)

    def __bool__(self):
        return bool(self.a)

    def __repr__(self):
        return f"StrictArray({self.a!r})"


def _binary(name):
    op = getattr(operator, name)

    def forward(self, other):
        return _wrap(op(self.a, _unwrap(other, f"operator {name}")))

    def reflected(self, other):
        return _wrap(op(_unwrap(other, f"operator {name}"), self.a))

    def inplace(self, other):
        self.a = getattr(operator, f"i{name}")(self.a, _unwrap(other, f"operator i{name}"))
        return self
    return forward, reflected, inplace


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and_", "or_", "xor"):
    _f, _r, _i = _binary(_name)
    _n = _name.rstrip("_")
    setattr(StrictArray, f"__{_n}__", _f)
    setattr(StrictArray, f"__r{_n}__", _r)
    setattr(StrictArray, f"__i{_n}__", _i)
for _name in ("eq", "ne", "lt", "le", "gt", "ge"):
    setattr(StrictArray, f"__{_name}__", _binary(_name)[0])
StrictArray.__neg__ = lambda self: StrictArray(-self.a)
StrictArray.__invert__ = lambda self: StrictArray(~self.a)
StrictArray.__abs__ = lambda self: StrictArray(abs(self.a))
StrictArray.__hash__ = None


def _module():
    xp = types.ModuleType("strict_xp", "NumPy restricted to what the engine may call on CuPy arrays")

    def function(name):
        fn = getattr(numpy, name)

        def call(*args, **kwargs):
            return _wrap(fn(*_unwrap(args, f"xp.{name}"), **{k: _unwrap(v, f"xp.{name}") for k, v in kwargs.items()}))
        call.__name__ = name
        return call

    for name in ALLOWED:
        setattr(xp, name, function(name))
    for name in ATTRIBUTES:
        setattr(xp, name, getattr(numpy, name))

    def asarray(a, dtype=None):   # explicit host -> device, like cupy.asarray
        return StrictArray(numpy.array(_unwrap(a) if isinstance(a, StrictArray) else a, dtype=dtype))
    xp.asarray = asarray
    xp.ndarray = StrictArray
    return xp


class _Generator:
    """numpy's Generator, returning device arrays."""

    def __init__(self, seed):
        self.g = numpy.random.default_rng(seed)

    def random(self, size=None, dtype=numpy.float64):
        return StrictArray(numpy.asarray(self.g.random(size, dtype=dtype)))

    def standard_normal(self, size=None, dtype=numpy.float64):
        return StrictArray(numpy.asarray(self.g.standard_normal(size, dtype=dtype)))


def _scatter_add(target, index, values):
    numpy.add.at(target.a, _unwrap(index, "scatter_add"), _unwrap(values, "scatter_add"))


def _to_host(a):
    if not isinstance(a, StrictArray):
        raise StrictError(f"to_host expects a device array, got {type(a).__name__}")
    return a.a.copy()


def _from_host(a):
    if isinstance(a, StrictArray):
        return a
    return StrictArray(numpy.array(a))


STRICT = B.Backend(
    name="strict", xp=_module(), array_type=StrictArray, to_host=_to_host, from_host=_from_host,
    make_rng=_Generator, scatter_add=_scatter_add,
    erf=lambda x: _wrap(__import__("scipy.special", fromlist=["erf"]).erf(x.a)),
)


def register():
    return B.register(STRICT)
