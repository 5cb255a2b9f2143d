"""minitransformer: a transformer from scratch in NumPy (or CuPy), with hand-written backward passes.

Reading order: backend.py -> tensor.py -> ops/ -> functional/ -> nn.py -> model.py -> optim.py
"""
from . import functional, ops
from .backend import get_backend, get_default_dtype, manual_seed, set_default_dtype, to_numpy
from .tensor import Function, Tensor, is_grad_enabled, no_grad, tensor

__version__ = "0.1.0"
__all__ = ["Tensor", "Function", "tensor", "no_grad", "is_grad_enabled", "functional", "ops",
           "get_backend", "manual_seed", "set_default_dtype", "get_default_dtype", "to_numpy"]
