"""Open a finished (or interrupted) run folder: config, tokenizer, model weights, data."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from . import checkpoint as ckpt
from .data import load_tokenizer
from .model import ModelConfig, Transformer
from .trainer import TrainConfig, load_splits


@dataclass
class Run:
    path: Path
    cfg: TrainConfig
    model: Transformer
    tokenizer: object
    train_state: dict
    checkpoint: Path
    extra: dict          # more arrays of the checkpoint (a distillation head)

    def history(self) -> list:
        """Every epoch's record from log.jsonl (the checkpoint's own copy stops at its epoch)."""
        log = self.path / "log.jsonl"
        if log.is_file():
            return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        return self.train_state.get("history", [])

    def data(self, data_dir=None):
        """The splits this run was trained on (dialogs rebuilt with the run's seed if --turns > 1)."""
        return load_splits(self.cfg, data_dir)


def open_run(path, which: str = "best", backend: str | None = None) -> Run:
    path = Path(path)
    if not (path / "config.json").is_file():
        raise ckpt.CheckpointError(f"{path} is not a run folder (no config.json); train one with "
                                   f"`python train.py --out {path}`")
    cfg = TrainConfig.from_dict(json.loads((path / "config.json").read_text()))
    if backend:
        cfg.backend = backend
    ck_path = path / f"{which}.safetensors"
    if which == "best" and not ck_path.exists():
        ck_path = path / "last.safetensors"
    loaded = ckpt.load(ck_path)
    model = Transformer(ModelConfig(**loaded["config"]), backend=cfg.backend).astype(cfg.dtype)
    ckpt.restore(loaded, model, path=ck_path)
    model.eval()
    tok_path = path / "tokenizer.json"
    if not tok_path.is_file():
        raise ckpt.CheckpointError(f"{path} has no tokenizer.json; the run folder is incomplete")
    return Run(path, cfg, model, load_tokenizer(tok_path), loaded["train_state"], ck_path, loaded["extra"])
