import numpy as np
import pytest

from minitransformer import backend as B


@pytest.fixture
def float64():
    """Run a test with float64 as the default dtype, then restore float32."""
    saved = B.get_default_dtype()
    B.set_default_dtype(np.float64)
    yield
    B.set_default_dtype(saved)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# --- a tiny emotion-like data set in the original `text;label` format ----------

WORDS = {
    "sadness": ["sad", "lonely", "miserable", "hopeless", "gloomy"],
    "joy": ["happy", "glad", "cheerful", "delighted", "content"],
    "love": ["loving", "tender", "affectionate", "romantic", "caring"],
    "anger": ["angry", "furious", "irritated", "annoyed", "bitter"],
    "fear": ["scared", "afraid", "anxious", "nervous", "terrified"],
    "surprise": ["amazed", "surprised", "astonished", "shocked", "stunned"],
}
FILLER = "i im feel feeling really so today a bit the when my about at work home this week very".split()


def write_fixture(folder, n_train=360, n_eval=90, seed=0):
    r = np.random.default_rng(seed)
    labels = list(WORDS)
    folder.mkdir(parents=True, exist_ok=True)
    for name, n in (("train.txt", n_train), ("val.txt", n_eval), ("test.txt", n_eval)):
        lines = []
        for i in range(n):
            label = labels[i % 6]
            words = list(r.choice(FILLER, size=r.integers(3, 9)))
            words.insert(int(r.integers(0, len(words) + 1)), str(r.choice(WORDS[label])))
            lines.append(" ".join(words) + ";" + label)
        (folder / name).write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture(scope="session")
def emotion_dir(tmp_path_factory):
    return write_fixture(tmp_path_factory.mktemp("emotion"))


def tiny_config(out, data_dir, **kw):
    from minitransformer.trainer import TrainConfig
    base = dict(data_dir=str(data_dir), out=str(out), epochs=3, batch_size=16, lr=1e-2, d_model=32, d_ff=64,
                vocab_size=200, max_len=32, dropout=0.1, log_every=5, warmup=0.1)
    base.update(kw)
    return TrainConfig(**base)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, emotion_dir):
    """A trained tiny run folder (3 epochs on the fixture), shared by the tests that read one."""
    from minitransformer.trainer import train
    out = tmp_path_factory.mktemp("tiny_run")
    state = train(tiny_config(out, emotion_dir), progress=False, print_fn=lambda *a: None)
    return out, state
