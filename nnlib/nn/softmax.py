"""``Softmax(dim)`` and ``LogSoftmax(dim)`` layers: thin wrappers over :mod:`nnlib.functional.softmax`."""
from __future__ import annotations

import numpy as np

from nnlib import functional as F
from nnlib.nn.activation import _Stateless

__all__ = ["Softmax", "LogSoftmax"]


class _AlongDim(_Stateless):
    """A layer that normalises along one axis ``dim`` (passed to the functional pair)."""

    def __init__(self, dim: int):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"{type(self).__name__}: dim must be an integer, got {dim!r}")
        self.dim = int(dim)

    def _kwargs(self) -> dict:
        return {"dim": self.dim}

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """``Softmax(dim)``: :math:`y = \\operatorname{softmax}(x)` along ``dim``; the output sums to 1 there.

    Input: any shape; output: the same shape.
    """

    _fwd = staticmethod(F.softmax)
    _bwd = staticmethod(F.softmax_backward)


class LogSoftmax(_AlongDim):
    """``LogSoftmax(dim)``: :math:`y = \\log\\operatorname{softmax}(x) = x - \\operatorname{logsumexp}(x)` along ``dim``."""

    _fwd = staticmethod(F.log_softmax)
    _bwd = staticmethod(F.log_softmax_backward)
