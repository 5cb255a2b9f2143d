"""Distillation towards a sentence encoder: train.py --distill MODEL --distill-weight W.

A linear head maps the class-token state (d_model) to the reference's width,
and the loss gains W * (1 - mean cos(head(cls), reference embedding)). The
reference embeddings are computed once and cached in the run folder.
"""
from __future__ import annotations

import numpy

from . import backend as B
from .compare import mean_cosine
from .nn import Linear
from .reference import embed_cached, load_reference


class Distiller:
    def __init__(self, cfg, model, data, out):
        ref = load_reference(cfg.distill)
        cache = out / "embeddings"
        self.b = B.get_backend(cfg.backend)
        self.train_ref = embed_cached(ref, cfg.distill, data["train"].texts, cache, "train")
        self.val_ref = embed_cached(ref, cfg.distill, data["validation"].texts, cache, "validation")
        unit = self.train_ref / numpy.linalg.norm(self.train_ref, axis=1, keepdims=True)
        self.train_unit = self.b.from_host(unit.astype(cfg.dtype))              # (n_train, D) on the device
        self.head = Linear(cfg.d_model, self.train_ref.shape[1], backend=cfg.backend).astype(cfg.dtype)

    def parameters(self):
        return self.head.parameters()

    def loss(self, cls, idx):
        """1 - mean_i cos(head(cls_i), r_i):  cos = (p . r_hat) / |p|"""
        p = self.head(cls)                                                      # (B, D)
        r = self.train_unit[self.b.from_host(idx)]                              # (B, D), unit rows
        cos = (p * r).sum(axis=-1) / ((p * p).sum(axis=-1) + 1e-12) ** 0.5
        return 1 - cos.mean()

    def state_tensors(self) -> dict:
        return {f"distill.{k}": v for k, v in self.head.state_dict().items()}

    def restore(self, loaded: dict) -> None:
        self.head.load_state_dict({k[8:]: v for k, v in loaded["extra"].items() if k.startswith("distill.")})

    def val_cosine(self, val_cls) -> float:
        """Mean cosine of head(class-token states of the validation split) to their reference embeddings."""
        w, b = (self.head.state_dict()[k] for k in ("weight", "bias"))
        return mean_cosine(val_cls @ w.T + b, self.val_ref)


def projected_cosine(run, cls_states, ref) -> float:
    """Mean cosine to the reference through a run's trained distillation head."""
    w, b = run.extra["distill.weight"], run.extra["distill.bias"]
    return mean_cosine(cls_states @ w.T + b, ref)
