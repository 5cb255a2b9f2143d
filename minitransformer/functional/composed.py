"""The fused ops again, composed from primitive ops only.

Autograd differentiates these through their pieces; the fused versions have a
backward written by hand. tests/test_functional.py checks that both agree.
Slower and hungrier for memory, but each line is one step of the math.
"""
import math

from .. import ops
from ..backend import backend_of
from ..tensor import Tensor
from .normalization import dropout_mask


def _const(x: Tensor, axis):
    """max over axis as a constant: softmax is shift-invariant, so no gradient is lost."""
    return Tensor(x.data.max(axis=axis, keepdims=True))


def linear(x, weight, bias=None):
    y = x @ weight.transpose()
    return y if bias is None else y + bias


def softmax(x, axis=-1):
    e = (x - _const(x, axis)).exp()
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - _const(x, axis)
    return shifted - shifted.exp().sum(axis=axis, keepdims=True).log()


def gelu(x, approximate="tanh"):
    if approximate == "tanh":
        c = math.sqrt(2 / math.pi)
        return 0.5 * x * (1 + (c * (x + 0.044715 * x ** 3)).tanh())
    return 0.5 * x * (1 + ops.erf(x * (1 / math.sqrt(2))))


def layer_norm(x, weight, bias, eps=1e-5):
    xc = x - x.mean(axis=-1, keepdims=True)
    var = (xc * xc).mean(axis=-1, keepdims=True)
    return xc * (var + eps) ** -0.5 * weight + bias


def dropout(x, p=0.5, training=True):
    if not training or p == 0:
        return x
    return x * Tensor(dropout_mask(x.data, p))


def scaled_dot_product_attention(q, k, v, mask=None, causal=False, dropout_p=0.0, scale=None):
    from .attention import attention_mask
    xp = backend_of(q.data).xp
    scale = scale if scale is not None else 1 / math.sqrt(q.shape[-1])
    s = (q @ k.swapaxes(-1, -2)) * scale
    mask = attention_mask(mask.data if isinstance(mask, Tensor) else mask, causal, q.shape[-2], k.shape[-2], xp)
    if mask is not None:
        s = ops.where(mask, s, Tensor(xp.asarray(xp.finfo(s.dtype).min, dtype=s.dtype)))
    a = softmax(s, axis=-1)
    return dropout(a, dropout_p, True) @ v, a


def cross_entropy(logits, target, ignore_index=-100, label_smoothing=0.0):
    xp = backend_of(logits.data).xp
    t = target.data if isinstance(target, Tensor) else target
    C = logits.shape[-1]
    logp = log_softmax(logits.reshape(-1, C), axis=-1)              # (N, C)
    t = t.reshape(-1)
    keep = (t != ignore_index)
    onehot = (xp.arange(C)[None, :] == xp.where(keep, t, 0)[:, None]).astype(logp.dtype)
    q = (1 - label_smoothing) * onehot + label_smoothing / C       # smoothed target
    w = q * keep[:, None] / keep.sum()                              # constant row weights
    return -(logp * Tensor(w.astype(logp.dtype))).sum()
