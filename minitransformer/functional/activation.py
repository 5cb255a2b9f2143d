"""softmax, log_softmax and GELU, each with a hand-derived backward."""
import math

from ..backend import backend_of
from ..tensor import Function


class Softmax(Function):
    """y_i = e^{x_i} / sum_j e^{x_j}   (along `axis`; the max is subtracted first for stability)

    dL/dx_i = sum_j g_j dy_j/dx_i = y_i (g_i - sum_j g_j y_j)
    """
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = backend_of(x).xp
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        self.y = e / e.sum(axis=self.axis, keepdims=True)
        return self.y

    def backward(self, g):
        y = self.y
        return (y * (g - (g * y).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """y_i = x_i - log sum_j e^{x_j}

    dL/dx_i = g_i - softmax(x)_i * sum_j g_j
    """
    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = backend_of(x).xp
        shifted = x - x.max(axis=self.axis, keepdims=True)
        self.y = shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))
        return self.y

    def backward(self, g):
        xp = backend_of(g).xp
        return (g - xp.exp(self.y) * g.sum(axis=self.axis, keepdims=True),)


_C = math.sqrt(2.0 / math.pi)
_K = 0.044715


class GELU(Function):
    """Gaussian Error Linear Unit.

    approximate="tanh":  y = x/2 (1 + t),  t = tanh(c (x + k x^3)),  c = sqrt(2/pi), k = 0.044715
        dy/dx = (1 + t)/2 + x/2 (1 - t^2) c (1 + 3 k x^2)
    approximate="none":  y = x Phi(x) = x/2 (1 + erf(x / sqrt 2))
        dy/dx = Phi(x) + x phi(x),  phi(x) = e^{-x^2/2} / sqrt(2 pi)
    """
    def __init__(self, approximate="tanh"):
        if approximate not in ("tanh", "none"):
            raise ValueError(f"gelu approximate must be 'tanh' or 'none', not {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        b = backend_of(x)
        self.x = x
        if self.approximate == "tanh":
            self.t = b.xp.tanh(_C * (x + _K * x * x * x))
            return 0.5 * x * (1 + self.t)
        self.cdf = 0.5 * (1 + b.erf(x * (1 / math.sqrt(2))))
        return x * self.cdf

    def backward(self, g):
        x = self.x
        if self.approximate == "tanh":
            t = self.t
            return (g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _C * (1 + 3 * _K * x * x)),)
        pdf = backend_of(x).xp.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return (g * (self.cdf + x * pdf),)


def softmax(x, axis=-1):
    return Softmax(axis)(x)


def log_softmax(x, axis=-1):
    return LogSoftmax(axis)(x)


def gelu(x, approximate="tanh"):
    return GELU(approximate)(x)
