"""Scaled dot-product attention with a padding mask, forward and backward."""
import math

from ..backend import backend_of
from ..tensor import Function, Tensor, sum_to
from .normalization import dropout_mask


def attention_mask(mask, causal, tq, tk, xp):
    """Combine a key-padding mask (True = may attend) with a causal mask; None if neither."""
    if causal:
        tri = xp.tril(xp.ones((tq, tk), dtype=bool), k=tk - tq)
        mask = tri if mask is None else mask & tri
    return mask


class ScaledDotProductAttention(Function):
    """q: (..., Tq, d), k: (..., Tk, d), v: (..., Tk, dv); mask broadcastable to (..., Tq, Tk).

    forward:
        s = q k^T / sqrt(d)              scores       (..., Tq, Tk)
        s = fill where not mask          fill = the dtype's most negative number, so a
                                         masked key gets weight exactly 0 (and a row with
                                         no allowed key gets uniform weights, never NaN)
        a = softmax(s)                   weights      (each row sums to 1)
        o = dropout(a) v                 output       (..., Tq, dv)
    backward, with ad = a * m (m the dropout scale mask, 1 without dropout):
        dL/dv  = ad^T g
        dL/dad = g v^T,  dL/da = dL/dad * m
        dL/ds  = a (dL/da - sum_k dL/da a)       (softmax backward; 0 where masked)
        dL/dq  = dL/ds k / sqrt(d),  dL/dk = dL/ds^T q / sqrt(d)
    Leading axes broadcast (k, v shared by all heads, say): each gradient is
    summed back to its operand's shape.
    """
    def __init__(self, mask=None, causal=False, dropout_p=0.0, scale=None):
        self.mask, self.causal, self.p, self.scale = mask, causal, dropout_p, scale

    def forward(self, q, k, v):
        xp = backend_of(q).xp
        if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
            raise ValueError(f"attention shapes do not fit: q {q.shape}, k {k.shape}, v {v.shape} "
                             "(need q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv))")
        scale = self.scale if self.scale is not None else 1 / math.sqrt(q.shape[-1])
        s = (q @ k.swapaxes(-1, -2)) * scale                                      # (..., Tq, Tk)
        mask = attention_mask(self.mask, self.causal, q.shape[-2], k.shape[-2], xp)
        if mask is not None:
            s = xp.where(mask, s, xp.finfo(s.dtype).min)
        e = xp.exp(s - s.max(axis=-1, keepdims=True))
        a = e / e.sum(axis=-1, keepdims=True)                                     # (..., Tq, Tk)
        ad = a
        if self.p > 0:
            self.m = dropout_mask(a, self.p)
            ad = a * self.m
        self.q, self.k, self.v, self.a, self.ad = q, k, v, a, ad
        self.mask_, self.scale_ = mask, scale
        return ad @ v                                                             # (..., Tq, dv)

    def backward(self, g):
        q, k, v, a = self.q, self.k, self.v, self.a
        gv = self.ad.swapaxes(-1, -2) @ g                                         # (..., Tk, dv)
        ga = g @ v.swapaxes(-1, -2)                                               # (..., Tq, Tk)
        if self.p > 0:
            ga = ga * self.m
        gs = a * (ga - (ga * a).sum(axis=-1, keepdims=True))
        if self.mask_ is not None:
            gs = gs * self.mask_                   # the fill value is a constant: no gradient
        gs = gs * self.scale_
        gq = gs @ k                                                               # (..., Tq, d)
        gk = gs.swapaxes(-1, -2) @ q                                              # (..., Tk, d)
        return sum_to(gq, q.shape), sum_to(gk, k.shape), sum_to(gv, v.shape)


def scaled_dot_product_attention(q, k, v, mask=None, causal=False, dropout_p=0.0, scale=None):
    """Attention output and weights: (o, a), as in the docstring of ScaledDotProductAttention.

    `mask` is boolean, True where a key may be attended (e.g. not padding).
    The weights `a` come back detached (before dropout), for inspection and plots.
    """
    if isinstance(mask, Tensor):
        mask = mask.data
    if mask is not None and mask.dtype != bool:
        raise TypeError(f"attention mask must be boolean (True = may attend), got dtype {mask.dtype}")
    fn = ScaledDotProductAttention(mask, causal, dropout_p, scale)
    out = fn(q, k, v)
    return out, Tensor(fn.a)
