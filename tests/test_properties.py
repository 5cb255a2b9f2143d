"""Property-based checks over random broadcastable shapes (hypothesis)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gradcheck import gradcheck
from minitransformer.tensor import Tensor

torch = __import__("pytest").importorskip("torch")

ELEMENTWISE = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
}


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4),
       op=st.sampled_from(sorted(ELEMENTWISE)), seed=st.integers(0, 2**16))
def test_elementwise_backward_on_broadcast_shapes(shapes, op, seed):
    r = np.random.default_rng(seed)
    a, b = (r.standard_normal(s) for s in shapes.input_shapes)
    ours, ref = ELEMENTWISE[op]
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    y = ours(ta, tb)
    g = r.standard_normal(y.shape)
    y.backward(g)
    xa, xb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    ref(xa, xb).backward(torch.from_numpy(g))
    assert ta.grad.shape == a.shape and tb.grad.shape == b.shape
    np.testing.assert_allclose(ta.grad, xa.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tb.grad, xb.grad.numpy(), rtol=1e-10, atol=1e-12)


@st.composite
def matmul_shapes(draw):
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3))
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    return (*batch.input_shapes[0], n, k), (*batch.input_shapes[1], k, m)


@settings(max_examples=40, deadline=None)
@given(shapes=matmul_shapes(), seed=st.integers(0, 2**16))
def test_batched_matmul_backward_matches_finite_differences_and_torch(shapes, seed):
    r = np.random.default_rng(seed)
    a, b = (r.standard_normal(s) for s in shapes)
    res = gradcheck(lambda x, y: x @ y, [Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)], seed=seed)
    assert res.passed, res.report()
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    (ta @ tb).sum().backward()
    xa, xb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (xa @ xb).sum().backward()
    np.testing.assert_allclose(ta.grad, xa.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(tb.grad, xb.grad.numpy(), rtol=1e-10, atol=1e-12)
