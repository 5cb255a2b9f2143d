"""Softmax cross-entropy, fused, with ignore_index and label smoothing."""
from ..backend import backend_of
from ..tensor import Function, Tensor


class CrossEntropy(Function):
    """logits: (..., C) float, target: (...) int class ids.

    With p = softmax(logits), eps = label_smoothing and the smoothed target
    q = (1 - eps) onehot(target) + eps / C, the loss of one row is
        l = -sum_c q_c log p_c
    and the result is the mean of l over the rows whose target != ignore_index
    (n such rows; as in PyTorch, NaN when n = 0).
    backward:  dL/dlogits = g (p - q) / n  on kept rows, 0 on ignored rows.
    """
    def __init__(self, ignore_index=-100, label_smoothing=0.0):
        if not 0 <= label_smoothing <= 1:
            raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
        self.ignore_index, self.eps = ignore_index, label_smoothing

    def forward(self, logits, target):
        xp = backend_of(logits).xp
        if target.dtype.kind not in "iu":
            raise TypeError(f"cross_entropy target must hold integer class ids, got dtype {target.dtype}")
        if logits.shape[:-1] != target.shape:
            raise ValueError(f"cross_entropy: logits {logits.shape} need a target of shape {logits.shape[:-1]}, "
                             f"got {target.shape}")
        C = logits.shape[-1]
        x = logits.reshape(-1, C)                                       # (N, C)
        t = target.reshape(-1)                                          # (N,)
        keep = t != self.ignore_index
        t = xp.where(keep, t, 0)
        shifted = x - x.max(axis=1, keepdims=True)
        logp = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
        nll = -xp.take_along_axis(logp, t[:, None], axis=1)[:, 0]      # -log p_target
        row = (1 - self.eps) * nll - (self.eps / C) * logp.sum(axis=1) if self.eps else nll
        self.n = keep.sum().astype(x.dtype)
        self.logp, self.t, self.keep, self.shape = logp, t, keep, logits.shape
        return (row * keep).sum() / self.n

    def backward(self, g):
        xp = backend_of(g).xp
        N, C = self.logp.shape
        d = xp.exp(self.logp)                                           # p
        if self.eps:
            d -= self.eps / C
        d[xp.arange(N), self.t] -= 1 - self.eps                         # p - q
        d *= (self.keep[:, None] * (g / self.n)).astype(d.dtype)
        return d.reshape(self.shape), None


def cross_entropy(logits, target, ignore_index=-100, label_smoothing=0.0):
    """Mean softmax cross-entropy over rows not ignored (torch.nn.functional.cross_entropy)."""
    if isinstance(target, Tensor):
        target = target.data
    return CrossEntropy(ignore_index, label_smoothing)(logits, target)
