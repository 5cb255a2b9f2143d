"""Tensor and reverse-mode automatic differentiation, in one file.

A `Tensor` wraps an array (`.data`, NumPy or CuPy) and remembers the
`Function` that made it. `loss.backward()` walks the graph from the loss back
to the leaves in reverse topological order and calls each Function's
hand-written `backward`, adding up the gradients that meet at a tensor.

    x = Tensor([[1.0, 2.0]], requires_grad=True)
    y = (x * x).sum()      # Mul, then Sum: two Functions in the graph
    y.backward()           # dy/dx = 2x
    x.grad                 # array([[2., 4.]])

Gradients are plain arrays (first order only), kept on `.grad` of leaves.
"""
from __future__ import annotations

import contextlib

import numpy

from . import backend as B

_grad_enabled = True


@contextlib.contextmanager
def no_grad():
    """Inside this block ops record no graph (like `torch.no_grad()`)."""
    global _grad_enabled
    saved, _grad_enabled = _grad_enabled, False
    try:
        yield
    finally:
        _grad_enabled = saved


def is_grad_enabled() -> bool:
    return _grad_enabled


def sum_to(g, shape):
    """Sum a broadcast gradient back to `shape` (the backward of broadcasting).

    If x of shape (3, 1) was broadcast to (2, 3, 4), dL/dx sums dL/dy over the
    added leading axis and over the stretched axis: sum_to(g, (3, 1)).
    """
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape) if n == 1 and g.shape[i + lead] != 1)
    g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape) if lead else g


class Function:
    """One differentiable step: `forward` on arrays, `backward` on arrays.

    Subclasses implement
        forward(self, *arrays) -> array          (may save what backward needs on self)
        backward(self, grad_out) -> tuple        (one gradient per input, or None)
    and are applied with `MyFunction(**options)(*tensors)`.
    """

    inputs: tuple = ()

    def __call__(self, *inputs) -> "Tensor":
        xs = tuple(x if isinstance(x, Tensor) else None for x in inputs)
        ref = next((x for x in xs if x is not None), None)
        xs = tuple(x if x is not None else Tensor._constant(v, ref) for x, v in zip(xs, inputs))
        if len(xs) > 1:
            B.check_same_backend([x.data for x in xs])
        out = Tensor(self.forward(*(x.data for x in xs)))
        if _grad_enabled and any(x.requires_grad for x in xs):
            out.requires_grad = True
            out._ctx = self
            self.inputs = xs
        return out

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad_out):
        raise NotImplementedError


class Tensor:
    """An array with a gradient. `data` is a NumPy or CuPy array."""

    __slots__ = ("data", "grad", "requires_grad", "_ctx")
    __array_priority__ = 1000  # so that `ndarray * Tensor` calls Tensor.__rmul__

    def __init__(self, data, requires_grad: bool = False, dtype=None, backend=None):
        if isinstance(data, Tensor):
            data = data.data
        if not hasattr(data, "shape") or isinstance(data, numpy.generic):  # list, float, numpy scalar
            data = numpy.asarray(data)
        if backend is not None:
            data = B.to_backend(data, backend)
        if dtype is not None:
            data = data.astype(dtype, copy=False)
        self.data = data
        self.grad = None
        self.requires_grad = requires_grad
        self._ctx: Function | None = None

    @staticmethod
    def _constant(value, like: "Tensor | None") -> "Tensor":
        """Wrap a Python number or array as a constant on the backend (and float dtype) of `like`."""
        if like is None:
            return Tensor(value)
        xp = B.get_array_module(like.data)
        dtype = like.dtype if like.dtype.kind == "f" and isinstance(value, (int, float)) else None
        return Tensor(xp.asarray(value, dtype=dtype))

    # --- what the tensor holds ------------------------------------------------
    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
    backend = property(lambda self: B.backend_of(self.data))
    is_leaf = property(lambda self: self._ctx is None)

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({B.to_numpy(self.data)!r}{grad})"

    def numpy(self):
        """A NumPy copy of the data (from any device)."""
        return B.to_numpy(self.data)

    def item(self) -> float:
        return self.data.item()

    def detach(self) -> "Tensor":
        """The same data, cut from the graph."""
        return Tensor(self.data)

    def to(self, backend) -> "Tensor":
        """This tensor on another backend ('numpy' or 'cupy'); a leaf keeps requires_grad."""
        return Tensor(B.to_backend(self.data, backend), requires_grad=self.requires_grad)

    def astype(self, dtype) -> "Tensor":
        return Tensor(self.data.astype(dtype), requires_grad=self.requires_grad)

    # --- reverse mode ---------------------------------------------------------
    def backward(self, grad=None, retain_graph: bool = False) -> None:
        """Fill `.grad` of every leaf that this tensor depends on.

        grad: dL/dself, same shape as self; may be omitted for a one-element tensor.
        The graph is freed afterwards unless retain_graph=True.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad "
                               "(no input had requires_grad=True, or it was made under no_grad())")
        xp = B.get_array_module(self.data)
        if grad is None:
            if self.size != 1:
                raise RuntimeError(f"backward() without a gradient needs a one-element tensor, got shape {self.shape}")
            grad = xp.ones_like(self.data)
        grad = grad.data if isinstance(grad, Tensor) else xp.asarray(grad, dtype=self.dtype)
        if grad.shape != self.shape:
            raise ValueError(f"gradient shape {grad.shape} does not match tensor shape {self.shape}")

        grads = {id(self): grad}
        for t in reversed(_topological_order(self)):
            g = grads.pop(id(t), None)
            if g is None:
                continue
            fn = t._ctx
            if fn is None:  # a leaf: keep the gradient (a copy: upstream arrays may be shared)
                t.grad = g.copy() if t.grad is None else t.grad + g
                continue
            for x, gx in zip(fn.inputs, fn.backward(g)):
                if gx is None or not x.requires_grad:
                    continue
                if gx.shape != x.shape:
                    raise RuntimeError(f"{type(fn).__name__}.backward returned a gradient of shape {gx.shape} "
                                       f"for an input of shape {x.shape}")
                grads[id(x)] = grads[id(x)] + gx if id(x) in grads else gx
            if not retain_graph:
                t._ctx, fn.inputs = None, ()

    # --- operators: each builds a Function from minitransformer.ops ----------
    def __add__(self, o): return _ops.add(self, o)
    def __radd__(self, o): return _ops.add(o, self)
    def __sub__(self, o): return _ops.sub(self, o)
    def __rsub__(self, o): return _ops.sub(o, self)
    def __mul__(self, o): return _ops.mul(self, o)
    def __rmul__(self, o): return _ops.mul(o, self)
    def __truediv__(self, o): return _ops.div(self, o)
    def __rtruediv__(self, o): return _ops.div(o, self)
    def __neg__(self): return _ops.neg(self)
    def __pow__(self, c): return _ops.pow(self, c)
    def __matmul__(self, o): return _ops.matmul(self, o)
    def __getitem__(self, index): return _ops.getitem(self, index)

    def exp(self): return _ops.exp(self)
    def log(self): return _ops.log(self)
    def tanh(self): return _ops.tanh(self)
    def sum(self, axis=None, keepdims=False): return _ops.sum(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return _ops.mean(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return _ops.max(self, axis, keepdims)
    def reshape(self, *shape): return _ops.reshape(self, _one_or_many(shape))
    def transpose(self, *axes): return _ops.transpose(self, _one_or_many(axes) or None)
    def swapaxes(self, a, b): return _ops.swapaxes(self, a, b)


def _one_or_many(args):
    """x.reshape(2, 3) and x.reshape((2, 3)) mean the same, as in NumPy."""
    return tuple(args[0]) if len(args) == 1 and isinstance(args[0], (tuple, list)) else args


def _topological_order(root: Tensor) -> list:
    """Tensors that `root` depends on, each after all of its inputs.

    An explicit stack instead of recursion, so a chain of 10,000 ops is fine.
    """
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        if t._ctx is not None:
            stack.extend((x, False) for x in t._ctx.inputs if x.requires_grad and id(x) not in seen)
    return order


def tensor(data, requires_grad: bool = False, dtype=None, backend=None) -> Tensor:
    """A new tensor; floats get the default dtype (float32 unless set otherwise)."""
    if dtype is None and not hasattr(data, "dtype"):
        if numpy.asarray(data).dtype.kind == "f":
            dtype = B.get_default_dtype()
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, backend=backend)


from . import ops as _ops  # noqa: E402  (ops import Function and Tensor from here)
