"""The affine map :math:`y = x W^\\top + b` and its backward pass."""
from __future__ import annotations

import numpy as np

__all__ = ["linear", "linear_backward"]

from nnlib._checks import check_last_dim, check_ndim


def linear(input: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """:math:`y = x W^\\top + b`.

    Shapes: ``input`` (..., in), ``weight`` (out, in), ``bias`` (out,) -> (..., out).
    Leading dimensions are batch dimensions: one matrix product serves the whole batch.
    """
    check_ndim(weight, 2, "linear", "weight (out_features, in_features)")
    check_last_dim(input, weight.shape[1], "linear", "in_features")
    out = input @ weight.T
    if bias is not None:
        out = out + bias
    return out


def linear_backward(grad_output: np.ndarray, input: np.ndarray, weight: np.ndarray,
                    bias: np.ndarray | None = None):
    """Gradients of :func:`linear`; ``grad_output`` is :math:`G = \\partial L/\\partial y`, shape (..., out).

    Returns ``(grad_input, grad_weight, grad_bias)``:

    * :math:`\\partial L/\\partial x = G W` — shape (..., in)
    * :math:`\\partial L/\\partial W = G^\\top x` summed over the batch — shape (out, in)
    * :math:`\\partial L/\\partial b = \\sum_{\\text{batch}} G` — shape (out,) (``None`` without bias)
    """
    if grad_output.shape != input.shape[:-1] + (weight.shape[0],):
        raise ValueError(f"linear_backward: grad_output must have shape "
                         f"{input.shape[:-1] + (weight.shape[0],)}, got {grad_output.shape}")
    g2 = grad_output.reshape(-1, weight.shape[0])
    x2 = input.reshape(-1, weight.shape[1])
    grad_input = grad_output @ weight
    grad_weight = g2.T @ x2
    grad_bias = g2.sum(axis=0) if bias is not None else None
    return grad_input, grad_weight, grad_bias
