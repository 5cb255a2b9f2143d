"""Modules and parameters, in the manner of torch.nn (small on purpose).

A Module finds its parameters and sub-modules by looking at its attributes,
in the order they were set, so parameter order is deterministic.
"""
from __future__ import annotations

import math

import numpy

from . import backend as B
from . import functional as F
from .tensor import Tensor


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimiser updates (requires_grad=True)."""
    __slots__ = ()

    def __init__(self, data):
        super().__init__(data, requires_grad=True)


class Module:
    training = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def _named_members(self):
        """(name, Parameter or Module) for each attribute, in definition order; a list
        of modules gives "name.0", "name.1", ... as torch.nn.ModuleList does."""
        for name, value in vars(self).items():
            if isinstance(value, (Parameter, Module)):
                yield name, value
            elif isinstance(value, (list, tuple)):
                yield from ((f"{name}.{i}", v) for i, v in enumerate(value) if isinstance(v, Module))

    def children(self):
        return (m for _, m in self._named_members() if isinstance(m, Module))

    def named_parameters(self, prefix=""):
        """(dotted name, Parameter) pairs, in definition order, as torch names them."""
        for name, value in self._named_members():
            if isinstance(value, Parameter):
                yield prefix + name, value
            else:
                yield from value.named_parameters(f"{prefix}{name}.")

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def train(self, mode: bool = True):
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def to(self, backend):
        """Move every parameter to 'numpy' or 'cupy' (in place)."""
        for p in self.parameters():
            p.data = B.to_backend(p.data, backend)
            p.grad = None
        return self

    def astype(self, dtype):
        for p in self.parameters():
            p.data = p.data.astype(dtype)
        return self

    def state_dict(self) -> dict:
        """name -> NumPy array (a host copy, whatever the device)."""
        return {name: B.to_numpy(p.data).copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict) -> None:
        """Copy arrays into the parameters; every name and shape must match."""
        params = dict(self.named_parameters())
        missing, unexpected = sorted(set(params) - set(state)), sorted(set(state) - set(params))
        wrong = [f"{n}: checkpoint {tuple(state[n].shape)} vs model {p.shape}"
                 for n, p in params.items() if n in state and tuple(state[n].shape) != p.shape]
        if missing or unexpected or wrong:
            raise ValueError("state_dict does not fit this model:"
                             + (f"\n  missing: {missing}" if missing else "")
                             + (f"\n  unexpected: {unexpected}" if unexpected else "")
                             + (f"\n  shape mismatch: {wrong}" if wrong else ""))
        for n, p in params.items():
            p.data = B.to_backend(numpy.asarray(state[n]), B.backend_of(p.data)).astype(p.dtype)
            p.grad = None


def _init(shape, std, backend):
    """Normal(0, std) drawn on the host from the seeded NumPy generator, then moved:
    the same seed gives the same weights on every backend."""
    w = B.rng("numpy").standard_normal(shape) * std
    return B.to_backend(w.astype(B.get_default_dtype()), backend)


class Linear(Module):
    """y = x W^T + b, W: (out, in) as in torch.nn.Linear."""
    def __init__(self, d_in, d_out, bias=True, std=0.02, backend="numpy"):
        self.weight = Parameter(_init((d_out, d_in), std, backend))
        self.bias = Parameter(_init((d_out,), 0.0, backend)) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class Embedding(Module):
    def __init__(self, n, d, std=0.02, backend="numpy"):
        self.weight = Parameter(_init((n, d), std, backend))

    def forward(self, ids):
        return F.embedding(ids, self.weight)


class LayerNorm(Module):
    def __init__(self, d, eps=1e-5, backend="numpy"):
        self.weight = Parameter(_init((d,), 0.0, backend) + 1)
        self.bias = Parameter(_init((d,), 0.0, backend))
        self.eps = eps

    def forward(self, x):
        return F.layer_norm(x, self.weight, self.bias, self.eps)


class Dropout(Module):
    def __init__(self, p):
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)


def sinusoidal_positions(n_positions, d_model):
    """The positional encoding of "Attention Is All You Need" (NumPy, float64):
        PE[pos, 2i] = sin(pos / 10000^(2i/d)),  PE[pos, 2i+1] = cos(pos / 10000^(2i/d))"""
    pos = numpy.arange(n_positions)[:, None]
    div = numpy.exp(numpy.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    pe = numpy.zeros((n_positions, d_model))
    pe[:, 0::2] = numpy.sin(pos * div)
    pe[:, 1::2] = numpy.cos(pos * div[: d_model // 2])
    return pe
