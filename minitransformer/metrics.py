"""Classification metrics from a confusion matrix, and attention entropy."""
from __future__ import annotations

import numpy


def confusion_matrix(y_true, y_pred, n_classes: int) -> numpy.ndarray:
    """C[i, j] = number of examples of class i predicted as j."""
    return numpy.bincount(n_classes * numpy.asarray(y_true) + numpy.asarray(y_pred),
                          minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def classification_report(y_true, y_pred, n_classes: int) -> dict:
    """accuracy, macro-F1, per-class precision / recall / F1 / support, confusion matrix."""
    cm = confusion_matrix(y_true, y_pred, n_classes)
    tp = numpy.diag(cm).astype(float)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        precision = numpy.nan_to_num(tp / cm.sum(0))
        recall = numpy.nan_to_num(tp / cm.sum(1))
        f1 = numpy.nan_to_num(2 * precision * recall / (precision + recall))
    return {"accuracy": float(tp.sum() / cm.sum()), "macro_f1": float(f1.mean()),
            "precision": precision.tolist(), "recall": recall.tolist(), "f1": f1.tolist(),
            "support": cm.sum(1).tolist(), "confusion": cm.tolist()}


def cls_attention_entropy(attn, mask, xp=numpy):
    """Mean entropy (nats) of the class token's attention row, over batch and heads.

    attn: (B, h, T, T) weights, mask: (B, T) bool. H = -sum_k a_k ln a_k over real keys;
    ln(number of real keys) is the most it can be (uniform attention).
    Returns the sum over the batch (divide by the count to average), on the device.
    """
    a = attn[:, :, 0, :]                                                  # (B, h, T)
    plogp = xp.where(mask[:, None, :] & (a > 0), a * xp.log(xp.where(a > 0, a, 1)), 0)
    return (-plogp.sum(-1)).mean(-1).sum()                                # sum over batch of mean over heads
