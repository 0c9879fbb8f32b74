"""Fully connected layers, and the two shape-only layers ``Identity`` and ``Flatten``."""
from __future__ import annotations

import math

import numpy as np

from nnlib import functional as F
from nnlib import init
from nnlib._checks import as_array, check_dtype, check_last_dim, check_positive_int
from nnlib.modes import float_dtype, get_default_dtype
from nnlib.nn.module import Module, Parameter


class Linear(Module):
    """``Linear(in_features, out_features, bias=True)``: :math:`y = x W^\\top + b`.

    Parameters (torch's names and layout): ``weight`` (out_features, in_features),
    ``bias`` (out_features,). Both start as torch does:
    :math:`U(-1/\\sqrt{n_{in}},\\, 1/\\sqrt{n_{in}})`.
    Input (..., in_features) -> output (..., out_features), the parameters' dtype.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 dtype=None, rng=None):
        super().__init__()
        self.in_features = check_positive_int(in_features, "Linear", "in_features")
        self.out_features = check_positive_int(out_features, "Linear", "out_features")
        dtype = float_dtype(get_default_dtype() if dtype is None else dtype, "Linear")
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
            bound = 1 / math.sqrt(in_features)
            init.uniform_(self.bias, -bound, bound, rng=rng)
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        x = as_array(input, "Linear")
        check_last_dim(x, self.in_features, "Linear", "in_features")
        check_dtype(x, self.weight.dtype, "Linear")
        self.save_for_backward(x)
        return F.linear(x, self.weight.data, None if self.bias is None else self.bias.data)

    def backward(self, grad_output, input_grad: bool = True):
        (x,) = self.pop_saved()
        bias = None if self.bias is None else self.bias.data
        gx, gw, gb = F.linear_backward(np.asarray(grad_output), x, self.weight.data, bias,
                                       needs_input_grad=input_grad)
        self.weight.accumulate_grad(gw)
        if self.bias is not None:
            self.bias.accumulate_grad(gb)
        return gx

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Identity(Module):
    """:math:`y = x`; backward passes the gradient through unchanged."""

    def forward(self, input):
        self.save_for_backward()
        return input

    def backward(self, grad_output):
        self.pop_saved()
        return grad_output


class Flatten(Module):
    """``Flatten(start_dim=1, end_dim=-1)``: merges dims ``start_dim..end_dim`` (torch's defaults)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        x = np.asarray(input)
        nd = max(x.ndim, 1)  # a 0-d input is flattened as if it were 1-d (torch does the same)
        for name, d in (("start_dim", self.start_dim), ("end_dim", self.end_dim)):
            if not -nd <= d < nd:
                raise ValueError(f"Flatten: {name}={d} is out of range [{-nd}, {nd - 1}] "
                                 f"for an input of shape {x.shape}")
        start = self.start_dim % nd
        end = self.end_dim % nd
        if start > end:
            raise ValueError(f"Flatten: start_dim {self.start_dim} is after end_dim "
                             f"{self.end_dim} for an input of shape {x.shape}")
        self.save_for_backward(x.shape)
        return x.reshape(x.shape[:start] + (-1,) + x.shape[end + 1:])

    def backward(self, grad_output):
        (shape,) = self.pop_saved()
        return np.asarray(grad_output).reshape(shape)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
