"""Checkpoints: one safetensors file, written atomically, never pickle.

A checkpoint holds the model weights ("model.<name>"), the optimiser buffers
("optim.<i>.<m|v>") and, in the file's metadata, the model config and the
training state (step, epoch, position in the epoch, seeds, metrics) as JSON.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy

FORMAT = "minitransformer-checkpoint-v1"


class CheckpointError(RuntimeError):
    pass


def atomic_write(path: Path, write) -> None:
    """write(tmp_path) into a temporary file next to `path`, then rename it over
    `path`: a reader sees the old file or the new one, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    def write(tmp):
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
    atomic_write(path, write)


def save(path, model, optimizer=None, train_state: dict | None = None, extra: dict | None = None) -> None:
    """extra: more named arrays (stored as "extra.<name>"), e.g. a distillation head."""
    from safetensors.numpy import save_file
    tensors = {f"model.{k}": numpy.ascontiguousarray(v) for k, v in model.state_dict().items()}
    tensors.update({f"extra.{k}": numpy.ascontiguousarray(v) for k, v in (extra or {}).items()})
    if optimizer is not None:
        opt = optimizer.state_dict()
        tensors.update({f"optim.{k}": numpy.ascontiguousarray(v) for k, v in opt["buffers"].items()})
        train_state = {**(train_state or {}), "optim_step": opt["step"]}
    meta = {"format": FORMAT, "config": json.dumps(model.cfg.to_dict()), "train_state": json.dumps(train_state or {})}
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=meta))


def load(path) -> dict:
    """{'config': dict, 'train_state': dict, 'model': {name: array}, 'optim': {key: array}, 'extra': {...}}"""
    from safetensors import SafetensorError, safe_open
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
            arrays = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as e:
        raise CheckpointError(f"checkpoint {path} is corrupt or truncated ({e}). Delete it and resume from "
                              "another checkpoint of the run (best.safetensors / last.safetensors), "
                              "or start a new run.") from e
    if meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a minitransformer checkpoint (format {meta.get('format')!r}, "
                              f"expected {FORMAT!r})")
    try:
        config, state = json.loads(meta["config"]), json.loads(meta["train_state"])
    except (KeyError, json.JSONDecodeError) as e:
        raise CheckpointError(f"checkpoint {path} has damaged metadata ({e})") from e
    return {"config": config, "train_state": state,
            "model": {k[6:]: v for k, v in arrays.items() if k.startswith("model.")},
            "optim": {k[6:]: v for k, v in arrays.items() if k.startswith("optim.")},
            "extra": {k[6:]: v for k, v in arrays.items() if k.startswith("extra.")}}


def restore(ckpt: dict, model, optimizer=None, path="checkpoint") -> None:
    """Load weights (and optimiser buffers) into objects built from the same config."""
    if ckpt["config"] != model.cfg.to_dict():
        diff = {k: (ckpt["config"].get(k), v) for k, v in model.cfg.to_dict().items() if ckpt["config"].get(k) != v}
        raise CheckpointError(f"{path} was made for another model; differing settings (checkpoint, now): {diff}")
    try:
        model.load_state_dict(ckpt["model"])
        if optimizer is not None:
            optimizer.load_state_dict({"step": ckpt["train_state"].get("optim_step", 0), "buffers": ckpt["optim"]})
    except (ValueError, IndexError) as e:
        raise CheckpointError(f"{path} does not fit the model: {e}") from e
