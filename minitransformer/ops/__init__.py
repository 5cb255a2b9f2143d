"""Primitive differentiable ops, as functions on Tensors.

Each function builds one Function from arith.py, linalg.py, reduce.py or
shape.py; read those files for the forward and backward of each op.
"""
from ..tensor import Tensor
from .arith import Add, Div, Erf, Exp, Log, Mul, Neg, Pow, Sub, Tanh, Where
from .linalg import MatMul
from .reduce import Max, Mean, Sum
from .shape import Concatenate, Embedding, GetItem, Reshape, Transpose


def add(a, b): return Add()(a, b)
def sub(a, b): return Sub()(a, b)
def mul(a, b): return Mul()(a, b)
def div(a, b): return Div()(a, b)
def neg(x): return Neg()(x)
def pow(x, c): return Pow(c)(x)  # noqa: A001  (as torch.pow)
def exp(x): return Exp()(x)
def log(x): return Log()(x)
def tanh(x): return Tanh()(x)
def erf(x): return Erf()(x)
def matmul(a, b): return MatMul()(a, b)
def sum(x, axis=None, keepdims=False): return Sum(axis, keepdims)(x)  # noqa: A001
def mean(x, axis=None, keepdims=False): return Mean(axis, keepdims)(x)
def max(x, axis=None, keepdims=False): return Max(axis, keepdims)(x)  # noqa: A001
def reshape(x, shape): return Reshape(shape)(x)
def transpose(x, axes=None): return Transpose(axes)(x)


def where(cond, a, b):
    """cond ? a : b, with `cond` a boolean array (or Tensor) that gets no gradient."""
    return Where(cond.data if isinstance(cond, Tensor) else cond)(a, b)


def swapaxes(x, a, b):
    axes = list(range(x.ndim))
    axes[a], axes[b] = axes[b], axes[a]
    return Transpose(axes)(x)


def getitem(x, index):
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return GetItem(index)(x)


def concatenate(xs, axis=0):
    return Concatenate(axis)(*xs)


def split(x, sections, axis=0):
    """Split along `axis` into equal `sections` (an int) or at the given indices, like numpy.split."""
    n = x.shape[axis]
    if isinstance(sections, int):
        if n % sections:
            raise ValueError(f"cannot split an axis of length {n} into {sections} equal parts")
        bounds = [i * (n // sections) for i in range(sections + 1)]
    else:
        bounds = [0, *sections, n]
    lead = (slice(None),) * (axis % x.ndim)
    return [getitem(x, lead + (slice(lo, hi),)) for lo, hi in zip(bounds[:-1], bounds[1:])]


def embedding(ids, weight):
    """weight[ids], with the argument order of torch.nn.functional.embedding."""
    return Embedding()(weight, ids.data if isinstance(ids, Tensor) else ids)
