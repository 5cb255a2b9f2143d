"""Every op's forward and backward equal torch autograd in float64 to 1e-10 relative."""
import numpy as np
import pytest

from gradcheck.cases import CASES
from minitransformer.tensor import Tensor

torch = pytest.importorskip("torch")

RTOL = 1e-10


def assert_close(ours, ref, what):
    """Equal to RTOL relative to the largest entry of the reference."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, f"{what}: shape {ours.shape} != torch {ref.shape}"
    scale = max(np.abs(ref).max(initial=0.0), 1e-300)
    err = np.abs(ours - ref).max(initial=0.0) / scale
    assert err <= RTOL, f"{what}: max relative error {err:.3g} > {RTOL:g}"


def compare_with_torch(case, torch):
    inputs = case.inputs("numpy", seed=1)
    out = case.fn(*inputs)
    out = out[0] if isinstance(out, tuple) else out
    gy = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(gy)

    t_inputs = [torch.tensor(x.data, requires_grad=x.requires_grad) if isinstance(x, Tensor) else torch.from_numpy(x)
                for x in inputs]
    t_out = (case.torch or (lambda torch, *a: case.fn(*a)))(torch, *t_inputs)
    t_out.backward(torch.from_numpy(gy))

    assert_close(out.data, t_out.detach().numpy(), f"{case.op} forward")
    for i, (x, tx) in enumerate(zip(inputs, t_inputs)):
        if isinstance(x, Tensor) and x.requires_grad:
            assert_close(x.grad, tx.grad.numpy(), f"{case.op} gradient of input {i}")


@pytest.mark.parametrize("case", CASES, ids=[f"{c.op}:{c.shapes}" for c in CASES])
def test_op_matches_torch(case):
    compare_with_torch(case, torch)


def test_attention_weights_match_torch():
    r = np.random.default_rng(0)
    q, k = r.standard_normal((2, 3, 5, 4)), r.standard_normal((2, 3, 5, 4))
    mask = (np.arange(5)[None, :] < np.array([5, 2])[:, None]).reshape(2, 1, 1, 5)
    from minitransformer.functional import scaled_dot_product_attention
    _, a = scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(k), mask=mask)
    s = torch.from_numpy(q) @ torch.from_numpy(k).transpose(-1, -2) / 2.0
    ref = torch.softmax(s.masked_fill(~torch.from_numpy(mask), float("-inf")), dim=-1)
    assert_close(a.data, ref.numpy(), "attention weights")
