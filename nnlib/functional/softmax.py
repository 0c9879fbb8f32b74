"""Softmax, log-softmax and log-sum-exp along any axis, numerically stable, with backward passes.

Stability rests on one identity: adding a constant to every logit does not change softmax,

.. math:: \\operatorname{softmax}(z)_i = \\frac{e^{z_i - m}}{\\sum_j e^{z_j - m}},
          \\qquad m = \\max_j z_j,

so every exponent is :math:`\\le 0` and nothing overflows (logits of :math:`\\pm 10^4` are fine).
"""
from __future__ import annotations

import numpy as np

from nnlib._checks import as_array

__all__ = ["softmax", "softmax_backward", "log_softmax", "log_softmax_backward",
           "logsumexp", "logsumexp_backward"]


def _axis(x: np.ndarray, dim, where: str) -> int:
    """Validate ``dim`` for ``x`` (torch's rule: ``-ndim <= dim < ndim``, a 0-d array counts as 1-d)."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{where}: dim must be an integer, got {dim!r}")
    n = max(x.ndim, 1)
    if not -n <= dim < n:
        raise ValueError(f"{where}: dim must be in [{-n}, {n - 1}] for an input of shape "
                         f"{tuple(x.shape)}, got {dim}")
    return int(dim) % n


def _grad(grad_output, shape, where: str) -> np.ndarray:
    g = np.asarray(grad_output)
    if g.shape != tuple(shape):
        raise ValueError(f"{where}: grad_output must have the output's shape {tuple(shape)}, "
                         f"got {tuple(g.shape)}")
    return g


def logsumexp(input, dim, keepdim: bool = False) -> np.ndarray:
    """:math:`\\log \\sum_j e^{x_j}` along ``dim``, computed as :math:`m + \\log\\sum_j e^{x_j - m}`.

    Shapes: ``input`` (..., C, ...) -> the same without ``dim`` (kept as size 1 if ``keepdim``).
    Rows of ``-inf`` give ``-inf`` (as in torch).
    """
    x = as_array(input, "logsumexp")
    ax = _axis(x, dim, "logsumexp")
    xx = x.reshape(1) if x.ndim == 0 else x
    m = np.max(xx, axis=ax, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)            # an all -inf row: avoid inf - inf
    out = m + np.log(np.sum(np.exp(xx - m), axis=ax, keepdims=True))
    if x.ndim == 0:
        return out.reshape(())
    return out if keepdim else np.squeeze(out, axis=ax)


def logsumexp_backward(grad_output, input, output, dim, keepdim: bool = False) -> np.ndarray:
    """:math:`\\partial\\,\\mathrm{lse}/\\partial x_i = e^{x_i - \\mathrm{lse}} = \\operatorname{softmax}(x)_i`,
    from the input and the saved output: returns ``exp(x - lse) * g``."""
    x = as_array(input, "logsumexp_backward")
    ax = _axis(x, dim, "logsumexp_backward")
    lse = np.asarray(output)
    out_shape = x.shape if x.ndim == 0 else (
        x.shape[:ax] + (1,) * keepdim + x.shape[ax + 1:])
    g = _grad(grad_output, out_shape, "logsumexp_backward")
    if x.ndim == 0:
        return np.ones_like(x) * g
    if not keepdim:
        g, lse = np.expand_dims(g, ax), np.expand_dims(lse, ax)
    return np.exp(x - lse) * g


def softmax(input, dim) -> np.ndarray:
    """:math:`\\operatorname{softmax}(x)_i = e^{x_i - m} / \\sum_j e^{x_j - m}` along ``dim``
    (:math:`m` = max along ``dim``). Shapes: any; the output sums to 1 along ``dim``.
    """
    x = as_array(input, "softmax")
    ax = _axis(x, dim, "softmax")
    xx = x.reshape(1) if x.ndim == 0 else x
    out = xx - np.max(xx, axis=ax, keepdims=True)
    np.exp(out, out=out)
    out /= np.sum(out, axis=ax, keepdims=True)
    return out.reshape(x.shape)


def softmax_backward(grad_output, output, dim) -> np.ndarray:
    """Vector-Jacobian product of softmax from its output :math:`s` and :math:`g = \\partial L/\\partial s`:

    .. math:: \\frac{\\partial L}{\\partial x_i} = \\sum_j g_j\\, s_j(\\delta_{ij} - s_i)
              = s_i\\Big(g_i - \\sum_j g_j s_j\\Big).

    The Jacobian :math:`\\operatorname{diag}(s) - s s^\\top` is never built. Shapes: as ``output``.
    """
    s = as_array(output, "softmax_backward")
    ax = _axis(s, dim, "softmax_backward")
    g = _grad(grad_output, s.shape, "softmax_backward")
    if s.ndim == 0:
        return np.zeros_like(s) * g
    out = g * s
    out -= s * np.sum(out, axis=ax, keepdims=True)
    return out


def log_softmax(input, dim) -> np.ndarray:
    """:math:`\\log \\operatorname{softmax}(x)_i = x_i - \\operatorname{logsumexp}(x)`,
    never via ``log(softmax)``: stays finite where softmax underflows to 0
    (e.g. :math:`x = (0, -1000)` gives :math:`(0, -1000)`). Shapes: as ``input``.
    """
    x = as_array(input, "log_softmax")
    ax = _axis(x, dim, "log_softmax")
    xx = x.reshape(1) if x.ndim == 0 else x
    out = xx - np.max(xx, axis=ax, keepdims=True)
    e = np.exp(out)
    out -= np.log(np.sum(e, axis=ax, keepdims=True))
    return out.reshape(x.shape)


def log_softmax_backward(grad_output, output, dim) -> np.ndarray:
    """From the output :math:`\\log s` and :math:`g = \\partial L/\\partial \\log s`:
    :math:`\\partial L/\\partial x_i = g_i - s_i \\sum_j g_j` (since
    :math:`\\partial \\log s_j/\\partial x_i = \\delta_{ij} - s_i`); :math:`s = e^{\\text{output}}`.
    Shapes: as ``output``.
    """
    logs = as_array(output, "log_softmax_backward")
    ax = _axis(logs, dim, "log_softmax_backward")
    g = _grad(grad_output, logs.shape, "log_softmax_backward")
    if logs.ndim == 0:
        return np.zeros_like(logs) * g
    out = np.exp(logs)
    out *= -np.sum(g, axis=ax, keepdims=True)
    out += g
    return out
