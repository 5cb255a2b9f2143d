"""linear: y = x W^T + b over the last axis, as torch.nn.functional.linear."""
from ..tensor import Function


class Linear(Function):
    """x: (..., in), weight: (out, in), bias: (out,) -> y: (..., out)

    The leading axes are flattened to one, so each direction is one big matrix
    product (a 3-D @ 2-D matmul would loop over the batch instead):
        y = X W^T + b                      X: (N, in), N = product of leading axes
        dL/dX = G W,  dL/dW = G^T X,  dL/db = sum_rows G
    """
    def forward(self, x, weight, bias=None):
        if x.shape[-1] != weight.shape[1]:
            raise ValueError(f"linear: input has {x.shape[-1]} features (shape {x.shape}) "
                             f"but weight {weight.shape} expects {weight.shape[1]}")
        self.x_shape, self.has_bias = x.shape, bias is not None
        self.x, self.weight = x.reshape(-1, x.shape[-1]), weight
        y = self.x @ weight.T
        if bias is not None:
            y += bias
        return y.reshape(*x.shape[:-1], weight.shape[0])

    def backward(self, g):
        g = g.reshape(-1, g.shape[-1])                  # (N, out)
        gx = (g @ self.weight).reshape(self.x_shape)    # (N, in) -> (..., in)
        gw = g.T @ self.x                               # (out, N) @ (N, in)
        return (gx, gw, g.sum(axis=0)) if self.has_bias else (gx, gw)


def linear(x, weight, bias=None):
    return Linear()(x, weight) if bias is None else Linear()(x, weight, bias)
