"""Pictures: training curves, confusion matrix, attention heatmaps (matplotlib, no display needed)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402


def training_curves(history: list, path) -> None:
    """Loss, accuracy / macro-F1 and class-token attention entropy per epoch."""
    ep = [r["epoch"] for r in history]
    fig, ax = plt.subplots(1, 3, figsize=(14, 3.8))
    ax[0].plot(ep, [r["train_loss"] for r in history], "o-", label="train")
    ax[0].plot(ep, [r["val_loss"] for r in history], "o-", label="validation")
    ax[0].axhline(numpy.log(6), color="grey", ls=":", label="ln 6 (chance)")
    ax[0].set(title="cross-entropy loss", xlabel="epoch")
    ax[1].plot(ep, [r["train_acc"] for r in history], "o-", label="train accuracy")
    ax[1].plot(ep, [r["val_acc"] for r in history], "o-", label="validation accuracy")
    ax[1].plot(ep, [r["val_macro_f1"] for r in history], "o--", label="validation macro-F1")
    ax[1].set(title="accuracy", xlabel="epoch")
    ax[2].plot(ep, [r["val_attn_entropy"] for r in history], "o-", color="C3")
    ax[2].set(title="[CLS] attention entropy (nats, validation)", xlabel="epoch")
    for a in ax[:2]:
        a.legend()
    for a in ax:
        a.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def confusion(cm, labels, path, title="confusion matrix") -> None:
    cm = numpy.asarray(cm)
    norm = cm / numpy.maximum(cm.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6, 5.2))
    im = ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", color="white" if norm[i, j] > 0.5 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.colorbar(im, ax=ax, fraction=0.046, label="fraction of the true class")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def attention_heatmap(attn, tokens, path, title="") -> None:
    """attn: (layers, heads, T, T) for one example; tokens: T strings. Rows are
    queries, columns keys; the [CLS] row (the one the classifier reads) is boxed."""
    attn = numpy.asarray(attn)
    L, H, T, _ = attn.shape
    size = max(4.0, 0.32 * T + 1.5)
    fig, axes = plt.subplots(L, H, figsize=(size * H, size * L), squeeze=False)
    for li in range(L):
        for h in range(H):
            ax = axes[li, h]
            ax.imshow(attn[li, h], cmap="viridis", vmin=0, vmax=max(attn[li, h].max(), 1e-9))
            ax.set_xticks(range(T), tokens, rotation=90, fontsize=8)
            ax.set_yticks(range(T), tokens, fontsize=8)
            ax.add_patch(Rectangle((-0.5, -0.5), T, 1, fill=False, edgecolor="red", lw=2))
            ax.set_title(f"layer {li + 1}, head {h + 1}" if L * H > 1 else "attention (row: query, column: key)",
                         fontsize=9)
            ax.set_xlabel("key")
            ax.set_ylabel("query")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def similarity_matrices(sim_ours, sim_ref, labels, names, path, reference="reference") -> None:
    """Pairwise cosine similarities of a labelled sample, ours beside the reference's."""
    fig, ax = plt.subplots(1, 2, figsize=(12, 5.4))
    bounds = numpy.flatnonzero(numpy.diff(labels)) + 0.5
    for a, sim, title in ((ax[0], sim_ours, "[CLS] states (this run)"), (ax[1], sim_ref, reference)):
        im = a.imshow(sim, cmap="RdBu_r", vmin=-1, vmax=1)
        for b in bounds:
            a.axhline(b, color="k", lw=0.6)
            a.axvline(b, color="k", lw=0.6)
        starts = numpy.concatenate([[0], bounds + 0.5]).astype(int)
        ends = numpy.concatenate([bounds + 0.5, [len(labels)]]).astype(int)
        a.set_yticks((starts + ends - 1) / 2, [names[labels[s]] for s in starts])
        a.set_xticks([])
        a.set_title(f"cosine similarity: {title}")
    fig.colorbar(im, ax=ax, fraction=0.025)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def embedding_pca(X, Y, labels, names, path, reference="reference") -> None:
    """2-D PCA of both spaces, coloured by label."""
    fig, ax = plt.subplots(1, 2, figsize=(12, 5))
    for a, Z, title in ((ax[0], X, "[CLS] states (this run)"), (ax[1], Y, reference)):
        Z = numpy.asarray(Z, dtype=numpy.float64)
        Z = Z - Z.mean(0)
        _, s, vt = numpy.linalg.svd(Z, full_matrices=False)
        P = Z @ vt[:2].T
        for k, name in enumerate(names):
            m = labels == k
            a.scatter(P[m, 0], P[m, 1], s=5, alpha=0.6, label=name)
        var = (s[:2] ** 2).sum() / (s ** 2).sum()
        a.set_title(f"PCA of {title} ({100 * var:.0f}% of variance)")
    ax[0].legend(markerscale=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
