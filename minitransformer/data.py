"""The emotion data set: loading, tokenising, dialogs, length-grouped batches.

Labels follow the Hugging Face order: 0 sadness, 1 joy, 2 love, 3 anger, 4 fear, 5 surprise.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy

LABELS = ["sadness", "joy", "love", "anger", "fear", "surprise"]
SPLITS = {"train": "train.txt", "validation": "val.txt", "test": "test.txt"}
ENV_VAR = "EMOTION_DATA_DIR"
HUB_NAME = "dair-ai/emotion"
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID = 0, 1, 2, 3, 4


class DataError(RuntimeError):
    pass


@dataclass
class Split:
    texts: list      # str, or for dialogs a list of str (the turns)
    labels: numpy.ndarray

    def __len__(self):
        return len(self.labels)

    def head(self, n):
        return Split(self.texts[:n], self.labels[:n])


def read_split_file(path: Path) -> Split:
    """`text;label` lines -> Split; a malformed line is reported with file and line number."""
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\n\r")
            if not line.strip():
                continue
            text, sep, label = line.rpartition(";")
            if not sep or not text.strip():
                raise DataError(f"{path}:{lineno}: malformed line (expected `text;label`): {line[:80]!r}")
            if label.strip() not in LABELS:
                raise DataError(f"{path}:{lineno}: unknown label {label.strip()!r}; expected one of {LABELS}")
            texts.append(text)
            labels.append(LABELS.index(label.strip()))
    if not texts:
        raise DataError(f"{path}: no examples in file")
    return Split(texts, numpy.asarray(labels, dtype=numpy.int64))


def load_emotion(data_dir: str | os.PathLike | None = None) -> dict:
    """{'train', 'validation', 'test'} -> Split.

    From `data_dir` (or $EMOTION_DATA_DIR): a folder with train.txt, val.txt and
    test.txt. Otherwise dair-ai/emotion from the Hugging Face hub via `datasets`.
    """
    data_dir = data_dir or os.environ.get(ENV_VAR)
    if data_dir:
        folder = Path(data_dir)
        missing = [f for f in SPLITS.values() if not (folder / f).is_file()]
        if missing:
            raise DataError(f"emotion data folder {folder} lacks {', '.join(missing)}: it needs train.txt, val.txt "
                            "and test.txt with `text;label` lines (see --data-dir / $EMOTION_DATA_DIR)")
        return {name: read_split_file(folder / f) for name, f in SPLITS.items()}
    return _load_from_hub()


def _load_from_hub() -> dict:
    how = (f"Either pass --data-dir DIR (or set {ENV_VAR}=DIR) to a folder with train.txt, val.txt and test.txt "
           f"in `text;label` form, or install 🤗 datasets (`pip install -e \".[hub]\"`) with internet access "
           f"to download {HUB_NAME}.")
    try:
        import datasets
    except ImportError as e:
        raise DataError(f"no emotion data: no local folder was given and `datasets` is not installed. {how}") from e
    try:
        ds = datasets.load_dataset(HUB_NAME)
    except Exception as e:  # offline, hub error, ...
        raise DataError(f"no emotion data: no local folder was given and {HUB_NAME} could not be loaded "
                        f"from the hub ({type(e).__name__}: {str(e)[:200]}). {how}") from e
    return {name: Split(list(ds[name]["text"]), numpy.asarray(ds[name]["label"], dtype=numpy.int64))
            for name in SPLITS}


def make_dialogs(split: Split, turns: int, seed: int) -> Split:
    """Synthetic dialogs: each example becomes the last of k ~ U{1..turns} turns;
    the earlier turns are drawn at random from the same split. The label stays
    the last turn's, so the model must learn to look at the end."""
    r = numpy.random.default_rng(seed)
    n = len(split)
    texts = []
    for i in range(n):
        k = int(r.integers(1, turns + 1))
        others = r.integers(0, n, size=k - 1)
        texts.append([split.texts[j] for j in others] + [split.texts[i]])
    return Split(texts, split.labels.copy())


# --- tokenizer ------------------------------------------------------------------

def train_tokenizer(texts, vocab_size: int):
    """A lower-case BERT-style WordPiece tokenizer trained on `texts` (🤗 tokenizers)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIAL, min_frequency=1,
                                        show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    assert [tok.token_to_id(t) for t in SPECIAL[:4]] == [PAD_ID, UNK_ID, CLS_ID, SEP_ID]
    return tok


def load_tokenizer(path):
    from tokenizers import Tokenizer
    return Tokenizer.from_file(str(path))


def encode(tok, texts, max_len: int) -> list:
    """Token ids with [CLS] first, cut to max_len. Dialog turns are joined by
    [SEP], and a long dialog loses its first tokens, never its last turn."""
    flat = [t if isinstance(t, str) else " [SEP] ".join(t) for t in texts]
    out = []
    for text, e in zip(texts, tok.encode_batch(flat, add_special_tokens=False)):
        ids = e.ids[: max_len - 1] if isinstance(text, str) else e.ids[-(max_len - 1):]
        out.append([CLS_ID] + ids)
    return out


def pad_batch(seqs):
    """Right-pad to the longest: ids (B, T) int64 and mask (B, T) bool, True for real tokens."""
    T = max(len(s) for s in seqs)
    ids = numpy.full((len(seqs), T), PAD_ID, dtype=numpy.int64)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = s
    mask = numpy.arange(T)[None, :] < numpy.array([len(s) for s in seqs])[:, None]
    return ids, mask


def batches(seqs, batch_size: int, shuffle: bool = False, seed: int = 0, group: int = 50):
    """List of (index array) batches. Shuffled batches are grouped by length:
    the data are shuffled, cut into chunks of `group` batches, each chunk sorted
    by length and cut into batches, and the batch order shuffled again, so a
    batch holds sentences of similar length and padding stays small."""
    n = len(seqs)
    if not shuffle:
        order = numpy.argsort([len(s) for s in seqs], kind="stable")
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]
    r = numpy.random.default_rng(seed)
    order = r.permutation(n)
    chunk = batch_size * group
    out = []
    for c in range(0, n, chunk):
        part = order[c:c + chunk]
        part = part[numpy.argsort([len(seqs[i]) for i in part], kind="stable")]
        out += [part[i:i + batch_size] for i in range(0, len(part), batch_size)]
    return [out[i] for i in r.permutation(len(out))]
