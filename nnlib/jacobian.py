"""Finite-difference Jacobians: the check of a vector function's derivative matrix.

For :math:`y = f(x)` the Jacobian holds every partial derivative,
:math:`J_{ij} = \\partial y_i / \\partial x_j` (a row per output, a column per input).
Column :math:`j` is the central difference along the unit vector :math:`e_j`:

.. math::

    J_{:, j} \\approx
    \\frac{f(x + \\varepsilon e_j) - f(x - \\varepsilon e_j)}{2\\varepsilon},

two evaluations of ``f`` per input coordinate (error :math:`O(\\varepsilon^2)`, see
:mod:`nnlib.gradcheck`). For a scalar ``f`` the result is the gradient of
:func:`nnlib.gradcheck.numerical_grad`.
"""
from __future__ import annotations

import numpy as np

from nnlib._checks import as_array

__all__ = ["numerical_jacobian"]


def numerical_jacobian(f, x, eps: float = 1e-6) -> np.ndarray:
    """Central-difference Jacobian of ``f`` at ``x``.

    ``f`` maps an array of ``x``'s shape to an array (or a number).
    Shapes: ``x`` (n1, ...), ``f(x)`` (m1, ...) -> the Jacobian (m1, ..., n1, ...),
    entry :math:`\\partial f(x)_{i} / \\partial x_{j}` — the layout of
    ``torch.autograd.functional.jacobian``. For vectors: (m, n), row i is the gradient
    of :math:`f_i`. Works on a float64 copy: the caller's ``x`` is never modified.
    """
    x = np.array(as_array(x, "numerical_jacobian"), dtype=np.float64, copy=True)
    if eps <= 0:
        raise ValueError(f"numerical_jacobian: eps must be positive, got {eps!r}")
    out_shape = np.shape(f(x))
    flat = x.reshape(-1)
    columns = np.empty((flat.size,) + out_shape)
    for j in range(flat.size):
        old = flat[j]
        flat[j] = old + eps
        f_plus = np.asarray(f(x), dtype=np.float64)
        flat[j] = old - eps
        f_minus = np.asarray(f(x), dtype=np.float64)
        flat[j] = old
        columns[j] = (f_plus - f_minus) / (2 * eps)
    # columns[j, i...] = d f_i / d x_j  ->  J[i..., j...]
    jac = np.moveaxis(columns, 0, -1)
    return jac.reshape(out_shape + x.shape)
