"""Activation layers (torch's names, signatures and reprs).

Each layer stores its input in ``forward`` and calls the matching pair from
:mod:`nnlib.functional.activations` in ``backward``; only :class:`PReLU` has a parameter.
"""
from __future__ import annotations

import numpy as np

from nnlib import functional as F
from nnlib._checks import as_array, check_choice, check_positive_int
from nnlib.nn.module import Module, Parameter

__all__ = ["ReLU", "Sigmoid", "Tanh", "LeakyReLU", "PReLU", "ELU", "GELU", "SiLU", "Softplus"]


def _no_inplace(inplace, where):
    if inplace:
        raise ValueError(f"{where}: inplace=True is not supported (backward needs the input), got {inplace!r}")
    return False


class _Stateless(Module):
    """A parameter-free layer over a functional pair: ``forward`` saves the input and applies
    ``_fwd``, ``backward`` applies ``_bwd``; ``_kwargs()`` supplies the layer's arguments.
    Also the base of :class:`~nnlib.nn.Softmax` and :class:`~nnlib.nn.LogSoftmax`."""

    _fwd = None
    _bwd = None

    def _kwargs(self) -> dict:
        return {}

    def forward(self, input):
        x = as_array(input, type(self).__name__)
        self._ctx = x
        return type(self)._fwd(x, **self._kwargs())

    def backward(self, grad_output):
        x = self._saved()
        return type(self)._bwd(np.asarray(grad_output), x, **self._kwargs())


class ReLU(_Stateless):
    """``ReLU()``: :math:`\\max(0, x)`; derivative :math:`[x > 0]`."""

    _fwd = staticmethod(F.relu)
    _bwd = staticmethod(F.relu_backward)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = _no_inplace(inplace, "ReLU")


class Sigmoid(_Stateless):
    """``Sigmoid()``: :math:`1/(1 + e^{-x})`; derivative :math:`\\sigma(1-\\sigma)`."""

    _fwd = staticmethod(F.sigmoid)
    _bwd = staticmethod(F.sigmoid_backward)


class Tanh(_Stateless):
    """``Tanh()``: :math:`\\tanh x`; derivative :math:`1 - \\tanh^2 x`."""

    _fwd = staticmethod(F.tanh)
    _bwd = staticmethod(F.tanh_backward)


class LeakyReLU(_Stateless):
    """``LeakyReLU(negative_slope=0.01)``: :math:`x` for :math:`x>0`, else ``negative_slope``:math:`\\cdot x`."""

    _fwd = staticmethod(F.leaky_relu)
    _bwd = staticmethod(F.leaky_relu_backward)

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = _no_inplace(inplace, "LeakyReLU")

    def _kwargs(self):
        return {"negative_slope": self.negative_slope}

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(_Stateless):
    """``ELU(alpha=1.0)``: :math:`x` for :math:`x>0`, else :math:`\\alpha(e^x - 1)`."""

    _fwd = staticmethod(F.elu)
    _bwd = staticmethod(F.elu_backward)

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = alpha
        self.inplace = _no_inplace(inplace, "ELU")

    def _kwargs(self):
        return {"alpha": self.alpha}

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class GELU(_Stateless):
    """``GELU(approximate='none')``: :math:`x\\Phi(x)`; ``'tanh'`` uses the tanh approximation."""

    _fwd = staticmethod(F.gelu)
    _bwd = staticmethod(F.gelu_backward)

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = check_choice(approximate, ("none", "tanh"), "GELU", "approximate")

    def _kwargs(self):
        return {"approximate": self.approximate}

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_Stateless):
    """``SiLU()`` (Swish): :math:`x\\sigma(x)`."""

    _fwd = staticmethod(F.silu)
    _bwd = staticmethod(F.silu_backward)

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = _no_inplace(inplace, "SiLU")


class Softplus(_Stateless):
    """``Softplus(beta=1.0, threshold=20.0)``: :math:`\\frac1\\beta\\log(1+e^{\\beta x})`."""

    _fwd = staticmethod(F.softplus)
    _bwd = staticmethod(F.softplus_backward)

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def _kwargs(self):
        return {"beta": self.beta, "threshold": self.threshold}

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class PReLU(Module):
    """``PReLU(num_parameters=1, init=0.25)``: :math:`x` for :math:`x>0`, else :math:`a_c x`.

    Parameter ``weight`` of shape (num_parameters,), filled with ``init``; ``num_parameters``
    is 1 (one shared slope) or the number of channels C (input (N, C, ...)).
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, *, dtype=np.float64):
        super().__init__()
        self.num_parameters = check_positive_int(num_parameters, "PReLU", "num_parameters")
        self.weight = Parameter(np.full(self.num_parameters, init, dtype=dtype))

    def forward(self, input):
        x = as_array(input, "PReLU")
        self._ctx = x
        return F.prelu(x, self.weight.data)

    def backward(self, grad_output):
        x = self._saved()
        gx, gw = F.prelu_backward(np.asarray(grad_output), x, self.weight.data)
        self.weight.accumulate_grad(gw)
        return gx

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
