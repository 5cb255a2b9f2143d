"""The whole model and the whole training step against the PyTorch mirror."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import minitransformer.functional as F  # noqa: E402
from minitransformer import backend as B  # noqa: E402
from minitransformer.model import ModelConfig, Transformer  # noqa: E402
from minitransformer.optim import AdamW, warmup_cosine  # noqa: E402
from minitransformer.trainer import train_step  # noqa: E402
from minitransformer.torch_reference import (export_pt, from_torch, load_pt, to_torch,  # noqa: E402
                                             torch_train_step)

CONFIGS = [(1, 1), (3, 1), (1, 2), (3, 2)]           # (heads, layers)
TOL = {  # relative to the largest entry of the reference
    "float64": dict(logits=1e-10, grad=1e-9, param=1e-8),
    # float32: rounding differs between BLAS libraries (~1e-7 per op, more through
    # softmax and LayerNorm); Adam divides by sqrt(v), so a gradient entry near
    # float32 noise can still take a step of the size of the learning rate.
    "float32": dict(logits=2e-5, grad=2e-4, param=1e-4),
}


def rel_err(ours, ref):
    ours, ref = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    return np.abs(ours - ref).max() / max(np.abs(ref).max(), 1e-30)


def make_pair(heads, layers, dtype, seed=0):
    cfg = ModelConfig(vocab_size=40, max_len=16, d_model=24, n_heads=heads, n_layers=layers, d_ff=48, dropout=0.0)
    saved = B.get_default_dtype()
    B.set_default_dtype(dtype)
    B.manual_seed(seed)
    model = Transformer(cfg)
    B.set_default_dtype(saved)
    return model, to_torch(model)


def batch(seed, lengths=(9, 5, 1, 7)):
    """Ids (4, 9) with rows padded down to the class token alone, mask, labels."""
    r = np.random.default_rng(seed)
    T = max(lengths)
    ids = r.integers(5, 40, size=(len(lengths), T))
    mask = np.arange(T)[None, :] < np.asarray(lengths)[:, None]
    ids[:, 0], ids[~mask] = 2, 0
    return ids, mask, r.integers(0, 6, size=len(lengths))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("heads,layers", CONFIGS)
def test_logits_loss_and_every_gradient_match(heads, layers, dtype):
    tol = TOL[dtype]
    model, tm = make_pair(heads, layers, dtype)
    ids, mask, y = batch(1)
    logits = model(ids, mask)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    t_logits = tm(torch.from_numpy(ids), torch.from_numpy(mask))
    t_loss = torch.nn.functional.cross_entropy(t_logits, torch.from_numpy(y))
    t_loss.backward()
    assert rel_err(logits.data, t_logits.detach().numpy()) <= tol["logits"]
    assert rel_err(loss.data, t_loss.item()) <= tol["logits"]
    t_params = dict(tm.named_parameters())
    for name, p in model.named_parameters():
        err = rel_err(p.grad, t_params[name].grad.numpy())
        assert err <= tol["grad"], f"{name}: gradient differs by {err:.3g}"


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("heads,layers", CONFIGS)
def test_ten_adamw_steps_with_warmup_clipping_and_decay_match(heads, layers, dtype):
    tol = TOL[dtype]
    model, tm = make_pair(heads, layers, dtype)
    opt = AdamW(model.param_groups(0.1), lr=1e-2)
    t_opt = torch.optim.AdamW(tm.param_groups(0.1), lr=1e-2)
    t_params = dict(tm.named_parameters())
    for step in range(10):
        ids, mask, y = batch(100 + step)
        lr = 1e-2 * warmup_cosine(step, 3, 10)
        loss, _ = train_step(model, opt, ids, mask, y, lr, clip=0.5)
        t_loss, _ = torch_train_step(tm, t_opt, *(torch.from_numpy(a) for a in (ids, mask, y)), lr, clip=0.5)
        assert rel_err(loss.data, t_loss.item()) <= tol["logits"] * 10, f"loss at step {step}"
        for name, p in model.named_parameters():
            err = rel_err(p.data, t_params[name].detach().numpy())
            assert err <= tol["param"], f"step {step}, {name}: parameters differ by {err:.3g}"
    assert opt.step_count == 10


def test_clipping_is_active_in_the_step_test():
    """The 10-step test would not test clipping if gradients were small: check they exceed 0.5."""
    model, _ = make_pair(1, 1, "float64")
    ids, mask, y = batch(100)
    F.cross_entropy(model(ids, mask), y).backward()
    norm = np.sqrt(sum((p.grad ** 2).sum() for p in model.parameters()))
    assert norm > 0.5


def test_weights_round_trip_both_ways():
    model, tm = make_pair(3, 2, "float64")
    with torch.no_grad():
        for p in tm.parameters():
            p.add_(0.5)
    from_torch(tm, model)
    for name, p in tm.named_parameters():
        np.testing.assert_array_equal(dict(model.named_parameters())[name].data, p.detach().numpy())


def test_exported_pt_loads_into_the_mirror_and_predicts_the_same(tmp_path):
    model, _ = make_pair(1, 1, "float32")
    path = export_pt(model, tmp_path / "single_head_attention.pt")
    tm = load_pt(path)
    ids, mask, _ = batch(7)
    ours = model.eval()(ids, mask).data
    theirs = tm(torch.from_numpy(ids), torch.from_numpy(mask)).detach().numpy()
    assert rel_err(ours, theirs) < 1e-5
    np.testing.assert_array_equal(ours.argmax(1), theirs.argmax(1))
