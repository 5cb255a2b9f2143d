"""The autograd core: accumulation, deep graphs, no_grad, broadcasting, errors."""
import numpy as np
import pytest

import minitransformer as mt
from minitransformer import backend as B
from minitransformer.tensor import Tensor, no_grad, sum_to


def test_gradient_of_a_small_expression():
    x = Tensor(np.array([[1.0, 2.0]]), requires_grad=True)
    y = (x * x).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, [[2.0, 4.0]])


def test_gradients_accumulate_when_a_tensor_is_used_twice():
    x = Tensor(np.array(3.0), requires_grad=True)
    y = x * x + x        # dy/dx = 2x + 1 = 7
    y.backward()
    assert x.grad == 7.0
    (x * 2).backward()   # .grad adds up across backward calls, as in PyTorch
    assert x.grad == 9.0


def test_a_chain_of_ten_thousand_ops_needs_no_recursion():
    x = Tensor(np.array(1.0), requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad, 1.0001 ** 10_000, rtol=1e-9)


def test_diamond_graph_visits_shared_node_once():
    x = Tensor(np.array(2.0), requires_grad=True)
    a = x.exp()
    y = a * a + a          # dy/dx = (2a + 1) a
    y.backward()
    a_ = np.exp(2.0)
    np.testing.assert_allclose(x.grad, (2 * a_ + 1) * a_)


def test_no_grad_records_nothing():
    x = Tensor(np.ones(3), requires_grad=True)
    with no_grad():
        y = (x * 2).sum()
    assert not y.requires_grad and y._ctx is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()
    assert mt.is_grad_enabled()


def test_broadcast_operand_gets_gradient_of_its_own_shape():
    a = Tensor(np.ones((3, 1)), requires_grad=True)
    b = Tensor(np.ones((2, 3, 4)), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1)
    np.testing.assert_array_equal(a.grad, np.full((3, 1), 8.0))
    np.testing.assert_array_equal(sum_to(np.ones((2, 3, 4)), (1, 4)), np.full((1, 4), 6.0))


def test_detach_cuts_the_graph():
    x = Tensor(np.array(2.0), requires_grad=True)
    y = x * x.detach()     # only one path carries gradient: dy/dx = x
    y.backward()
    assert x.grad == 2.0


def test_backward_of_non_scalar_needs_a_gradient_of_its_shape():
    x = Tensor(np.ones(3), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="one-element"):
        y.backward()
    with pytest.raises(ValueError, match="does not match"):
        y.backward(np.ones(4))


def test_leaf_gradients_are_not_aliased():
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    (a + b).sum().backward()   # Add passes the same upstream array to both inputs
    a.grad *= 10
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


def test_float_lists_take_the_default_dtype(float64):
    assert mt.tensor([1.0, 2.0]).dtype == np.float64
    B.set_default_dtype(np.float32)
    assert mt.tensor([1.0, 2.0]).dtype == np.float32
    assert (mt.tensor([1.0], dtype=np.float32) * 2.5).dtype == np.float32  # Python scalars keep the dtype


def test_matmul_shape_mismatch_is_a_clear_error():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5)))
    with pytest.raises(ValueError, match=r"matmul shape mismatch: \(2, 3\) @ \(4, 5\)"):
        a @ b


def test_unknown_backend_names_the_choices():
    with pytest.raises(B.BackendError, match="unknown backend 'tpu'.*numpy"):
        B.get_backend("tpu")


def test_cupy_missing_or_without_device_says_how_to_fix():
    try:
        import cupy  # noqa: F401
        pytest.skip("CuPy is installed here")
    except ImportError:
        pass
    with pytest.raises(B.BackendError, match="pip install cupy-cuda12x"):
        B.get_backend("cupy")


def test_seeded_generator_repeats():
    B.manual_seed(5)
    a = B.rng("numpy").random(4)
    B.manual_seed(5)
    np.testing.assert_array_equal(a, B.rng("numpy").random(4))
