"""Fused ops with hand-derived backward passes, named after torch.nn.functional.

    linear, softmax, log_softmax, gelu, layer_norm, dropout,
    scaled_dot_product_attention, cross_entropy

Each is one Function whose backward is derived on paper (see its docstring),
not the autograd of its pieces. `composed.py` builds the same ops from the
primitives in minitransformer.ops, and the tests show both give the same
values and gradients: one derivative reached two ways.
"""
from .activation import gelu, log_softmax, softmax
from .attention import scaled_dot_product_attention
from .linear import linear
from .loss import cross_entropy
from .normalization import dropout, layer_norm
from ..ops import embedding

__all__ = ["linear", "softmax", "log_softmax", "gelu", "layer_norm", "dropout",
           "scaled_dot_product_attention", "cross_entropy", "embedding"]
