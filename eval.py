"""Evaluate a trained run: metrics, confusion matrix, curves, attention heatmaps.

    python eval.py runs/single_head_attention                 # test split
    python eval.py RUN --split validation
    python eval.py RUN --text "i feel so alone tonight" --text "what a wonderful surprise"
    python eval.py RUN --export-pt                            # PyTorch state_dict (single_head_attention.pt)
    python eval.py RUN --compare                              # vs sentence-transformers and baselines
    python eval.py RUN --multilingual --reference MODEL       # translated sentences, ours vs MODEL
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy


def print_report(rep, labels, split):
    print(f"\n{split}: accuracy {rep['accuracy']:.4f}  macro-F1 {rep['macro_f1']:.4f}  loss {rep['loss']:.4f}  "
          f"[CLS] attention entropy {rep['attn_entropy']:.3f} nats  ({sum(rep['support'])} examples)\n")
    print(f"{'class':<10} {'precision':>9} {'recall':>7} {'F1':>7} {'support':>8}")
    for i, name in enumerate(labels):
        print(f"{name:<10} {rep['precision'][i]:>9.3f} {rep['recall'][i]:>7.3f} {rep['f1'][i]:>7.3f} "
              f"{rep['support'][i]:>8}")
    print("\nconfusion matrix (rows: true, columns: predicted)")
    print(" " * 10 + "".join(f"{n[:8]:>9}" for n in labels))
    for i, name in enumerate(labels):
        print(f"{name:<10}" + "".join(f"{c:>9}" for c in rep["confusion"][i]))


def explain_texts(run, texts, out_dir):
    """The seed's script for unseen sentences: probabilities, class-token embedding, attention."""
    from minitransformer import backend as B
    from minitransformer.data import LABELS, encode, pad_batch
    from minitransformer.plots import attention_heatmap
    from minitransformer.tensor import no_grad
    import minitransformer.functional as F

    b = B.get_backend(run.cfg.backend)
    seqs = encode(run.tokenizer, texts, run.cfg.max_len)
    for n, (text, seq) in enumerate(zip(texts, seqs)):
        ids, mask = pad_batch([seq])
        with no_grad():
            logits, attns, cls = run.model(b.from_host(ids), b.from_host(mask), return_attention=True, return_cls=True)
        p = B.to_numpy(F.softmax(logits).data)[0]
        a = numpy.stack([B.to_numpy(x.data)[0] for x in attns])                       # (L, h, T, T)
        tokens = [run.tokenizer.id_to_token(i) for i in seq]
        print(f"\n\"{text}\"\n  prediction: {LABELS[p.argmax()]} ({p.max():.3f})")
        print("  probabilities: " + ", ".join(f"{name} {q:.3f}" for name, q in zip(LABELS, p)))
        c = B.to_numpy(cls.data)[0]
        print(f"  [CLS] embedding ({c.size} dims, norm {numpy.linalg.norm(c):.2f}): ["
              + ", ".join(f"{v:+.3f}" for v in c[:8]) + ", ...]")
        row = a[-1].mean(0)[0]                                                          # last layer, mean of heads
        print("  [CLS] attention: " + "  ".join(f"{t} {w:.2f}" for t, w in zip(tokens, row)))
        path = out_dir / f"attention_text_{n}.png"
        attention_heatmap(a, tokens, path, title=f"{text[:70]} -> {LABELS[p.argmax()]} ({p.max():.2f})")
        print(f"  heatmap: {path}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Evaluate a minitransformer run folder.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("run", help="run folder written by train.py")
    p.add_argument("--split", default="test", choices=["train", "validation", "test"])
    p.add_argument("--checkpoint", default="best", choices=["best", "last"])
    p.add_argument("--data-dir", help="data folder (default: the run's, then $EMOTION_DATA_DIR, then the hub)")
    p.add_argument("--backend", help="override the run's backend (numpy or cupy)")
    p.add_argument("--heatmaps", type=int, default=4, help="attention heatmaps for this many examples of the split")
    p.add_argument("--text", action="append", help="classify and explain this sentence (repeatable)")
    p.add_argument("--export-pt", action="store_true",
                   help="write the weights as a PyTorch state_dict (single_head_attention.pt) for the torch mirror")
    p.add_argument("--compare", action="store_true",
                   help="compare with sentence-transformers, TF-IDF and class-token probes")
    p.add_argument("--multilingual", action="store_true",
                   help="accuracy on the same sentences in English, Spanish, French, German, ours vs the reference")
    p.add_argument("--reference", default="all-MiniLM-L6-v2",
                   help="reference sentence-transformers model (name or local path) for --compare")
    args = p.parse_args(argv)

    from minitransformer import backend as B
    from minitransformer.checkpoint import CheckpointError
    from minitransformer.data import LABELS, DataError, encode
    from minitransformer.plots import attention_heatmap, confusion, training_curves
    from minitransformer.run import open_run
    from minitransformer.trainer import evaluate

    try:
        run = open_run(args.run, args.checkpoint, args.backend)
    except (CheckpointError, B.BackendError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    out = run.path
    history = run.history()
    print(f"{run.checkpoint}: {run.model.num_parameters():,} parameters, weights after epoch "
          f"{run.train_state.get('epoch', '?')} of {len(history)} trained "
          f"({history[-1]['train_seconds'] if history else 0:.0f}s of training)")

    if args.export_pt:
        from minitransformer.torch_reference import export_pt
        path = export_pt(run.model, out / "single_head_attention.pt")
        print(f"PyTorch state_dict written to {path} (load it into minitransformer.torch_reference.TorchTransformer)")

    if args.text:
        explain_texts(run, args.text, out)
        if not (args.compare or args.multilingual):
            return 0

    try:
        data = run.data(args.data_dir)
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    split = data[args.split]
    seqs = encode(run.tokenizer, split.texts, run.cfg.max_len)
    rep = evaluate(run.model, seqs, split.labels, run.cfg.backend, run.cfg.eval_batch_size, return_outputs=True)
    print_report(rep, LABELS, args.split)
    (out / f"eval_{args.split}.json").write_text(json.dumps({k: v for k, v in rep.items() if k not in ("probs", "cls")},
                                                            indent=2))
    confusion(rep["confusion"], LABELS, out / f"confusion_{args.split}.png",
              title=f"{args.split}: accuracy {rep['accuracy']:.3f}, macro-F1 {rep['macro_f1']:.3f}")
    pictures = [f"confusion_{args.split}.png"]
    if history:
        training_curves(history, out / "curves.png")
        pictures.append("curves.png")

    from minitransformer.tensor import no_grad
    from minitransformer.data import pad_batch
    b = B.get_backend(run.cfg.backend)
    for n in range(min(args.heatmaps, len(seqs))):
        ids, mask = pad_batch([seqs[n]])
        with no_grad():
            logits, attns = run.model(b.from_host(ids), b.from_host(mask), return_attention=True)
        a = numpy.stack([B.to_numpy(x.data)[0] for x in attns])
        pred = int(B.to_numpy(logits.data).argmax())
        tokens = [run.tokenizer.id_to_token(i) for i in seqs[n]]
        attention_heatmap(a, tokens, out / f"attention_{args.split}_{n}.png",
                          title=f"true {LABELS[split.labels[n]]}, predicted {LABELS[pred]}")
        pictures.append(f"attention_{args.split}_{n}.png")
    print(f"\npictures in {out}: " + ", ".join(pictures))

    from minitransformer.reference import ReferenceUnavailable
    try:
        if args.compare:
            from minitransformer.compare import compare
            result = compare(run, data, args.reference, rep if args.split == "test" else None)
            (out / "compare.json").write_text(json.dumps(result, indent=2))
        if args.multilingual:
            from minitransformer.multilingual import multilingual_check
            multilingual_check(run, data, args.reference)
    except ReferenceUnavailable as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
