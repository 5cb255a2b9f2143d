"""The training loop behind train.py: data, tokenizer, model, AdamW, checkpoints, logs.

One call, `train(TrainConfig(...))`, runs (or resumes) a whole run in
cfg.out: tokenizer.json, config.json, log.jsonl, last.safetensors and
best.safetensors.
"""
from __future__ import annotations

import json
import math
import signal
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy

from . import backend as B
from . import checkpoint as ckpt
from . import functional as F
from .data import (LABELS, MASK_ID, batches, encode, load_emotion, load_tokenizer, make_dialogs, pad_batch,
                   train_tokenizer)
from .metrics import classification_report, cls_attention_entropy
from .model import ModelConfig, Transformer
from .optim import SGD, AdamW, clip_grad_norm, warmup_cosine
from .tensor import no_grad


@dataclass
class TrainConfig:
    backend: str = "numpy"
    data_dir: str | None = None
    out: str = "runs/single_head_attention"
    epochs: int = 8
    batch_size: int = 32
    lr: float = 2e-3
    weight_decay: float = 0.05
    decay_embeddings: bool = False  # also apply weight decay to the token embeddings
    warmup: float = 0.05          # fraction of all updates spent warming up
    optimizer: str = "adamw"      # adamw | sgd
    clip: float = 1.0
    label_smoothing: float = 0.0
    d_model: int = 128
    heads: int = 1
    layers: int = 1
    d_ff: int = 512
    dropout: float = 0.3
    attn_dropout: float = 0.0
    token_dropout: float = 0.1    # share of input tokens replaced by [MASK] in training
    vocab_size: int = 6000
    tokenizer: str | None = None  # an existing tokenizer.json instead of training one
    max_len: int = 128
    turns: int = 1
    limit: int | None = None
    seed: int = 0
    dtype: str = "float32"
    log_every: int = 20
    eval_batch_size: int = 256
    distill: str | None = None
    distill_weight: float = 1.0

    @classmethod
    def from_dict(cls, d):
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


PRESETS = {
    # the seed recipe: AdamW, lr 1e-4, batch 32, 10 epochs, constant rate, no clipping
    "seed": dict(lr=1e-4, batch_size=32, epochs=10, warmup=0.0, weight_decay=0.01, clip=0.0, dropout=0.1,
                 token_dropout=0.0),
}


class TrainingDiverged(RuntimeError):
    pass


class Interrupted(Exception):
    pass


def check_resume_config(cfg: TrainConfig, out: Path) -> None:
    """On --resume, the run's settings must be the ones it was started with."""
    path = out / "config.json"
    if not path.exists():
        return
    old = TrainConfig.from_dict(json.loads(path.read_text()))
    free = {"epochs", "backend", "data_dir", "out", "log_every", "eval_batch_size"}  # may change on resume
    diff = {f.name: (getattr(old, f.name), getattr(cfg, f.name)) for f in fields(cfg)
            if f.name not in free and getattr(old, f.name) != getattr(cfg, f.name)}
    if diff:
        raise ckpt.CheckpointError(f"--resume: settings differ from the run in {out} (run, now): {diff}. "
                                   "Resume with the run's settings, or start a new run with another --out.")


def load_splits(cfg: TrainConfig, data_dir=None) -> dict:
    """The splits a run trains on: --limit applied, dialogs built with the run's seed if --turns > 1."""
    data = load_emotion(data_dir or cfg.data_dir)
    if cfg.limit:
        data["train"] = data["train"].head(cfg.limit)
    if cfg.turns > 1:
        data = {name: make_dialogs(s, cfg.turns, seed=cfg.seed + i) for i, (name, s) in enumerate(data.items())}
    return data


def prepare_data(cfg: TrainConfig, out: Path, resume: bool):
    """Splits, the tokenizer (trained, or the run's own on resume), encoded ids."""
    data = load_splits(cfg)
    tok_path = out / "tokenizer.json"
    if resume and tok_path.exists():
        tok = load_tokenizer(tok_path)
    elif cfg.tokenizer:
        tok = load_tokenizer(cfg.tokenizer)
        ckpt.atomic_write_text(tok_path, tok.to_str())
    else:
        # The WordPiece trainer of `tokenizers` breaks ties in hash order, so two
        # fresh runs may get slightly different vocabularies: --tokenizer pins one.
        utterances = [u for t in data["train"].texts for u in ([t] if isinstance(t, str) else t)]
        tok = train_tokenizer(utterances, cfg.vocab_size)
        ckpt.atomic_write_text(tok_path, tok.to_str())
    seqs = {name: encode(tok, s.texts, cfg.max_len) for name, s in data.items()}
    return data, tok, seqs


def build_model(cfg: TrainConfig, vocab_size: int) -> Transformer:
    mcfg = ModelConfig(vocab_size=vocab_size, n_classes=len(LABELS), max_len=cfg.max_len, d_model=cfg.d_model,
                       n_heads=cfg.heads, n_layers=cfg.layers, d_ff=cfg.d_ff, dropout=cfg.dropout,
                       attn_dropout=cfg.attn_dropout)
    B.manual_seed(cfg.seed)
    return Transformer(mcfg, backend=cfg.backend).astype(cfg.dtype)


def evaluate(model, seqs, labels, backend, batch_size=256, return_outputs=False) -> dict:
    """Loss, accuracy, macro-F1, per-class scores and the class token's attention entropy (nats)."""
    b = B.get_backend(backend)
    model.eval()
    loss_sum, ent_sum, probs, cls_states = 0.0, 0.0, [], []
    plan = batches(seqs, batch_size)
    order = numpy.concatenate(plan) if plan else numpy.zeros(0, int)
    with no_grad():
        for idx in plan:
            ids, mask = pad_batch([seqs[i] for i in idx])
            ids, mask, y = b.from_host(ids), b.from_host(mask), b.from_host(labels[idx])
            logits, attns, cls = model(ids, mask, return_attention=True, return_cls=True)
            loss_sum = loss_sum + F.cross_entropy(logits, y).data * len(idx)
            ent_sum = ent_sum + sum(cls_attention_entropy(a.data, mask, b.xp) for a in attns) / len(attns)
            probs.append(F.softmax(logits).data)
            if return_outputs:
                cls_states.append(cls.data)
    model.train()
    p = numpy.empty((len(seqs), model.cfg.n_classes))
    p[order] = B.to_numpy(b.xp.concatenate(probs))
    rep = classification_report(labels, p.argmax(1), model.cfg.n_classes)
    rep.update(loss=float(loss_sum) / len(seqs), attn_entropy=float(ent_sum) / len(seqs))
    if return_outputs:
        c = numpy.empty((len(seqs), model.cfg.d_model))
        c[order] = B.to_numpy(b.xp.concatenate(cls_states))
        rep.update(probs=p, cls=c)
    return rep


def train_step(model, opt, ids, mask, y, lr, clip=1.0, label_smoothing=0.0, extra_loss=None):
    """One update: forward, loss, backward, gradient clipping, optimiser step.
    Returns (loss, logits) as tensors on the device."""
    logits, cls = model(ids, mask, return_cls=True)
    loss = F.cross_entropy(logits, y, label_smoothing=label_smoothing)
    if extra_loss is not None:
        loss = loss + extra_loss(cls)
    loss.backward()
    if clip:
        clip_grad_norm(opt.params(), clip)
    opt.set_lr(lr)
    opt.step()
    opt.zero_grad()
    return loss, logits


def mask_tokens(ids, mask, p: float, seed: int):
    """Token dropout (word dropout): replace each real token but [CLS] by [MASK]
    with probability p, so the model cannot lean on a single word."""
    drop = (numpy.random.default_rng(seed).random(ids.shape) < p) & mask
    drop[:, 0] = False
    return numpy.where(drop, MASK_ID, ids)


def _step_seed(seed: int, step: int) -> int:
    """Dropout's generator is reseeded every step from (seed, step), so a resumed
    run draws exactly the masks an uninterrupted one would."""
    return (seed * 1_000_003 + step) % 2**63


def train(cfg: TrainConfig, resume: bool = False, progress: bool = True, stop_at_step: int | None = None,
          print_fn=print) -> dict:
    """Train (or resume) a run; returns the final train state. `stop_at_step`
    behaves like Ctrl-C at that step (tests use it)."""
    from tqdm.auto import tqdm

    b = B.get_backend(cfg.backend)
    out = Path(cfg.out)
    last_path, best_path = out / "last.safetensors", out / "best.safetensors"
    if resume and not last_path.exists():
        raise ckpt.CheckpointError(f"--resume: no checkpoint at {last_path}; start without --resume")
    if not resume and last_path.exists():
        raise ckpt.CheckpointError(f"{out} already holds a run; continue it with --resume, "
                                   "or choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    if resume:
        check_resume_config(cfg, out)
    ckpt.atomic_write_text(out / "config.json", json.dumps(asdict(cfg), indent=2))

    data, tok, seqs = prepare_data(cfg, out, resume)
    model = build_model(cfg, tok.get_vocab_size())
    distill = _distill_setup(cfg, model, data, out) if cfg.distill else None
    groups = model.param_groups(cfg.weight_decay, cfg.decay_embeddings)
    if distill is not None:
        groups.append({"params": distill.parameters(), "weight_decay": 0.0})
    if cfg.optimizer == "adamw":
        opt = AdamW(groups, lr=cfg.lr)
    elif cfg.optimizer == "sgd":
        opt = SGD(groups, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    else:
        raise ValueError(f"unknown optimizer {cfg.optimizer!r}; choose adamw or sgd")

    state = {"epoch": 0, "batch": 0, "step": 0, "best_val_acc": -1.0, "train_seconds": 0.0, "history": []}
    if resume:
        loaded = ckpt.load(last_path)
        ckpt.restore(loaded, model, opt, last_path)
        if distill is not None:
            distill.restore(loaded)
        state.update(loaded["train_state"])
        print_fn(f"resumed {last_path} at epoch {state['epoch'] + 1}, step {state['step']}")
    else:
        print_fn(f"model: {model.num_parameters():,} parameters, {cfg.layers} layer(s), {cfg.heads} head(s), "
                 f"d_model {cfg.d_model}; vocabulary {tok.get_vocab_size()}; backend {b.name}; "
                 f"{len(seqs['train']):,} training examples")

    train_seqs, train_y = seqs["train"], data["train"].labels
    steps_per_epoch = math.ceil(len(train_seqs) / cfg.batch_size)
    total = cfg.epochs * steps_per_epoch
    warmup = int(cfg.warmup * total)

    def save(path):
        extra = distill.state_tensors() if distill is not None else None
        ckpt.save(path, model, opt, dict(state), extra=extra)

    interrupted = []
    old_handler = signal.getsignal(signal.SIGINT)

    def on_sigint(signum, frame):
        if interrupted:                    # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        interrupted.append(True)
        print_fn("\ninterrupt: finishing this step, then writing a checkpoint (Ctrl-C again to abort)")

    try:
        signal.signal(signal.SIGINT, on_sigint)
    except ValueError:                     # not the main thread: no handler
        pass
    try:
        while state["epoch"] < cfg.epochs:
            epoch = state["epoch"]
            plan = batches(train_seqs, cfg.batch_size, shuffle=True, seed=cfg.seed * 1000 + epoch)
            bar = tqdm(total=len(plan), initial=state["batch"], disable=not progress, leave=False,
                       desc=f"epoch {epoch + 1}/{cfg.epochs}", dynamic_ncols=True)
            loss_acc, correct, seen, tokens, t0 = 0.0, 0, 0, 0, time.perf_counter()
            t_epoch = time.perf_counter()
            while state["batch"] < len(plan):
                idx = plan[state["batch"]]
                ids, mask = pad_batch([train_seqs[i] for i in idx])
                tokens += int(mask.sum())
                if cfg.token_dropout:
                    ids = mask_tokens(ids, mask, cfg.token_dropout, _step_seed(cfg.seed, state["step"]))
                ids, mask, y = b.from_host(ids), b.from_host(mask), b.from_host(train_y[idx])
                B.manual_seed(_step_seed(cfg.seed, state["step"]))
                lr = cfg.lr * (warmup_cosine(state["step"], warmup, total) if cfg.warmup else 1.0)
                extra = (lambda cls: distill.loss(cls, idx) * cfg.distill_weight) if distill is not None else None
                loss, logits = train_step(model, opt, ids, mask, y, lr, cfg.clip, cfg.label_smoothing, extra)
                loss_acc = loss_acc + loss.data * len(idx)           # stays on the device
                correct = correct + (logits.data.argmax(-1) == y).sum()
                seen += len(idx)
                state["step"] += 1
                state["batch"] += 1
                bar.update(1)
                if state["step"] % cfg.log_every == 0 or state["batch"] == len(plan):
                    running = float(loss_acc) / seen                  # the one host sync
                    if not math.isfinite(running):
                        raise TrainingDiverged(
                            f"training loss became {running} at step {state['step']} (epoch {epoch + 1}). "
                            f"The last good checkpoint is kept in {last_path if last_path.exists() else out}. "
                            "Lower --lr, keep --clip on, or use --dtype float64.")
                    bar.set_postfix(loss=f"{running:.3f}", acc=f"{float(correct) / seen:.3f}",
                                    tok_s=f"{tokens / (time.perf_counter() - t0):,.0f}")
                if stop_at_step is not None and state["step"] >= stop_at_step:
                    interrupted.append(True)
                if interrupted:
                    state["train_seconds"] += time.perf_counter() - t_epoch
                    save(last_path)
                    bar.close()
                    raise Interrupted(f"stopped at step {state['step']}; checkpoint written to {last_path}. "
                                      f"Continue with: python train.py --out {out} --resume")
            bar.close()
            state["train_seconds"] += time.perf_counter() - t_epoch
            val = evaluate(model, seqs["validation"], data["validation"].labels, b, cfg.eval_batch_size,
                           return_outputs=distill is not None)
            record = {"epoch": epoch + 1, "step": state["step"], "lr": opt.param_groups[0]["lr"],
                      "train_loss": float(loss_acc) / max(seen, 1), "train_acc": float(correct) / max(seen, 1),
                      "val_loss": val["loss"], "val_acc": val["accuracy"], "val_macro_f1": val["macro_f1"],
                      "val_attn_entropy": val["attn_entropy"], "train_seconds": round(state["train_seconds"], 2)}
            if distill is not None:
                record["val_cosine_to_reference"] = distill.val_cosine(val["cls"])
            state["history"].append(record)
            state["epoch"], state["batch"] = epoch + 1, 0
            print_fn(f"epoch {epoch + 1:>2}/{cfg.epochs}  train loss {record['train_loss']:.4f} "
                     f"acc {record['train_acc']:.4f} | val loss {val['loss']:.4f} acc {val['accuracy']:.4f} "
                     f"macro-F1 {val['macro_f1']:.4f} | cls attention entropy {val['attn_entropy']:.3f} nats"
                     + (f" | cosine to reference {val_cos:.3f}" if (val_cos := record.get("val_cosine_to_reference"))
                        is not None else "")
                     + f" | {state['train_seconds']:.0f}s")
            improved = val["accuracy"] > state["best_val_acc"]
            if improved:
                state["best_val_acc"] = val["accuracy"]
            save(last_path)
            if improved:
                save(best_path)
            ckpt.atomic_write_text(out / "log.jsonl", "".join(json.dumps(r) + "\n" for r in state["history"]))
    finally:
        try:
            signal.signal(signal.SIGINT, old_handler)
        except ValueError:
            pass
    return state


def _distill_setup(cfg, model, data, out):
    from .distill import Distiller
    return Distiller(cfg, model, data, out)
