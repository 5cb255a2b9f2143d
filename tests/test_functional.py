"""Each fused op (hand-derived backward) against its twin composed of primitive
ops (backward by autograd): the same values and gradients, two ways."""
import numpy as np
import pytest

import minitransformer.functional as F
import minitransformer.functional.composed as C
from minitransformer import backend as B
from minitransformer.tensor import Tensor

r = np.random.default_rng(0)
mask = r.random((2, 1, 1, 6)) > 0.4
mask[..., 0] = True
target = np.array([1, -100, 2, 0, 3, 3])

PAIRS = {
    "linear": (F.linear, C.linear, [(2, 3, 5), (4, 5), (4,)]),
    "softmax": (F.softmax, C.softmax, [(3, 7)]),
    "log_softmax": (F.log_softmax, C.log_softmax, [(3, 7)]),
    "gelu_tanh": (F.gelu, C.gelu, [(3, 7)]),
    "gelu_erf": (lambda x: F.gelu(x, "none"), lambda x: C.gelu(x, "none"), [(3, 7)]),
    "layer_norm": (F.layer_norm, C.layer_norm, [(2, 3, 8), (8,), (8,)]),
    "dropout": (lambda x: F.dropout(x, 0.25), lambda x: C.dropout(x, 0.25), [(5, 6)]),
    "attention": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask=mask, dropout_p=0.1)[0],
                  lambda q, k, v: C.scaled_dot_product_attention(q, k, v, mask=mask, dropout_p=0.1)[0],
                  [(2, 3, 6, 4), (2, 3, 6, 4), (2, 3, 6, 5)]),
    "causal attention": (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, causal=True)[0],
                         lambda q, k, v: C.scaled_dot_product_attention(q, k, v, causal=True)[0],
                         [(1, 2, 5, 4), (1, 2, 5, 4), (1, 2, 5, 3)]),
    "cross_entropy": (lambda x: F.cross_entropy(x, target, label_smoothing=0.1),
                      lambda x: C.cross_entropy(x, target, label_smoothing=0.1), [(6, 4)]),
}


@pytest.mark.parametrize("name", PAIRS)
def test_fused_equals_composed(name):
    fused, composed, shapes = PAIRS[name]
    data = [r.standard_normal(s) for s in shapes]
    grads = []
    for fn in (fused, composed):
        xs = [Tensor(d.copy(), requires_grad=True) for d in data]
        B.manual_seed(3)
        y = fn(*xs)
        g = np.random.default_rng(1).standard_normal(y.shape)
        y.backward(g)
        grads.append((y.data, [x.grad for x in xs]))
    (y1, g1), (y2, g2) = grads
    np.testing.assert_allclose(y1, y2, rtol=1e-12, atol=1e-13)
    for a, b in zip(g1, g2):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_attention_weights_rows_sum_to_one_and_ignore_padding():
    q = Tensor(r.standard_normal((2, 1, 6, 4)))
    _, a = F.scaled_dot_product_attention(q, q, q, mask=mask)
    np.testing.assert_allclose(a.data.sum(-1), 1.0, rtol=1e-6)
    assert (a.data[np.broadcast_to(~mask, a.shape)] == 0).all()


def test_attention_rejects_a_non_boolean_mask():
    q = Tensor(r.standard_normal((1, 3, 2)))
    with pytest.raises(TypeError, match="boolean"):
        F.scaled_dot_product_attention(q, q, q, mask=np.ones((1, 1, 3)))


def test_cross_entropy_checks_target_shape_and_dtype():
    x = Tensor(r.standard_normal((4, 3)))
    with pytest.raises(ValueError, match=r"need a target of shape \(4,\)"):
        F.cross_entropy(x, np.zeros(5, dtype=int))
    with pytest.raises(TypeError, match="integer class ids"):
        F.cross_entropy(x, np.zeros(4))


def test_layer_norm_names_the_shapes_it_needs():
    x = Tensor(r.standard_normal((2, 5)))
    with pytest.raises(ValueError, match=r"weight and bias of shape \(5,\)"):
        F.layer_norm(x, Tensor(np.ones(4)), Tensor(np.zeros(4)))


def test_dropout_is_identity_in_eval_and_keeps_the_mean_in_training():
    x = Tensor(np.ones((200, 200)))
    assert F.dropout(x, 0.5, training=False) is x
    y = F.dropout(x, 0.5, training=True).data
    assert 0.45 < (y == 0).mean() < 0.55
    np.testing.assert_allclose(y.mean(), 1.0, atol=0.03)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        F.dropout(x, 1.0)
