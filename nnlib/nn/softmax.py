"""``Softmax(dim)`` and ``LogSoftmax(dim)``: wrappers over :mod:`nnlib.functional.softmax`.

Both save their **output**: the backward pass of softmax needs :math:`s` itself, that of
log-softmax :math:`s = e^{\\text{output}}`.
"""
from __future__ import annotations

import numpy as np

from nnlib import functional as F
from nnlib.nn.module import Module

__all__ = ["Softmax", "LogSoftmax"]


def _check_dim(dim, where: str) -> int:
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{where}: dim must be an integer, got {dim!r}")
    return int(dim)


class Softmax(Module):
    """``Softmax(dim)``: :math:`y = \\operatorname{softmax}(x)` along ``dim`` (sums to 1 there).

    Input: any shape; output: the same shape.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.dim = _check_dim(dim, "Softmax")

    def forward(self, input):
        output = F.softmax(input, self.dim)
        self.save_for_backward(output)
        return output

    def backward(self, grad_output):
        (output,) = self.pop_saved()
        return F.softmax_backward(grad_output, output, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``LogSoftmax(dim)``: :math:`y = x - \\operatorname{logsumexp}(x)` along ``dim``."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = _check_dim(dim, "LogSoftmax")

    def forward(self, input):
        output = F.log_softmax(input, self.dim)
        self.save_for_backward(output)
        return output

    def backward(self, grad_output):
        (output,) = self.pop_saved()
        return F.log_softmax_backward(grad_output, output, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
