"""On a CUDA device with CuPy: the same checks as on the CPU. Skipped cleanly elsewhere."""
import numpy as np
import pytest

from minitransformer import backend as B


def _cupy_or_skip():
    try:
        return B.get_backend("cupy")
    except B.BackendError as e:
        pytest.skip(f"no CuPy / CUDA device: {e}")


pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def cupy_backend():
    return _cupy_or_skip()


def test_gradcheck_of_every_op_on_cupy_in_float64(cupy_backend):
    from gradcheck import gradcheck
    from gradcheck.cases import CASES
    for case in CASES:
        r = gradcheck(case.fn, case.inputs("cupy"))
        assert r.passed and r.max_rel_err < 1e-6, f"{case.op} {case.shapes}\n{r.report()}"


@pytest.mark.parametrize("dtype,tol", [("float64", 1e-10), ("float32", 2e-4)])
def test_same_model_and_batch_give_the_same_loss_and_gradients(cupy_backend, dtype, tol):
    import minitransformer.functional as F
    from minitransformer.model import ModelConfig, Transformer
    cfg = ModelConfig(vocab_size=50, max_len=16, d_model=32, n_heads=2, n_layers=2, d_ff=64, dropout=0.0)
    r = np.random.default_rng(0)
    ids = r.integers(3, 50, size=(4, 12))
    mask = np.arange(12)[None, :] < np.array([12, 6, 1, 9])[:, None]
    y = np.array([0, 1, 4, 5])
    out = {}
    for name in ("numpy", "cupy"):
        b = B.get_backend(name)
        B.manual_seed(0)
        model = Transformer(cfg, backend=name).astype(dtype)
        loss = F.cross_entropy(model(b.from_host(ids), b.from_host(mask)), b.from_host(y))
        loss.backward()
        out[name] = (float(loss.data), {n: B.to_numpy(p.grad) for n, p in model.named_parameters()})
    assert abs(out["numpy"][0] - out["cupy"][0]) <= tol * abs(out["numpy"][0])
    for n, g in out["numpy"][1].items():
        err = np.abs(g - out["cupy"][1][n]).max() / max(np.abs(g).max(), 1e-30)
        assert err <= tol * 10, f"{n}: {err:.3g}"


def test_short_training_on_cupy_matches_numpy_within_noise(cupy_backend, emotion_dir, tmp_path, tiny_run):
    from minitransformer.trainer import train
    from tests.conftest import tiny_config
    ref_out, ref_state = tiny_run
    state = train(tiny_config(tmp_path, emotion_dir, backend="cupy", tokenizer=str(ref_out / "tokenizer.json")),
                  progress=False, print_fn=lambda *a: None)
    acc_gpu, acc_cpu = state["history"][-1]["val_acc"], ref_state["history"][-1]["val_acc"]
    assert abs(acc_gpu - acc_cpu) <= 0.05, (acc_gpu, acc_cpu)
