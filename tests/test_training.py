"""End to end on the tiny fixture: train, checkpoint, interrupt, resume, evaluate."""
import json
import math

import numpy as np
import pytest

import eval as eval_cli
import train as train_cli
from minitransformer import checkpoint as ckpt
from minitransformer.trainer import Interrupted, TrainingDiverged, train
from tests.conftest import tiny_config


def weights(path):
    return ckpt.load(path)["model"]


@pytest.fixture
def full_run(tiny_run):
    return tiny_run


def test_training_learns_and_logs_each_epoch(full_run):
    out, state = full_run
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in log] == [1, 2, 3]
    assert log[0]["train_loss"] < math.log(6) + 0.1          # starts near ln 6 and falls
    assert log[-1]["train_loss"] < log[0]["train_loss"]
    assert log[-1]["val_acc"] > 0.5                           # chance is 1/6
    assert 0 < log[-1]["val_attn_entropy"] <= math.log(32)
    for f in ("last.safetensors", "best.safetensors", "tokenizer.json", "config.json"):
        assert (out / f).is_file()


def test_interrupted_then_resumed_run_equals_the_uninterrupted_one(full_run, emotion_dir, tmp_path):
    out, _ = full_run
    cfg = tiny_config(tmp_path, emotion_dir, tokenizer=str(out / "tokenizer.json"))   # the same vocabulary
    with pytest.raises(Interrupted, match="--resume"):
        train(cfg, progress=False, stop_at_step=30, print_fn=lambda *a: None)   # mid-epoch 2 (23 steps an epoch)
    assert ckpt.load(tmp_path / "last.safetensors")["train_state"]["step"] == 30
    state = train(cfg, resume=True, progress=False, print_fn=lambda *a: None)
    assert state["step"] == 69
    a, b = weights(out / "last.safetensors"), weights(tmp_path / "last.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    ref = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    got = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [r["val_loss"] for r in got] == [r["val_loss"] for r in ref]


def test_eval_prints_metrics_and_writes_pictures(full_run, emotion_dir, capsys):
    out, _ = full_run
    assert eval_cli.main([str(out), "--data-dir", str(emotion_dir), "--heatmaps", "2"]) == 0
    text = capsys.readouterr().out
    assert "test: accuracy" in text and "macro-F1" in text and "confusion matrix" in text
    rep = json.loads((out / "eval_test.json").read_text())
    assert rep["accuracy"] > 0.5 and np.array(rep["confusion"]).sum() == 90
    for f in ("confusion_test.png", "curves.png", "attention_test_0.png", "attention_test_1.png"):
        assert (out / f).stat().st_size > 1000


def test_eval_explains_unseen_sentences(full_run, capsys):
    out, _ = full_run
    assert eval_cli.main([str(out), "--text", "i feel so scared and nervous today"]) == 0
    text = capsys.readouterr().out
    assert "prediction: fear" in text
    assert "[CLS] attention:" in text and (out / "attention_text_0.png").is_file()


def test_a_truncated_checkpoint_gives_a_clear_error(full_run, tmp_path):
    out, _ = full_run
    data = (out / "last.safetensors").read_bytes()
    bad = tmp_path / "last.safetensors"
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(ckpt.CheckpointError, match="corrupt or truncated"):
        ckpt.load(bad)
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(ckpt.CheckpointError, match="corrupt or truncated"):
        ckpt.load(bad)


def test_a_checkpoint_of_another_model_is_refused(full_run, emotion_dir, tmp_path):
    out, _ = full_run
    from minitransformer.trainer import build_model
    other = build_model(tiny_config(tmp_path, emotion_dir, d_model=16, d_ff=32), 200)
    with pytest.raises(ckpt.CheckpointError, match="another model.*d_model"):
        ckpt.restore(ckpt.load(out / "best.safetensors"), other)


def test_resume_with_other_settings_is_refused(full_run, emotion_dir, tmp_path):
    cfg = tiny_config(tmp_path, emotion_dir)
    with pytest.raises(Interrupted):
        train(cfg, progress=False, stop_at_step=3, print_fn=lambda *a: None)
    with pytest.raises(ckpt.CheckpointError, match="settings differ.*lr"):
        train(tiny_config(tmp_path, emotion_dir, lr=0.1), resume=True, progress=False, print_fn=lambda *a: None)
    with pytest.raises(ckpt.CheckpointError, match="already holds a run"):
        train(cfg, progress=False, print_fn=lambda *a: None)


def test_nan_loss_stops_with_a_message_and_keeps_the_last_good_checkpoint(emotion_dir, tmp_path):
    good = tiny_config(tmp_path, emotion_dir, epochs=1)
    train(good, progress=False, print_fn=lambda *a: None)
    before = weights(tmp_path / "last.safetensors")
    # the same run, resumed for a second epoch at an absurd learning rate, must blow up
    (tmp_path / "config.json").unlink()
    bad = tiny_config(tmp_path, emotion_dir, epochs=2, lr=1e30, clip=0.0, warmup=0.0)
    with np.errstate(all="ignore"), pytest.raises(TrainingDiverged, match="loss became nan.*last good checkpoint"):
        train(bad, resume=True, progress=False, print_fn=lambda *a: None)
    after = weights(tmp_path / "last.safetensors")
    for k in before:
        np.testing.assert_array_equal(before[k], after[k])


def test_command_line_errors_are_clear(tmp_path, capsys, emotion_dir):
    assert train_cli.main(["--backend", "tpu", "--out", str(tmp_path / "x"), "--data-dir", str(emotion_dir)]) == 1
    assert "unknown backend 'tpu'" in capsys.readouterr().err
    assert train_cli.main(["--data-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path / "y")]) == 1
    assert "lacks train.txt" in capsys.readouterr().err
    assert eval_cli.main([str(tmp_path / "nothing")]) == 1
    assert "not a run folder" in capsys.readouterr().err


def test_seed_preset_sets_the_seed_recipe_and_flags_still_win():
    cfg, _, _ = train_cli.parse_args(["--preset", "seed", "--epochs", "3"])
    assert (cfg.lr, cfg.batch_size, cfg.epochs) == (1e-4, 32, 3)


def test_ctrl_c_writes_a_resumable_checkpoint_and_exits_cleanly(emotion_dir, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    args = [sys.executable, "train.py", "--data-dir", str(emotion_dir), "--out", str(tmp_path), "--epochs", "500",
            "--d-model", "32", "--d-ff", "64", "--vocab-size", "200", "--max-len", "32", "--batch-size", "16",
            "--no-progress"]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    lines = []
    deadline = time.time() + 120
    while time.time() < deadline:            # wait until the first epoch is done: training is under way
        lines.append(proc.stdout.readline())
        if lines[-1].startswith("epoch"):
            break
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=120)
    text = "".join(lines) + out
    assert proc.returncode == 130, text
    assert "Traceback" not in text and "--resume" in text
    state = ckpt.load(tmp_path / "last.safetensors")["train_state"]
    assert state["step"] > 0
    done = state["epoch"] + 1
    assert train_cli.main(args[2:] + ["--epochs", str(done), "--resume"]) == 0
    assert ckpt.load(tmp_path / "last.safetensors")["train_state"]["epoch"] == done


def test_dialog_mode_trains_on_sep_joined_turns(emotion_dir, tmp_path):
    from minitransformer.run import open_run
    state = train(tiny_config(tmp_path, emotion_dir, turns=3, epochs=1), progress=False, print_fn=lambda *a: None)
    assert state["history"][0]["val_acc"] > 0
    run = open_run(tmp_path)
    data = run.data()
    assert {len(t) for t in data["validation"].texts} == {1, 2, 3}
    from minitransformer.data import SEP_ID, encode
    seqs = encode(run.tokenizer, data["validation"].texts, 32)
    assert any(SEP_ID in s for s in seqs)


def test_weight_decay_skips_biases_layernorm_and_embeddings_unless_asked():
    from minitransformer.model import ModelConfig, Transformer
    m = Transformer(ModelConfig(vocab_size=20, d_model=8, d_ff=16))
    names = {id(p): n for n, p in m.named_parameters()}
    decay, no_decay = m.param_groups(0.1)
    assert {names[id(p)] for p in decay["params"]} == {
        "blocks.0.attn.q.weight", "blocks.0.attn.k.weight", "blocks.0.attn.v.weight", "blocks.0.attn.out.weight",
        "blocks.0.mlp.fc.weight", "blocks.0.mlp.proj.weight", "head.weight"}
    assert no_decay["weight_decay"] == 0.0 and "tok.weight" in {names[id(p)] for p in no_decay["params"]}
    decay, _ = m.param_groups(0.1, decay_embeddings=True)
    assert "tok.weight" in {names[id(p)] for p in decay["params"]}
