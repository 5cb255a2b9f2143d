"""Optimisers (AdamW, SGD), the learning-rate schedule and gradient clipping.

The update rules follow torch.optim step for step, so the PyTorch mirror can
check them to the last bits. Every update is written in place on the
parameter arrays and runs on their device (no host round-trip).
"""
from __future__ import annotations

import math

from . import backend as B


class Optimizer:
    def __init__(self, params, defaults: dict):
        if params and isinstance(params[0], dict):
            groups = params
        else:
            groups = [{"params": list(params)}]
        self.param_groups = [{**defaults, **g} for g in groups]
        self.state = {}       # id(param) -> dict of arrays
        self.step_count = 0

    def params(self):
        return [p for g in self.param_groups for p in g["params"]]

    def zero_grad(self):
        for p in self.params():
            p.grad = None

    def set_lr(self, lr: float):
        for g in self.param_groups:
            g["lr"] = lr

    def state_dict(self) -> dict:
        """{"step": int, "buffers": {"<i>.<name>": host array}} with i the parameter's position."""
        buffers = {}
        for i, p in enumerate(self.params()):
            for k, v in self.state.get(id(p), {}).items():
                buffers[f"{i}.{k}"] = B.to_numpy(v)
        return {"step": self.step_count, "buffers": buffers}

    def load_state_dict(self, state: dict):
        self.step_count = int(state["step"])
        params = self.params()
        self.state = {}
        for key, arr in state["buffers"].items():
            i, name = key.split(".", 1)
            p = params[int(i)]
            if tuple(arr.shape) != p.shape:
                raise ValueError(f"optimiser buffer {key} has shape {tuple(arr.shape)}, parameter has {p.shape}")
            self.state.setdefault(id(p), {})[name] = B.to_backend(arr, B.backend_of(p.data)).astype(p.dtype)


class AdamW(Optimizer):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW:

        p <- p (1 - lr wd)
        m <- b1 m + (1 - b1) g          v <- b2 v + (1 - b2) g^2
        p <- p - lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t) + eps)
    """
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    def step(self):
        self.step_count += 1
        t = self.step_count
        for g in self.param_groups:
            lr, (b1, b2), eps, wd = g["lr"], g["betas"], g["eps"], g["weight_decay"]
            bc1, bc2_sqrt = 1 - b1 ** t, math.sqrt(1 - b2 ** t)
            for p in g["params"]:
                if p.grad is None:
                    continue
                xp = B.get_array_module(p.data)
                st = self.state.setdefault(id(p), {})
                if not st:
                    st["m"], st["v"] = xp.zeros_like(p.data), xp.zeros_like(p.data)
                m, v, grad = st["m"], st["v"], p.grad
                if wd:
                    p.data *= 1 - lr * wd
                m *= b1
                m += (1 - b1) * grad
                v *= b2
                v += (1 - b2) * grad * grad
                denom = xp.sqrt(v)
                denom /= bc2_sqrt
                denom += eps
                p.data -= (lr / bc1) * m / denom


class SGD(Optimizer):
    """p <- p - lr (g + wd p), with momentum buf <- mu buf + g (as torch.optim.SGD)."""
    def __init__(self, params, lr=0.1, momentum=0.0, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay))

    def step(self):
        self.step_count += 1
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                d = p.grad + g["weight_decay"] * p.data if g["weight_decay"] else p.grad
                if g["momentum"]:
                    st = self.state.setdefault(id(p), {})
                    if "buf" not in st:
                        st["buf"] = d.copy()
                    else:
                        st["buf"] *= g["momentum"]
                        st["buf"] += d
                    d = st["buf"]
                p.data -= g["lr"] * d


def warmup_cosine(step: int, warmup: int, total: int, min_ratio: float = 0.0) -> float:
    """Learning-rate multiplier for update number `step` (0-based):
    linear warm-up to 1 over `warmup` updates, then cosine decay to `min_ratio` at `total`."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


def clip_grad_norm(params, max_norm: float):
    """Scale all gradients together so their joint L2 norm is at most max_norm
    (torch.nn.utils.clip_grad_norm_). Returns the norm before clipping, as a
    0-d array on the parameters' device (reading it is a host sync)."""
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return 0.0
    xp = B.get_array_module(grads[0])
    total = xp.sqrt(sum((g * g).sum() for g in grads))
    coef = xp.minimum(max_norm / (total + 1e-6), 1.0)
    for p in params:
        if p.grad is not None:
            p.grad = p.grad * coef.astype(p.grad.dtype)
    return total
