"""The ops that `python -m gradcheck` checks, each on shapes that exercise it:
broadcasting, batch x heads, padded attention rows, ignored targets.

A case is (op, shapes, fn, inputs); `inputs(backend, rng)` builds float64
Tensors on that backend. The tests run the same list.

`torch` gives the op's PyTorch twin for tests/test_torch_ops.py where `fn`
itself does not run on torch tensors (torch is imported by the tests only).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy

import minitransformer.functional as F
from minitransformer import backend as B
from minitransformer import ops
from minitransformer.tensor import Tensor


@dataclass
class Case:
    op: str
    shapes: str
    fn: Callable
    make: Callable   # (to_device, rng) -> list of inputs
    torch: Callable | None = None   # (torch, *inputs as torch tensors) -> the same op in PyTorch, if fn won't do

    def inputs(self, backend="numpy", seed=0):
        b = B.get_backend(backend)
        return self.make(b.from_host, numpy.random.default_rng(seed))


def _t(to, a, grad=True):
    return Tensor(to(numpy.asarray(a, dtype=numpy.float64)), requires_grad=grad)


def _randn(*shapes):
    return lambda to, r: [_t(to, r.standard_normal(s)) for s in shapes]


def _seeded(fn):
    """Dropout draws random numbers: reseed so every evaluation draws the same mask."""
    def run(*xs):
        B.manual_seed(1234)
        return fn(*xs)
    return run


def _padding_mask(to, batch, t, lengths):
    """(batch, 1, 1, t) key-padding mask: True for the first `lengths[b]` keys."""
    m = numpy.arange(t)[None, :] < numpy.asarray(lengths)[:, None]
    return to(m.reshape(batch, 1, 1, t))


def _attention_inputs(B_, H, T, d, lengths):
    def make(to, r):
        q, k, v = (_t(to, r.standard_normal((B_, H, T, d))) for _ in range(3))
        return [q, k, v, _padding_mask(to, B_, T, lengths)]
    return make


def _ce_inputs(shape, C, ignore_some):
    def make(to, r):
        t = r.integers(0, C, size=shape)
        if ignore_some:
            t.flat[::3] = -100
        return [_t(to, r.standard_normal((*shape, C))), to(t)]
    return make


# --- PyTorch twins used by tests/test_torch_ops.py (torch is passed in, never imported here) ---

def _mask_like(torch, a, p):
    """The dropout mask our seeded generator draws for an array like `a`."""
    from minitransformer.functional.normalization import dropout_mask
    B.manual_seed(1234)
    return torch.from_numpy(dropout_mask(numpy.zeros(tuple(a.shape)), p))


def _torch_sdpa(torch, q, k, v, m):
    return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=m)


def _torch_attention_dropout(torch, q, k, v, m):
    s = (q @ k.transpose(-1, -2)) / q.shape[-1] ** 0.5
    a = torch.softmax(s.masked_fill(~m, torch.finfo(s.dtype).min), dim=-1)
    return (a * _mask_like(torch, a, 0.2)) @ v


def _torch_ce(label_smoothing=0.0):
    def ce(torch, x, t):
        return torch.nn.functional.cross_entropy(x.reshape(-1, x.shape[-1]), t.reshape(-1),
                                                 ignore_index=-100, label_smoothing=label_smoothing)
    return ce


def _block_module(backend):
    """One pre-LayerNorm transformer block, 2 heads, float64, weights fixed by seed."""
    from minitransformer.model import Block, ModelConfig
    saved = B.get_default_dtype()
    B.set_default_dtype(numpy.float64)
    B.manual_seed(7)
    block = Block(ModelConfig(d_model=16, n_heads=2, d_ff=32, dropout=0.0), backend=backend)
    B.set_default_dtype(saved)
    return block


def _block(x, mask):
    return _block_module(B.backend_of(x.data))(x, mask)[0]


def _torch_block(torch, x, mask):
    from minitransformer import torch_reference as R
    ours = _block_module("numpy")
    block = R.Block(R.ModelConfig(d_model=16, n_heads=2, d_ff=32, dropout=0.0)).double()
    block.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return block(x, mask)[0]


CASES = [
    Case("add", "(3,1,4) + (5,4)", lambda a, b: a + b, _randn((3, 1, 4), (5, 4))),
    Case("sub", "(2,3) - (3,)", lambda a, b: a - b, _randn((2, 3), (3,))),
    Case("mul", "(4,1) * (1,5)", lambda a, b: a * b, _randn((4, 1), (1, 5))),
    Case("div", "(3,4) / (4,)", lambda a, b: a / b,
         lambda to, r: [_t(to, r.standard_normal((3, 4))), _t(to, r.uniform(0.5, 2.0, 4))]),
    Case("neg", "(3,4)", lambda a: -a, _randn((3, 4))),
    Case("pow", "(3,4) ** 3", lambda a: a ** 3, _randn((3, 4))),
    Case("pow", "(3,4) ** -0.5", lambda a: a ** -0.5, lambda to, r: [_t(to, r.uniform(0.5, 2.0, (3, 4)))]),
    Case("exp", "(3,4)", lambda a: a.exp(), _randn((3, 4))),
    Case("log", "(3,4)", lambda a: a.log(), lambda to, r: [_t(to, r.uniform(0.2, 3.0, (3, 4)))]),
    Case("tanh", "(3,4)", lambda a: a.tanh(), _randn((3, 4))),
    Case("erf", "(3,4)", ops.erf, _randn((3, 4)), lambda torch, a: torch.erf(a)),
    Case("where", "(3,4), (4,)",
         lambda a, b: ops.where(B.get_array_module(a.data).arange(12).reshape(3, 4) % 3 == 0, a, b),
         _randn((3, 4), (4,)), lambda torch, a, b: torch.where(torch.arange(12).reshape(3, 4) % 3 == 0, a, b)),
    Case("matmul", "(4,5) @ (5,3)", lambda a, b: a @ b, _randn((4, 5), (5, 3))),
    Case("matmul", "(2,3,4,5) @ (3,5,2)", lambda a, b: a @ b, _randn((2, 3, 4, 5), (3, 5, 2))),
    Case("sum", "(2,3,4) axis=1", lambda a: a.sum(axis=1), _randn((2, 3, 4))),
    Case("sum", "(2,3,4) axis=(0,2) keepdims", lambda a: a.sum(axis=(0, 2), keepdims=True), _randn((2, 3, 4))),
    Case("mean", "(2,3,4) axis=-1", lambda a: a.mean(axis=-1), _randn((2, 3, 4))),
    Case("max", "(2,3,4) axis=1", lambda a: a.max(axis=1), _randn((2, 3, 4)), lambda torch, a: a.amax(dim=1)),
    Case("reshape", "(2,3,4) -> (6,4)", lambda a: a.reshape(6, 4), _randn((2, 3, 4))),
    Case("transpose", "(2,3,4) axes (2,0,1)", lambda a: a.transpose(2, 0, 1), _randn((2, 3, 4)),
         lambda torch, a: a.permute(2, 0, 1)),
    Case("getitem", "(4,5)[1:3, ::2]", lambda a: a[1:3, ::2], _randn((4, 5))),
    Case("getitem", "(4,5)[[0,2,0]] (repeats)", lambda a: a[B.get_array_module(a.data).asarray([0, 2, 0])],
         _randn((4, 5)), lambda torch, a: a[torch.tensor([0, 2, 0])]),
    Case("concatenate", "(2,3) ++ (2,5) axis=1", lambda a, b: ops.concatenate([a, b], axis=1), _randn((2, 3), (2, 5)),
         lambda torch, a, b: torch.cat([a, b], dim=1)),
    Case("split", "(2,6) into 3 axis=1", lambda a: ops.split(a, 3, axis=1)[1] * ops.split(a, 3, axis=1)[2],
         _randn((2, 6)),
         lambda torch, a: torch.split(a, 2, dim=1)[1] * torch.split(a, 2, dim=1)[2]),
    Case("embedding", "ids (2,4) into (6,3), repeats", lambda w, ids: F.embedding(ids, w),
         lambda to, r: [_t(to, r.standard_normal((6, 3))), to(numpy.array([[0, 1, 1, 5], [5, 2, 0, 0]]))],
         lambda torch, w, ids: torch.nn.functional.embedding(ids, w)),
    Case("linear", "(2,3,5) W(4,5) b(4,)", F.linear, _randn((2, 3, 5), (4, 5), (4,)),
         lambda torch, *a: torch.nn.functional.linear(*a)),
    Case("softmax", "(3,5) axis=-1", F.softmax, _randn((3, 5)), lambda torch, a: torch.softmax(a, dim=-1)),
    Case("softmax", "(4,3,2) axis=0", lambda a: F.softmax(a, axis=0), _randn((4, 3, 2)),
         lambda torch, a: torch.softmax(a, dim=0)),
    Case("log_softmax", "(3,5) axis=-1", F.log_softmax, _randn((3, 5)), lambda torch, a: torch.log_softmax(a, dim=-1)),
    Case("gelu", "(3,4) tanh", F.gelu, _randn((3, 4)),
         lambda torch, a: torch.nn.functional.gelu(a, approximate="tanh")),
    Case("gelu", "(3,4) none (erf)", lambda a: F.gelu(a, approximate="none"), _randn((3, 4)),
         lambda torch, a: torch.nn.functional.gelu(a)),
    Case("layer_norm", "(2,3,6) over 6", F.layer_norm, _randn((2, 3, 6), (6,), (6,)),
         lambda torch, x, w, b: torch.nn.functional.layer_norm(x, (6,), w, b)),
    Case("dropout", "(4,5) p=0.3", _seeded(lambda a: F.dropout(a, 0.3, True)), _randn((4, 5)),
         lambda torch, a: a * _mask_like(torch, a, 0.3)),
    Case("attention", "(2,1,5,4) padded", lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, mask=m),
         _attention_inputs(2, 1, 5, 4, [5, 2]), _torch_sdpa),
    Case("attention", "(2,3,4,2) heads, padded to 1 key",
         lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, mask=m),
         _attention_inputs(2, 3, 4, 2, [1, 3]), _torch_sdpa),
    Case("attention", "(1,2,4,3) causal", lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, causal=True),
         _attention_inputs(1, 2, 4, 3, [4]),
         lambda torch, q, k, v, m: torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)),
    Case("attention", "(2,1,4,3) padded, dropout 0.2",
         _seeded(lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, mask=m, dropout_p=0.2)),
         _attention_inputs(2, 1, 4, 3, [4, 3]), _torch_attention_dropout),
    Case("cross_entropy", "(6,4)", F.cross_entropy, _ce_inputs((6,), 4, False), _torch_ce()),
    Case("cross_entropy", "(2,3,5) ignore_index", F.cross_entropy, _ce_inputs((2, 3), 5, True), _torch_ce()),
    Case("cross_entropy", "(6,4) ignore, smoothing 0.1",
         lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), _ce_inputs((6,), 4, True), _torch_ce(0.1)),
    Case("linear (large)", "(8,16,64) W(96,64)", F.linear, _randn((8, 16, 64), (96, 64), (96,)),
         lambda torch, *a: torch.nn.functional.linear(*a)),
    Case("attention (large)", "(4,4,16,16) padded", lambda q, k, v, m: F.scaled_dot_product_attention(q, k, v, mask=m),
         _attention_inputs(4, 4, 16, 16, [16, 9, 3, 1]), _torch_sdpa),
    Case("block (large)", "(4,10,16) 2 heads, padded", _block,
         lambda to, r: [_t(to, r.standard_normal((4, 10, 16))), _padding_mask(to, 4, 10, [10, 6, 2, 1])],
         _torch_block),
]
