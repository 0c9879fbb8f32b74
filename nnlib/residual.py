"""The residual (skip) connection of ResNet: ``Residual(f)`` computes
:math:`y = x + f(x)`.

Backward adds the two paths of the graph (the skip path and the branch):

.. math::

    \\frac{\\partial L}{\\partial x} = \\frac{\\partial L}{\\partial y}
    + J_f^{\\top}\\,\\frac{\\partial L}{\\partial y},

so the Jacobian of a block is :math:`I + J_f` and a product of such blocks keeps
the identity term: the gradient reaches the first layers even when every
:math:`J_f` is small. torch has no such layer (a ResNet writes ``out + identity``
in its ``forward``); nnlib needs a module because its backward is explicit.
"""
from __future__ import annotations

import numpy as np

from nnlib._checks import as_array
from nnlib.nn.module import Module

__all__ = ["Residual"]


class Residual(Module):
    """``Residual(branch)``: :math:`y = x + \\text{branch}(x)`.

    ``branch`` is any module whose output has the input's shape (..., n) -> (..., n);
    its parameters are the block's parameters (``branch.0.weight``, ...).
    """

    def __init__(self, branch: Module):
        super().__init__()
        if not isinstance(branch, Module):
            raise TypeError(f"Residual: branch must be a Module, "
                            f"got {type(branch).__name__}")
        self.branch = branch

    def forward(self, input):
        x = as_array(input, "Residual")
        out = np.asarray(self.branch(x))
        if out.shape != x.shape:
            raise ValueError(f"Residual: the branch maps shape {x.shape} to "
                             f"{out.shape}; x + branch(x) needs the same shape")
        self.save_for_backward()     # one entry per call: backward checks the order
        return x + out

    def backward(self, grad_output):
        self.pop_saved()
        g = np.asarray(grad_output)
        return g + self.branch.backward(g)     # skip path + branch
