"""Every op passes the finite-difference check; a broken backward is caught."""
import numpy as np
import pytest

import gradcheck.__main__ as cli
from gradcheck import GradcheckError, gradcheck
from gradcheck.cases import CASES
from minitransformer.functional.normalization import LayerNorm
from minitransformer.tensor import Tensor


@pytest.mark.parametrize("case", CASES, ids=[f"{c.op}:{c.shapes}" for c in CASES])
def test_every_op_passes_with_rel_err_below_1e6(case):
    r = gradcheck(case.fn, case.inputs("numpy"))
    assert r.passed, r.report()
    assert r.max_rel_err < 1e-6, r.report()


def test_command_prints_a_table_and_exits_zero(capsys):
    assert cli.main([]) == 0
    out = capsys.readouterr().out
    assert "max rel err" in out and "layer_norm" in out and "FAIL" not in out


def test_command_rejects_unknown_backend(capsys):
    assert cli.main(["--backend", "tpu"]) == 2
    assert "unknown backend" in capsys.readouterr().err


def test_wrong_backward_fails_with_both_gradients_shown():
    from minitransformer.tensor import Function

    class Square(Function):  # d(x^2)/dx written as x instead of 2x
        def forward(self, x):
            self.x = x
            return x * x

        def backward(self, g):
            return (g * self.x,)

    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    r = gradcheck(lambda x: Square()(x), [x])
    assert not r.passed
    assert "analytic" in r.report() and "numeric" in r.report()
    with pytest.raises(GradcheckError):
        gradcheck(lambda x: Square()(x), [x], raise_exception=True)


def test_directional_mode_is_used_for_large_inputs():
    case = next(c for c in CASES if c.op == "linear (large)")
    r = gradcheck(case.fn, case.inputs("numpy"))
    assert r.checks[0].mode == "directions" and r.passed


def flipped_layer_norm_backward(self, g):
    gx, gw, gb = ORIGINAL_BACKWARD(self, g)
    return -gx, gw, gb


ORIGINAL_BACKWARD = LayerNorm.backward


def test_a_flipped_sign_in_layer_norm_backward_is_caught_by_gradcheck_and_torch(monkeypatch):
    torch = pytest.importorskip("torch")
    from tests.test_torch_ops import compare_with_torch

    case = next(c for c in CASES if c.op == "layer_norm")
    assert gradcheck(case.fn, case.inputs()).passed
    compare_with_torch(case, torch)                        # passes before the break

    monkeypatch.setattr(LayerNorm, "backward", flipped_layer_norm_backward)
    assert not gradcheck(case.fn, case.inputs()).passed
    with pytest.raises(AssertionError):
        compare_with_torch(case, torch)
