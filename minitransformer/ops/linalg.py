"""Matrix product with batch dimensions and broadcasting."""
from ..backend import backend_of
from ..tensor import Function, sum_to


class MatMul(Function):
    """y = a @ b, a: (..., n, k), b: (..., k, m) -> y: (..., n, m)

    dL/da = g @ b^T,  dL/db = a^T @ g   (^T swaps the last two axes; a plain
    `.T` would reverse every axis and be wrong beyond 2-D). Leading axes
    broadcast, so each gradient is summed back to its operand's shape.
    """
    def forward(self, a, b):
        if a.ndim < 2 or b.ndim < 2:
            raise ValueError(f"matmul needs operands with at least 2 dimensions, got shapes {a.shape} and {b.shape}; "
                             "reshape a vector to (1, n) or (n, 1)")
        if a.shape[-1] != b.shape[-2]:
            raise ValueError(f"matmul shape mismatch: {a.shape} @ {b.shape} "
                             f"(last axis of a is {a.shape[-1]}, second-last of b is {b.shape[-2]})")
        self.a, self.b = a, b
        return backend_of(a).xp.matmul(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        ga = g @ b.swapaxes(-1, -2)   # (..., n, m) @ (..., m, k) -> (..., n, k)
        gb = a.swapaxes(-1, -2) @ g   # (..., k, n) @ (..., n, m) -> (..., k, m)
        return sum_to(ga, a.shape), sum_to(gb, b.shape)
