"""``Residual``: a skip connection around any module, :math:`y = x + f(x)`.

torch has no such layer (a ResNet writes ``x + self.f(x)`` in its ``forward``); nnlib
wraps the pattern of docs/nnlib-design.md («Containers and composition») in a module so
that a plain stack and a residual stack are built from the same ``Sequential``.
"""
from __future__ import annotations

from nnlib._checks import as_array
from nnlib.nn.module import Module

__all__ = ["Residual"]


class Residual(Module):
    """``Residual(fn)``: :math:`y = x + f(x)`, where ``fn`` is any module whose
    output has the shape of its input.

    Input (..., d) -> output of the same shape. The gradient takes both paths and
    adds them: :math:`\\partial L/\\partial x = g + J_f^\\top g` with
    :math:`g = \\partial L/\\partial y` (the block's Jacobian is :math:`I + J_f`):
    the skip path passes :math:`g` to the input unchanged.
    Parameters: those of ``fn`` (``state_dict`` keys ``fn.*``).
    """

    def __init__(self, fn: Module):
        super().__init__()
        if not isinstance(fn, Module):
            raise TypeError(f"Residual: fn must be a Module, got {type(fn).__name__}")
        self.fn = fn

    def forward(self, input):
        x = as_array(input, "Residual")
        out = self.fn(x)
        if out.shape != x.shape:
            raise ValueError(f"Residual: fn must keep the input's shape, got {x.shape} "
                             f"-> {out.shape}")
        return x + out                          # skip path + branch

    def backward(self, grad_output):
        return grad_output + self.fn.backward(grad_output)
