"""The same model in plain PyTorch, for parity tests, `.pt` export and the benchmark.

Imported only by those (torch is a dev / reference dependency, never used by
the engine). Modules and attribute names mirror minitransformer.model, so the
two state_dicts have the same keys and weights move across unchanged.
"""
from __future__ import annotations

import math

import numpy

try:
    import torch
    from torch import nn
except ImportError as e:  # pragma: no cover
    raise ImportError("minitransformer.torch_reference needs PyTorch: pip install torch==2.13.0 "
                      "(or pip install -e \".[dev]\")") from e

from .model import ModelConfig, wants_decay
from .nn import sinusoidal_positions


class SelfAttention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d, self.h = cfg.d_model, cfg.n_heads
        self.q, self.v, self.out = (nn.Linear(d, d) for _ in range(3))
        self.k = nn.Linear(d, d, bias=False)     # as in the minitransformer model: a key bias does nothing
        self.attn_dropout = nn.Dropout(cfg.attn_dropout)

    def forward(self, x, mask):
        Bn, T, C = x.shape
        hs = C // self.h

        def heads(t):
            return t.view(Bn, T, self.h, hs).transpose(1, 2)                     # (B, h, T, hs)

        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        s = q @ k.transpose(-1, -2) / math.sqrt(hs)                                # (B, h, T, T)
        if mask is not None:
            s = s.masked_fill(~mask, torch.finfo(s.dtype).min)
        a = torch.softmax(s, dim=-1)
        o = (self.attn_dropout(a) @ v).transpose(1, 2).reshape(Bn, T, C)          # (B, T, C)
        return self.out(o), a


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.fc, self.proj = nn.Linear(cfg.d_model, cfg.d_ff), nn.Linear(cfg.d_ff, cfg.d_model)
        self.gelu = cfg.gelu

    def forward(self, x):
        return self.proj(nn.functional.gelu(self.fc(x), approximate=self.gelu))


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.ln1 = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)
        self.attn = SelfAttention(cfg)
        self.ln2 = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)
        self.mlp = MLP(cfg)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, x, mask):
        h, a = self.attn(self.ln1(x), mask)
        x = x + self.drop(h)
        return x + self.drop(self.mlp(self.ln2(x))), a


class TorchTransformer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.tok = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.ln_f = nn.LayerNorm(cfg.d_model, eps=cfg.ln_eps)
        self.head = nn.Linear(cfg.d_model, cfg.n_classes)
        self.drop = nn.Dropout(cfg.dropout)
        self.register_buffer("pe", torch.from_numpy(sinusoidal_positions(cfg.max_len, cfg.d_model)),
                             persistent=False)

    def forward(self, ids, mask=None, return_attention=False):
        T = ids.shape[1]
        x = self.drop(self.tok(ids) * math.sqrt(self.cfg.d_model) + self.pe[:T].to(self.tok.weight.dtype))
        key_mask = None if mask is None else mask[:, None, None, :]
        attentions = []
        for block in self.blocks:
            x, a = block(x, key_mask)
            attentions.append(a)
        logits = self.head(self.ln_f(x[:, 0]))
        return (logits, attentions) if return_attention else logits

    def param_groups(self, weight_decay: float, decay_embeddings: bool = False):
        """The same split as minitransformer.model.Transformer.param_groups."""
        decay, no_decay = [], []
        for name, p in self.named_parameters():
            (decay if wants_decay(name, p.ndim, decay_embeddings) else no_decay).append(p)
        return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def to_torch(model, dtype=None) -> TorchTransformer:
    """A TorchTransformer holding a copy of a minitransformer model's weights."""
    tm = TorchTransformer(model.cfg)
    state = {k: torch.from_numpy(numpy.ascontiguousarray(v)) for k, v in model.state_dict().items()}
    dtype = dtype or state["tok.weight"].dtype
    tm.to(dtype)
    tm.load_state_dict(state, strict=True)
    return tm


def from_torch(torch_model: TorchTransformer, model) -> None:
    """Copy a TorchTransformer's weights into a minitransformer model (in place)."""
    model.load_state_dict({k: v.detach().cpu().numpy() for k, v in torch_model.state_dict().items()})


def export_pt(model, path) -> str:
    """Save the weights as a PyTorch state_dict (with the config, to rebuild the module)."""
    from dataclasses import asdict
    from .checkpoint import atomic_write
    tm = to_torch(model)
    atomic_write(path, lambda tmp: torch.save({"config": asdict(model.cfg), "state_dict": tm.state_dict()}, tmp))
    return str(path)


def load_pt(path) -> TorchTransformer:
    """A TorchTransformer from a file written by export_pt."""
    blob = torch.load(path, map_location="cpu", weights_only=True)
    tm = TorchTransformer(ModelConfig(**blob["config"]))
    tm.to(next(iter(blob["state_dict"].values())).dtype)
    tm.load_state_dict(blob["state_dict"])
    return tm.eval()


def torch_train_step(model, opt, ids, mask, y, lr, clip=1.0, label_smoothing=0.0):
    """The twin of minitransformer.trainer.train_step."""
    logits = model(ids, mask)
    loss = nn.functional.cross_entropy(logits, y, label_smoothing=label_smoothing)
    loss.backward()
    if clip:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    for g in opt.param_groups:
        g["lr"] = lr
    opt.step()
    opt.zero_grad(set_to_none=True)
    return loss, logits
