"""Loading the emotion data: local folder, errors, dialogs, tokenizer, batches."""
import numpy as np
import pytest

from minitransformer import data as D


def test_local_folder_loads_all_splits_in_hf_label_order(emotion_dir):
    splits = D.load_emotion(emotion_dir)
    assert set(splits) == {"train", "validation", "test"}
    assert len(splits["train"]) == 360
    first = (emotion_dir / "train.txt").read_text().splitlines()[0]
    assert D.LABELS[splits["train"].labels[0]] == first.rsplit(";", 1)[1] == "sadness"
    assert D.LABELS == ["sadness", "joy", "love", "anger", "fear", "surprise"]


def test_environment_variable_points_to_the_folder(emotion_dir, monkeypatch):
    monkeypatch.setenv("EMOTION_DATA_DIR", str(emotion_dir))
    assert len(D.load_emotion()["test"]) == 90


def test_malformed_line_names_file_and_line(tmp_path, emotion_dir):
    for f in ("train.txt", "val.txt", "test.txt"):
        (tmp_path / f).write_text((emotion_dir / f).read_text())
    (tmp_path / "val.txt").write_text("i feel fine;joy\nno label separator here\n")
    with pytest.raises(D.DataError, match=r"val.txt:2: malformed line"):
        D.load_emotion(tmp_path)
    (tmp_path / "val.txt").write_text("i feel fine;joy\ni feel odd;boredom\n")
    with pytest.raises(D.DataError, match=r"val.txt:2: unknown label 'boredom'"):
        D.load_emotion(tmp_path)


def test_folder_without_the_files_says_what_it_needs(tmp_path):
    with pytest.raises(D.DataError, match="lacks train.txt, val.txt, test.txt"):
        D.load_emotion(tmp_path)


def test_no_folder_and_no_hub_names_both_ways(monkeypatch):
    monkeypatch.delenv("EMOTION_DATA_DIR", raising=False)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(D.DataError) as e:
        D.load_emotion(None)
    assert "--data-dir" in str(e.value) and "EMOTION_DATA_DIR" in str(e.value) and "dair-ai/emotion" in str(e.value)


def test_tokenizer_prepends_cls_and_lowercases(emotion_dir):
    s = D.load_emotion(emotion_dir)["train"]
    tok = D.train_tokenizer(s.texts, 300)
    ids = D.encode(tok, ["I FEEL Happy"], 32)[0]
    assert ids[0] == D.CLS_ID
    assert [tok.id_to_token(i) for i in ids[1:]] == ["i", "feel", "happy"]
    assert len(D.encode(tok, ["feel " * 100], 16)[0]) == 16


def test_dialogs_keep_the_last_turn_and_its_label(emotion_dir):
    s = D.load_emotion(emotion_dir)["train"]
    d = D.make_dialogs(s, turns=4, seed=0)
    assert all(t[-1] == s.texts[i] for i, t in enumerate(d.texts))
    assert {len(t) for t in d.texts} == {1, 2, 3, 4}
    np.testing.assert_array_equal(d.labels, s.labels)
    tok = D.train_tokenizer(s.texts, 300)
    long = D.encode(tok, [["feel " * 50, "so happy"]], 16)[0]
    assert [tok.id_to_token(i) for i in long[-2:]] == ["so", "happy"]   # a long dialog loses its start
    assert tok.id_to_token(D.encode(tok, [["sad", "happy"]], 16)[0][2]) == "[SEP]"


def test_batches_cover_every_example_once_and_group_by_length():
    r = np.random.default_rng(0)
    seqs = [[2] * int(n) for n in r.integers(2, 60, size=1000)]
    plan = D.batches(seqs, 32, shuffle=True, seed=1, group=10)
    assert sorted(np.concatenate(plan).tolist()) == list(range(1000))
    pad = sum(max(len(seqs[i]) for i in b) * len(b) for b in plan) / sum(map(len, seqs))
    assert pad < 1.15   # grouped by length: little padding (random batches give ~1.7)
    assert [b.tolist() for b in plan] == [b.tolist() for b in D.batches(seqs, 32, shuffle=True, seed=1, group=10)]
    ids, mask = D.pad_batch([[2, 5, 6], [2, 7]])
    np.testing.assert_array_equal(ids, [[2, 5, 6], [2, 7, 0]])
    np.testing.assert_array_equal(mask, [[True, True, True], [True, True, False]])
