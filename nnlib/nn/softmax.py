"""``Softmax(dim)`` and ``LogSoftmax(dim)`` layers: thin wrappers over :mod:`nnlib.functional.softmax`."""
from __future__ import annotations

import numpy as np

from nnlib import functional as F
from nnlib._checks import as_array
from nnlib.nn.module import Module

__all__ = ["Softmax", "LogSoftmax"]


def _check_dim(dim, where: str) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{where}: dim must be an integer, got {dim!r}")
    return int(dim)


class Softmax(Module):
    """``Softmax(dim)``: :math:`y = \\operatorname{softmax}(x)` along ``dim``; the output sums to 1 there.

    Input: any shape; output: the same shape.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = _check_dim(dim, "Softmax")

    def forward(self, input):
        x = as_array(input, "Softmax")
        self._ctx = x
        return F.softmax(x, self.dim)

    def backward(self, grad_output):
        return F.softmax_backward(grad_output, self._saved(), self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``LogSoftmax(dim)``: :math:`y = \\log\\operatorname{softmax}(x) = x - \\operatorname{logsumexp}(x)` along ``dim``."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = _check_dim(dim, "LogSoftmax")

    def forward(self, input):
        x = as_array(input, "LogSoftmax")
        self._ctx = x
        return F.log_softmax(x, self.dim)

    def backward(self, grad_output):
        return F.log_softmax_backward(grad_output, self._saved(), self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
