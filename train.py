"""Train the transformer classifier on the emotion data set.

    python train.py                        # the default single-head, single-layer model
    python train.py --backend cupy         # the same on a CUDA GPU
    python train.py --preset seed          # the seed's recipe (AdamW, lr 1e-4, batch 32, 10 epochs)
    python train.py --out runs/x --resume  # continue an interrupted run
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import fields

from minitransformer.trainer import PRESETS, TrainConfig


def parse_args(argv=None) -> tuple[TrainConfig, bool, bool]:
    d = TrainConfig()
    p = argparse.ArgumentParser(description="Train a small transformer (numpy/cupy, hand-written backward) "
                                            "on the 6-label emotion data set.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--backend", default=d.backend, help="array backend: numpy (CPU) or cupy (CUDA GPU)")
    p.add_argument("--data-dir", default=d.data_dir,
                   help="folder with train.txt, val.txt, test.txt (`text;label`); default $EMOTION_DATA_DIR, "
                        "else dair-ai/emotion from the Hugging Face hub")
    p.add_argument("--out", default=d.out, help="run folder (checkpoints, logs, tokenizer)")
    p.add_argument("--preset", choices=sorted(PRESETS), help="a named recipe; explicit flags still win")
    p.add_argument("--epochs", type=int, default=d.epochs, help="passes over the training split")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="examples per update")
    p.add_argument("--lr", type=float, default=d.lr, help="peak learning rate")
    p.add_argument("--weight-decay", type=float, default=d.weight_decay, help="AdamW decoupled weight decay")
    p.add_argument("--decay-embeddings", action="store_true",
                   help="apply weight decay to the token embeddings too (biases and LayerNorm never)")
    p.add_argument("--warmup", type=float, default=d.warmup,
                   help="fraction of updates for linear warm-up before cosine decay (0: constant rate)")
    p.add_argument("--optimizer", choices=["adamw", "sgd"], default=d.optimizer, help="sgd: momentum 0.9")
    p.add_argument("--clip", type=float, default=d.clip, help="max gradient norm (0: no clipping)")
    p.add_argument("--label-smoothing", type=float, default=d.label_smoothing, help="cross-entropy label smoothing")
    p.add_argument("--d-model", type=int, default=d.d_model, help="model width")
    p.add_argument("--heads", type=int, default=d.heads, help="attention heads (must divide d_model)")
    p.add_argument("--layers", type=int, default=d.layers, help="transformer blocks")
    p.add_argument("--d-ff", type=int, default=d.d_ff, help="feed-forward width")
    p.add_argument("--dropout", type=float, default=d.dropout, help="dropout on embeddings and residual branches")
    p.add_argument("--attn-dropout", type=float, default=d.attn_dropout, help="dropout on attention weights")
    p.add_argument("--token-dropout", type=float, default=d.token_dropout,
                   help="share of input tokens replaced by [MASK] during training (word dropout)")
    p.add_argument("--vocab-size", type=int, default=d.vocab_size, help="WordPiece vocabulary size")
    p.add_argument("--tokenizer", default=d.tokenizer, metavar="TOKENIZER_JSON",
                   help="use this tokenizer.json (e.g. another run's) instead of training one; fixes the vocabulary "
                        "across runs, since the WordPiece trainer breaks frequency ties in hash order")
    p.add_argument("--max-len", type=int, default=d.max_len, help="longest sequence, [CLS] included")
    p.add_argument("--turns", type=int, default=d.turns, help="dialog mode: up to this many turns joined by [SEP]")
    p.add_argument("--limit", type=int, default=d.limit, help="use only the first N training examples")
    p.add_argument("--seed", type=int, default=d.seed, help="seeds init, data order and dropout")
    p.add_argument("--dtype", choices=["float32", "float64"], default=d.dtype, help="parameter dtype")
    p.add_argument("--log-every", type=int, default=d.log_every, help="steps between progress-bar updates")
    p.add_argument("--distill", default=d.distill, metavar="MODEL",
                   help="also pull the class token towards this sentence-transformers model's embeddings")
    p.add_argument("--distill-weight", type=float, default=d.distill_weight, help="weight of the cosine loss")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from last.safetensors")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = p.parse_args(argv)

    values = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)}
    if args.preset:
        given = {a.dest for a in p._actions if any(s in (argv if argv is not None else sys.argv[1:])
                                                     for s in a.option_strings)}
        values.update({k: v for k, v in PRESETS[args.preset].items() if k not in given})
    return TrainConfig(**values), args.resume, args.no_progress


def main(argv=None) -> int:
    from minitransformer.backend import BackendError
    from minitransformer.checkpoint import CheckpointError
    from minitransformer.data import DataError
    from minitransformer.trainer import Interrupted, TrainingDiverged, train

    cfg, resume, no_progress = parse_args(argv)
    try:
        state = train(cfg, resume=resume, progress=not no_progress)
    except Interrupted as e:
        print(f"\n{e}")
        return 130
    except KeyboardInterrupt:
        print("\ninterrupted before the first step or by a second Ctrl-C: "
              "the last checkpoint written (if any) is intact", file=sys.stderr)
        return 130
    except (BackendError, DataError, CheckpointError, TrainingDiverged, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    best = max(state["history"], key=lambda r: r["val_acc"]) if state["history"] else None
    if best:
        print(f"done: best validation accuracy {best['val_acc']:.4f} (epoch {best['epoch']}), "
              f"{state['train_seconds']:.0f}s of training. Evaluate with: python eval.py {cfg.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
