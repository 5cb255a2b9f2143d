"""The transformer classifier: embeddings, pre-LayerNorm blocks, a class-token head.

    ids (B, T) --embed * sqrt(d) + sinusoidal PE--> x (B, T, d)
    for each block:  x = x + Dropout(Attention(LN(x)))      (B, T, d)
                     x = x + Dropout(MLP(LN(x)))            (B, T, d)
    logits = Linear(LN(x)[:, 0])                             (B, n_classes)

Position 0 holds the class token [CLS]; its final state is the sentence
representation the classifier reads.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from . import backend as B
from . import functional as F
from .nn import Dropout, Embedding, LayerNorm, Linear, Module, sinusoidal_positions
from .tensor import Tensor


@dataclass
class ModelConfig:
    vocab_size: int = 8000
    n_classes: int = 6
    max_len: int = 128          # longest sequence, class token included
    d_model: int = 128
    n_heads: int = 1
    n_layers: int = 1
    d_ff: int = 512
    dropout: float = 0.1
    attn_dropout: float = 0.0
    gelu: str = "tanh"          # "tanh" or "none" (erf)
    ln_eps: float = 1e-5

    def __post_init__(self):
        if self.d_model % self.n_heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by n_heads ({self.n_heads})")

    def to_dict(self):
        return asdict(self)


class SelfAttention(Module):
    def __init__(self, cfg: ModelConfig, backend="numpy"):
        d, self.h = cfg.d_model, cfg.n_heads
        std = 0.02
        self.q = Linear(d, d, std=std, backend=backend)
        # No key bias: it adds q.b_k to every score of a row, a shift that softmax
        # ignores, so its gradient is exactly zero (and Adam would turn the
        # rounding noise in it into full-size steps).
        self.k = Linear(d, d, bias=False, std=std, backend=backend)
        self.v = Linear(d, d, std=std, backend=backend)
        self.out = Linear(d, d, std=std / math.sqrt(2 * cfg.n_layers), backend=backend)
        self.attn_dropout = cfg.attn_dropout

    def forward(self, x, mask):
        Bn, T, C = x.shape
        hs = C // self.h

        def heads(t):  # (B, T, C) -> (B, h, T, hs)
            return t.reshape(Bn, T, self.h, hs).transpose(0, 2, 1, 3)

        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))              # (B, h, T, hs)
        p = self.attn_dropout if self.training else 0.0
        o, a = F.scaled_dot_product_attention(q, k, v, mask=mask, dropout_p=p)     # (B, h, T, hs), (B, h, T, T)
        o = o.transpose(0, 2, 1, 3).reshape(Bn, T, C)                               # (B, T, C)
        return self.out(o), a


class MLP(Module):
    def __init__(self, cfg: ModelConfig, backend="numpy"):
        self.fc = Linear(cfg.d_model, cfg.d_ff, backend=backend)
        self.proj = Linear(cfg.d_ff, cfg.d_model, std=0.02 / math.sqrt(2 * cfg.n_layers), backend=backend)
        self.gelu = cfg.gelu

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x), approximate=self.gelu))                # (B, T, d)


class Block(Module):
    def __init__(self, cfg: ModelConfig, backend="numpy"):
        self.ln1 = LayerNorm(cfg.d_model, cfg.ln_eps, backend=backend)
        self.attn = SelfAttention(cfg, backend)
        self.ln2 = LayerNorm(cfg.d_model, cfg.ln_eps, backend=backend)
        self.mlp = MLP(cfg, backend)
        self.drop = Dropout(cfg.dropout)

    def forward(self, x, mask):
        h, a = self.attn(self.ln1(x), mask)
        x = x + self.drop(h)
        x = x + self.drop(self.mlp(self.ln2(x)))
        return x, a


def wants_decay(name: str, ndim: int, decay_embeddings: bool = False) -> bool:
    """Weight decay for weight matrices; never for biases or LayerNorm; for the
    token embeddings ("tok.weight") only when asked."""
    if name.startswith("tok."):
        return decay_embeddings
    return ndim >= 2


class Transformer(Module):
    """Token ids and a padding mask in, class logits out."""

    def __init__(self, cfg: ModelConfig, backend="numpy"):
        self.cfg = cfg
        d = cfg.d_model
        self.tok = Embedding(cfg.vocab_size, d, std=d ** -0.5, backend=backend)
        self.blocks = [Block(cfg, backend) for _ in range(cfg.n_layers)]
        self.ln_f = LayerNorm(d, cfg.ln_eps, backend=backend)
        self.head = Linear(d, cfg.n_classes, backend=backend)
        self.drop = Dropout(cfg.dropout)
        self._pe = {}   # sinusoidal table per (backend, dtype), not a parameter

    def positions(self, T, like):
        key = (B.backend_of(like).name, like.dtype.str)
        if key not in self._pe:
            pe = sinusoidal_positions(self.cfg.max_len, self.cfg.d_model).astype(like.dtype)
            self._pe[key] = B.to_backend(pe, B.backend_of(like))
        return self._pe[key][:T]

    def forward(self, ids, mask=None, return_attention=False, return_cls=False):
        """ids: (B, T) ints, mask: (B, T) bool, True for real tokens.

        Returns logits (B, n_classes); with return_attention also a list of
        each layer's weights (B, h, T, T); with return_cls the final class-token
        state (B, d).
        """
        ids = ids.data if isinstance(ids, Tensor) else ids
        Bn, T = ids.shape
        if T > self.cfg.max_len:
            raise ValueError(f"sequence length {T} exceeds the model's max_len {self.cfg.max_len}")
        x = self.tok(ids) * math.sqrt(self.cfg.d_model) + self.positions(T, self.tok.weight.data)  # (B, T, d)
        x = self.drop(x)
        key_mask = None if mask is None else (mask.data if isinstance(mask, Tensor) else mask).reshape(Bn, 1, 1, T)
        attentions = []
        for block in self.blocks:
            x, a = block(x, key_mask)
            attentions.append(a)
        cls = self.ln_f(x[:, 0])                                                            # (B, d)
        logits = self.head(cls)                                                             # (B, n_classes)
        out = (logits,)
        if return_attention:
            out += (attentions,)
        if return_cls:
            out += (cls,)
        return out if len(out) > 1 else logits

    def param_groups(self, weight_decay: float, decay_embeddings: bool = False):
        """Two groups for AdamW: matrices get weight decay; biases, LayerNorm
        parameters (and embeddings, unless asked) do not."""
        decay, no_decay = [], []
        for name, p in self.named_parameters():
            (decay if wants_decay(name, p.ndim, decay_embeddings) else no_decay).append(p)
        return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]

    def num_parameters(self) -> int:
        return sum(p.size for p in self.parameters())
