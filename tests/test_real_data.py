"""The real emotion data, where EMOTION_DATA_DIR points to it (.ci/run sets it to ../shared/data/emotion)."""
import os

import numpy as np
import pytest

from minitransformer.data import LABELS, load_emotion

DATA = os.environ.get("EMOTION_DATA_DIR")
pytestmark = pytest.mark.skipif(not DATA, reason="EMOTION_DATA_DIR is not set")


def test_real_splits_have_the_published_sizes_and_label_counts():
    splits = load_emotion(DATA)
    assert {k: len(v) for k, v in splits.items()} == {"train": 16000, "validation": 2000, "test": 2000}
    counts = dict(zip(LABELS, np.bincount(splits["train"].labels, minlength=6).tolist()))
    assert counts == {"joy": 5362, "sadness": 4666, "anger": 2159, "fear": 1937, "love": 1304, "surprise": 572}


def test_a_short_run_on_real_data_learns(tmp_path):
    from minitransformer.trainer import TrainConfig, train
    cfg = TrainConfig(data_dir=DATA, out=str(tmp_path), epochs=3, limit=4000, d_model=64, d_ff=128,
                      vocab_size=3000, max_len=64, lr=3e-3, dropout=0.1, token_dropout=0.0, log_every=50,
                      eval_batch_size=500)
    state = train(cfg, progress=False, print_fn=lambda *a: None)
    first, last = state["history"][0], state["history"][-1]
    assert last["val_acc"] > 0.6            # the majority class (joy) is 0.35 of validation
    assert last["train_loss"] < first["train_loss"] < np.log(6) + 0.05
