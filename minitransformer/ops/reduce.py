"""Reductions over axes: sum, mean, max (keepdims as in NumPy)."""
from ..backend import backend_of
from ..tensor import Function


def _normalize_axis(axis, ndim):
    """axis (None, int or tuple) -> sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(a % ndim for a in axes))


def _keep(g, x_shape, axes, keepdims):
    """Put the reduced axes back as length-1 axes, so g broadcasts against the input."""
    if keepdims:
        return g
    return g.reshape(tuple(1 if i in axes else n for i, n in enumerate(x_shape)))


class Sum(Function):
    """y = sum_{axes} x;  dL/dx = g broadcast back over the summed axes"""
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes, self.shape = _normalize_axis(self.axis, x.ndim), x.shape
        return backend_of(x).xp.sum(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        g = _keep(g, self.shape, self.axes, self.keepdims)
        return (backend_of(g).xp.broadcast_to(g, self.shape),)


class Mean(Function):
    """y = (1/n) sum_{axes} x;  dL/dx = g / n broadcast back (n = number of elements averaged)"""
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes, self.shape = _normalize_axis(self.axis, x.ndim), x.shape
        self.n = 1
        for a in self.axes:
            self.n *= x.shape[a]
        return backend_of(x).xp.mean(x, axis=self.axes, keepdims=self.keepdims)

    def backward(self, g):
        g = _keep(g, self.shape, self.axes, self.keepdims) / self.n
        return (backend_of(g).xp.broadcast_to(g, self.shape),)


class Max(Function):
    """y = max_{axes} x;  dL/dx = g where x equals the max, shared evenly among ties, else 0

    (the gradient of torch.amax).
    """
    def __init__(self, axis=None, keepdims=False):
        self.axis, self.keepdims = axis, keepdims

    def forward(self, x):
        self.axes, self.x = _normalize_axis(self.axis, x.ndim), x
        self.y = backend_of(x).xp.max(x, axis=self.axes, keepdims=True)
        if self.keepdims:
            return self.y
        return self.y.reshape(tuple(n for i, n in enumerate(x.shape) if i not in self.axes))

    def backward(self, g):
        g = _keep(g, self.x.shape, self.axes, self.keepdims)
        hit = (self.x == self.y).astype(self.x.dtype)
        return (g * hit / hit.sum(axis=self.axes, keepdims=True),)
