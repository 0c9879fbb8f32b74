"""The affine map :math:`y = x W^\\top + b` and its backward pass."""
from __future__ import annotations

import numpy as np

from nnlib._checks import check_last_dim, check_ndim

__all__ = ["linear", "linear_backward"]


def linear(input: np.ndarray, weight: np.ndarray, bias: np.ndarray | None = None) -> np.ndarray:
    """:math:`y = x W^\\top + b`.

    Shapes: ``input`` (..., in), ``weight`` (out, in), ``bias`` (out,) -> (..., out).
    Leading dimensions are batch dimensions: one matrix product serves the whole batch
    (the input is viewed as a 2-D (rows, in) matrix, which BLAS multiplies fastest).
    """
    check_ndim(weight, 2, "linear", "weight (out_features, in_features)")
    check_last_dim(input, weight.shape[1], "linear", "in_features")
    out = input.reshape(-1, weight.shape[1]) @ weight.T
    if bias is not None:
        out += bias
    return out.reshape(input.shape[:-1] + (weight.shape[0],))


def linear_backward(grad_output: np.ndarray, input: np.ndarray, weight: np.ndarray,
                    bias: np.ndarray | None = None, needs_input_grad: bool = True):
    """Gradients of :func:`linear`; ``grad_output`` is :math:`G = \\partial L/\\partial y`, (..., out).

    Returns ``(grad_input, grad_weight, grad_bias)``:

    * :math:`\\partial L/\\partial x = G W` — shape (..., in); ``None`` when
      ``needs_input_grad=False`` (the input is data, as for a network's first layer)
    * :math:`\\partial L/\\partial W = G^\\top x` summed over the batch — shape (out, in)
    * :math:`\\partial L/\\partial b = \\sum_{\\text{batch}} G` — shape (out,) (``None`` without bias)
    """
    n_out, n_in = weight.shape
    if grad_output.shape != input.shape[:-1] + (n_out,):
        raise ValueError(f"linear_backward: grad_output must have shape "
                         f"{input.shape[:-1] + (n_out,)}, got {grad_output.shape}")
    g2 = grad_output.reshape(-1, n_out)
    grad_weight = g2.T @ input.reshape(-1, n_in)
    grad_bias = g2.sum(axis=0) if bias is not None else None
    grad_input = None
    if needs_input_grad:
        grad_input = (g2 @ weight).reshape(input.shape)
    return grad_input, grad_weight, grad_bias
