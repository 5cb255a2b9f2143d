"""Ops that move elements around: reshape, transpose, indexing, concatenate,
and the embedding lookup. Their backward moves the gradient back."""
from ..backend import backend_of
from ..tensor import Function


class Reshape(Function):
    """y = x.reshape(shape);  dL/dx = g.reshape(x.shape)"""
    def __init__(self, shape):
        self.shape = tuple(shape)

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, g):
        return (g.reshape(self.x_shape),)


class Transpose(Function):
    """y = x.transpose(axes) (any order; None reverses);  dL/dx = g.transpose(inverse of axes)"""
    def __init__(self, axes=None):
        self.axes = None if axes is None else tuple(axes)

    def forward(self, x):
        axes = self.axes if self.axes is not None else tuple(reversed(range(x.ndim)))
        if sorted(a % x.ndim for a in axes) != list(range(x.ndim)):
            raise ValueError(f"transpose axes {axes} are not a permutation of the {x.ndim} axes of shape {x.shape}")
        self.inverse = tuple(sorted(range(x.ndim), key=lambda i: axes[i] % x.ndim))
        return x.transpose(axes)

    def backward(self, g):
        return (g.transpose(self.inverse),)


def _is_basic(index) -> bool:
    """Basic indexing (ints, slices, None, ...) never repeats an element, so
    its backward may assign; advanced (integer-array) indexing must scatter-add."""
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


class GetItem(Function):
    """y = x[index];  dL/dx = zeros with g added at the indexed places (repeats add up)"""
    def __init__(self, index):
        self.index = index

    def forward(self, x):
        self.x_shape, self.x_dtype = x.shape, x.dtype
        return x[self.index]

    def backward(self, g):
        b = backend_of(g)
        gx = b.xp.zeros(self.x_shape, dtype=g.dtype)
        if _is_basic(self.index):
            gx[self.index] = g
        else:
            b.scatter_add(gx, self.index, g)
        return (gx,)


class Concatenate(Function):
    """y = concatenate(xs, axis);  dL/dx_i = the slice of g that x_i filled"""
    def __init__(self, axis=0):
        self.axis = axis

    def forward(self, *xs):
        self.sizes = [x.shape[self.axis] for x in xs]
        return backend_of(xs[0]).xp.concatenate(xs, axis=self.axis)

    def backward(self, g):
        ends = _cumsum(self.sizes)
        return tuple(backend_of(g).xp.split(g, ends[:-1], axis=self.axis))


def _cumsum(sizes):
    out, total = [], 0
    for n in sizes:
        total += n
        out.append(total)
    return out


class Embedding(Function):
    """y = weight[ids], weight: (V, D), ids: (...) int -> y: (..., D)

    dL/dweight[v] = sum of g over the positions where ids == v (a scatter-add:
    a token used twice gets both gradients).
    """
    def forward(self, weight, ids):
        if ids.dtype.kind not in "iu":
            raise TypeError(f"embedding ids must be integers, got dtype {ids.dtype}")
        self.ids, self.w_shape = ids, weight.shape
        return weight[ids]

    def backward(self, g):
        b = backend_of(g)
        gw = b.xp.zeros(self.w_shape, dtype=g.dtype)
        b.scatter_add(gw, self.ids.reshape(-1), g.reshape(-1, self.w_shape[1]))
        return gw, None
