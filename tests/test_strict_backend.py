"""The engine under a strict CuPy stand-in: no NumPy-isms on device data.

Runs gradcheck of every op, the model against NumPy, and a whole training run
(train, checkpoint, resume, evaluate) on the strict backend; and shows that an
injected NumPy-ism fails here, on the CPU, before it could fail on a GPU.
"""
import numpy as np
import pytest

import minitransformer.functional as F
from gradcheck import gradcheck
from gradcheck.cases import CASES
from minitransformer import backend as B
from minitransformer.model import ModelConfig, Transformer
from minitransformer.ops import arith
from minitransformer.tensor import Tensor
from tests.strict_backend import StrictArray, StrictError, register

register()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.op}:{c.shapes}" for c in CASES])
def test_gradcheck_of_every_op_on_the_strict_backend(case):
    inputs = case.inputs("strict")
    assert any(isinstance(x.data if isinstance(x, Tensor) else x, StrictArray) for x in inputs)
    r = gradcheck(case.fn, inputs)
    assert r.passed and r.max_rel_err < 1e-6, r.report()


def test_model_loss_and_gradients_equal_numpy(float64):
    cfg = ModelConfig(vocab_size=30, max_len=12, d_model=16, n_heads=2, n_layers=2, d_ff=32, dropout=0.0)
    out = {}
    for name in ("numpy", "strict"):
        B.manual_seed(0)
        model = Transformer(cfg, backend=name)
        b = B.get_backend(name)
        ids = np.random.default_rng(1).integers(3, 30, size=(3, 8))
        mask = np.arange(8)[None, :] < np.array([8, 4, 1])[:, None]
        loss = F.cross_entropy(model(b.from_host(ids), b.from_host(mask)), b.from_host(np.array([0, 3, 5])))
        loss.backward()
        out[name] = (float(loss.data), {n: B.to_numpy(p.grad) for n, p in model.named_parameters()})
    assert out["numpy"][0] == out["strict"][0]
    for n, g in out["numpy"][1].items():
        np.testing.assert_array_equal(g, out["strict"][1][n])


def test_training_checkpoint_resume_and_eval_run_on_the_strict_backend(emotion_dir, tmp_path, tiny_run, capsys):
    import eval as eval_cli
    from minitransformer import checkpoint as ckpt
    from minitransformer.trainer import Interrupted, train
    from tests.conftest import tiny_config
    ref_out, _ = tiny_run
    cfg = tiny_config(tmp_path, emotion_dir, backend="strict", tokenizer=str(ref_out / "tokenizer.json"))
    with pytest.raises(Interrupted):
        train(cfg, progress=False, stop_at_step=30, print_fn=lambda *a: None)
    train(cfg, resume=True, progress=False, print_fn=lambda *a: None)
    a, b = ckpt.load(ref_out / "last.safetensors")["model"], ckpt.load(tmp_path / "last.safetensors")["model"]
    for k in a:   # the same run as on NumPy, to the bit: no hidden difference on the "device"
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    # a checkpoint written from the device loads on the host backend and back
    assert eval_cli.main([str(tmp_path), "--backend", "numpy", "--heatmaps", "1"]) == 0
    assert eval_cli.main([str(tmp_path), "--backend", "strict", "--heatmaps", "1"]) == 0
    assert "test: accuracy" in capsys.readouterr().out


def test_the_guard_catches_numpy_isms():
    x = B.get_backend("strict").from_host(np.ones((2, 3)))
    with pytest.raises(StrictError, match="Implicit conversion"):
        np.asarray(x)
    with pytest.raises(StrictError, match="NumPy array of shape"):
        x + np.ones((2, 3))
    with pytest.raises(StrictError, match="add.at"):
        np.add.at(x, [0], 1.0)
    with pytest.raises(StrictError, match="numpy.linalg|numpy.(percentile|median)"):
        np.median(x)
    assert isinstance(x.sum(), StrictArray)          # reductions stay on the device, as in CuPy


def test_an_injected_numpy_ism_fails_under_the_guard(monkeypatch):
    """Tanh's backward written with numpy.tanh(numpy.asarray(x)): fine on NumPy, broken on CuPy."""
    def numpy_ism_backward(self, g):
        return (g * (1 - np.asarray(self.y) ** 2),)
    monkeypatch.setattr(arith.Tanh, "backward", numpy_ism_backward)
    case = next(c for c in CASES if c.op == "tanh")
    assert gradcheck(case.fn, case.inputs("numpy")).passed          # NumPy does not notice
    with pytest.raises(StrictError, match="Implicit conversion"):
        gradcheck(case.fn, case.inputs("strict"))                    # the guard does


def test_tensors_of_two_backends_in_one_op_are_a_clear_error():
    a = Tensor(np.ones(3))
    b = Tensor(B.get_backend("strict").from_host(np.ones(3)))
    with pytest.raises(B.BackendError, match="different backends.*'numpy' and 'strict'"):
        a + b
    np.testing.assert_array_equal((a + b.to("numpy")).data, [2.0, 2.0, 2.0])
