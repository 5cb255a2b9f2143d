"""layer_norm and dropout, each with a hand-derived backward."""
from .. import backend as B
from ..tensor import Function, Tensor


class LayerNorm(Function):
    """Normalise over the last axis (C features), then scale and shift.

    x: (..., C), weight, bias: (C,)
        mu = mean(x),  var = mean((x - mu)^2),  r = 1/sqrt(var + eps)
        xhat = (x - mu) r,   y = xhat * weight + bias
    backward, with gh = g * weight:
        dL/dx      = r (gh - mean(gh) - xhat mean(gh xhat))      (means over C)
        dL/dweight = sum over all leading axes of g * xhat
        dL/dbias   = sum over all leading axes of g
    """
    def __init__(self, eps=1e-5):
        self.eps = eps

    def forward(self, x, weight, bias):
        xp = B.backend_of(x).xp
        if weight.shape != x.shape[-1:] or bias.shape != x.shape[-1:]:
            raise ValueError(f"layer_norm over the last axis of {x.shape} needs weight and bias of shape "
                             f"({x.shape[-1]},), got {weight.shape} and {bias.shape}")
        xc = x - x.mean(axis=-1, keepdims=True)
        self.r = 1 / xp.sqrt((xc * xc).mean(axis=-1, keepdims=True) + self.eps)
        self.xhat, self.weight = xc * self.r, weight
        return self.xhat * weight + bias

    def backward(self, g):
        xhat, lead = self.xhat, tuple(range(g.ndim - 1))
        gh = g * self.weight
        gx = self.r * (gh - gh.mean(axis=-1, keepdims=True) - xhat * (gh * xhat).mean(axis=-1, keepdims=True))
        return gx, (g * xhat).sum(axis=lead), g.sum(axis=lead)


def dropout_mask(x, p):
    """keep / (1 - p) where keep ~ Bernoulli(1 - p), drawn from the backend's seeded generator."""
    b = B.backend_of(x)
    keep = B.rng(b).random(x.shape, dtype=x.dtype) >= p
    return keep.astype(x.dtype) * (1 / (1 - p))


class Dropout(Function):
    """y = x * m,  m = keep / (1 - p);   dL/dx = g * m"""
    def __init__(self, p):
        self.p = p

    def forward(self, x):
        self.m = dropout_mask(x, self.p)
        return x * self.m

    def backward(self, g):
        return (g * self.m,)


def layer_norm(x, weight, bias, eps=1e-5):
    return LayerNorm(eps)(x, weight, bias)


def dropout(x, p=0.5, training=True):
    """Zero each element with probability p and scale the rest by 1/(1-p); identity when not training."""
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    if not training or p == 0:
        return x if isinstance(x, Tensor) else Tensor(x)
    return Dropout(p)(x)
