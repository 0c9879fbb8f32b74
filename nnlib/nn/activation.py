"""Activation layers (torch's names, signatures and reprs).

Each layer is a thin wrapper over its pair in :mod:`nnlib.functional.activations`:
``forward`` computes the output and saves what the derivative needs (the output for ReLU,
sigmoid and tanh; the input, and for GELU/SiLU an intermediate, elsewhere), ``backward``
pops it and applies the derivative. Only :class:`PReLU` has a parameter.
"""
from __future__ import annotations

import numpy as np

from nnlib import functional as F
from nnlib._checks import as_array, check_choice, check_dtype, check_positive_int
from nnlib.modes import float_dtype, get_default_dtype
from nnlib.nn.module import Module, Parameter

__all__ = ["ReLU", "Sigmoid", "Tanh", "LeakyReLU", "PReLU", "ELU", "GELU", "SiLU", "Softplus"]


def _no_inplace(inplace, where):
    if inplace:
        raise ValueError(f"{where}: inplace=True is not supported (backward needs the "
                         f"input), got {inplace!r}")
    return False


class ReLU(Module):
    """``ReLU()``: :math:`\\max(0, x)`; derivative :math:`[x > 0]`."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = _no_inplace(inplace, "ReLU")

    def forward(self, input):
        output = F.relu(input)
        self.save_for_backward(output)
        return output

    def backward(self, grad_output):
        (output,) = self.pop_saved()
        return F.relu_backward(grad_output, output)


class Sigmoid(Module):
    """``Sigmoid()``: :math:`1/(1 + e^{-x})`; derivative :math:`\\sigma(1-\\sigma)`."""

    def forward(self, input):
        output = F.sigmoid(input)
        self.save_for_backward(output)
        return output

    def backward(self, grad_output):
        (output,) = self.pop_saved()
        return F.sigmoid_backward(grad_output, output)


class Tanh(Module):
    """``Tanh()``: :math:`\\tanh x`; derivative :math:`1 - \\tanh^2 x`."""

    def forward(self, input):
        output = F.tanh(input)
        self.save_for_backward(output)
        return output

    def backward(self, grad_output):
        (output,) = self.pop_saved()
        return F.tanh_backward(grad_output, output)


class LeakyReLU(Module):
    """``LeakyReLU(negative_slope=0.01)``: :math:`x` for :math:`x>0`, else :math:`a x`."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = _no_inplace(inplace, "LeakyReLU")

    def forward(self, input):
        x = as_array(input, "LeakyReLU")
        self.save_for_backward(x)
        return F.leaky_relu(x, self.negative_slope)

    def backward(self, grad_output):
        (x,) = self.pop_saved()
        return F.leaky_relu_backward(grad_output, x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    """``ELU(alpha=1.0)``: :math:`x` for :math:`x>0`, else :math:`\\alpha(e^x - 1)`."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = _no_inplace(inplace, "ELU")

    def forward(self, input):
        x = as_array(input, "ELU")
        output = F.elu(x, self.alpha)
        self.save_for_backward(x, output)
        return output

    def backward(self, grad_output):
        x, output = self.pop_saved()
        return F.elu_backward(grad_output, x, output, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(Module):
    """``GELU(approximate='none')``: :math:`x\\Phi(x)`; ``'tanh'``: the tanh approximation."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = check_choice(approximate, ("none", "tanh"), "GELU", "approximate")

    def forward(self, input):
        x = as_array(input, "GELU")
        output, s = F.gelu_forward(x, self.approximate)
        self.save_for_backward(x, s)
        return output

    def backward(self, grad_output):
        x, s = self.pop_saved()
        return F.gelu_backward(grad_output, x, s, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """``SiLU()`` (Swish): :math:`x\\sigma(x)`."""

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = _no_inplace(inplace, "SiLU")

    def forward(self, input):
        x = as_array(input, "SiLU")
        output, s = F.silu_forward(x)
        self.save_for_backward(x, s)
        return output

    def backward(self, grad_output):
        x, s = self.pop_saved()
        return F.silu_backward(grad_output, x, s)


class Softplus(Module):
    """``Softplus(beta=1.0, threshold=20.0)``: :math:`\\frac1\\beta\\log(1+e^{\\beta x})`."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        x = as_array(input, "Softplus")
        self.save_for_backward(x)
        return F.softplus(x, self.beta, self.threshold)

    def backward(self, grad_output):
        (x,) = self.pop_saved()
        return F.softplus_backward(grad_output, x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class PReLU(Module):
    """``PReLU(num_parameters=1, init=0.25)``: :math:`x` for :math:`x>0`, else :math:`a_c x`.

    Parameter ``weight`` of shape (num_parameters,), filled with ``init``; ``num_parameters``
    is 1 (one shared slope) or the number of channels C (input (N, C, ...)).
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, *, dtype=None):
        super().__init__()
        self.num_parameters = check_positive_int(num_parameters, "PReLU", "num_parameters")
        dtype = float_dtype(get_default_dtype() if dtype is None else dtype, "PReLU")
        self.weight = Parameter(np.full(self.num_parameters, init, dtype=dtype))

    def forward(self, input):
        x = as_array(input, "PReLU")
        check_dtype(x, self.weight.dtype, "PReLU")
        self.save_for_backward(x)
        return F.prelu(x, self.weight.data)

    def backward(self, grad_output):
        (x,) = self.pop_saved()
        gx, gw = F.prelu_backward(grad_output, x, self.weight.data)
        self.weight.accumulate_grad(gw)
        return gx

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
