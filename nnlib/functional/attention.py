"""Scaled dot-product attention and its backward pass.

.. math:: \\operatorname{Attention}(Q, K, V) = \\operatorname{softmax}\\Big(
          \\frac{Q K^\\top}{\\sqrt{E}} + M\\Big) V,

with :math:`Q` (..., L, E), :math:`K` (..., S, E), :math:`V` (..., S, E_v) and a mask
:math:`M` (..., L, S) of 0 and :math:`-\\infty` (a boolean mask: ``True`` = takes
part) or of any floats (added to the scores). The softmax is nnlib's
(:func:`nnlib.functional.softmax` and its backward), along the keys axis.
"""
from __future__ import annotations

import math

import numpy as np

from nnlib._checks import as_array
from nnlib.functional.softmax import softmax, softmax_backward

__all__ = ["scaled_dot_product_attention", "scaled_dot_product_attention_forward",
           "scaled_dot_product_attention_backward"]

_WHERE = "scaled_dot_product_attention"


def _swap(a):
    """The last two axes swapped: :math:`K \\mapsto K^\\top` for a batch of matrices."""
    return np.swapaxes(a, -1, -2)


def _sum_to(grad, shape):
    """Undo broadcasting: sum ``grad`` over the axes along which an array of ``shape``
    was broadcast (leading extra axes, axes of length 1)."""
    extra = grad.ndim - len(shape)
    grad = grad.sum(axis=tuple(range(extra))) if extra else grad
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=axes, keepdims=True) if axes else grad


def _mask_bias(attn_mask, is_causal, L, S, dtype):
    """The additive mask: 0 where a query may attend, :math:`-\\infty` elsewhere
    (``None``: no mask)."""
    if is_causal:                         # query i sees keys 0..i (top-left aligned)
        attn_mask = np.tril(np.ones((L, S), dtype=bool))
    if attn_mask is None:
        return None
    m = np.asarray(attn_mask)
    if m.dtype == bool:
        return np.where(m, 0.0, -np.inf).astype(dtype)
    return as_array(m, _WHERE).astype(dtype, copy=False)


def scaled_dot_product_attention_forward(query, key, value, attn_mask=None,
                                         dropout_p=0.0, is_causal=False, scale=None):
    """:func:`scaled_dot_product_attention` and what its backward needs:
    ``(output, saved)``, ``saved = (query, key, value, attn, scale)`` with ``attn``
    (..., L, S) the attention weights (the softmax's output)."""
    q, k, v = (as_array(a, _WHERE) for a in (query, key, value))
    if dropout_p != 0:
        raise ValueError(f"{_WHERE}: only dropout_p=0 is implemented, "
                         f"got {dropout_p!r}")
    if min(q.ndim, k.ndim, v.ndim) < 2:
        raise ValueError(f"{_WHERE}: query, key and value must be at least 2-D, got "
                         f"{q.shape}, {k.shape}, {v.shape}")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"{_WHERE}: expected query (..., L, E), key (..., S, E), "
                         f"value (..., S, Ev), got {q.shape}, {k.shape}, {v.shape}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{_WHERE}: give attn_mask or is_causal=True, not both")
    L, S = q.shape[-2], k.shape[-2]
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
        scores = (q @ _swap(k)) * scale                            # (..., L, S)
        bias = _mask_bias(attn_mask, is_causal, L, S, scores.dtype)
        if bias is not None:
            scores = scores + np.broadcast_to(bias, batch + (L, S))
    except ValueError:
        mask = None if attn_mask is None else np.shape(attn_mask)
        raise ValueError(f"{_WHERE}: the batch dims of query {q.shape}, key {k.shape}, "
                         f"value {v.shape} and the mask {mask} (..., L={L}, S={S}) do "
                         f"not broadcast") from None
    # A query that may attend to no key gets zero weights (torch's "safe softmax")
    # instead of 0/0 = NaN.
    dead = np.all(scores == -np.inf, axis=-1, keepdims=True)
    if dead.any():
        scores = np.where(dead, 0.0, scores)
    attn = softmax(scores, -1)
    if dead.any():
        attn = np.where(dead, 0.0, attn)
    return attn @ v, (q, k, v, attn, scale)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
    """:math:`\\operatorname{softmax}(Q K^\\top \\cdot \\text{scale} + M)\\, V`
    (torch's signature).

    Shapes: ``query`` (..., L, E), ``key`` (..., S, E), ``value`` (..., S, Ev) ->
    (..., L, Ev); leading (batch, head) dims broadcast. ``attn_mask`` broadcasts to
    (..., L, S): boolean (``True`` = the query may attend to that key) or float (added
    to the scores). ``is_causal=True``: query i attends to keys 0..i. ``scale``
    defaults to :math:`1/\\sqrt{E}`. Only ``dropout_p=0``. A query whose keys are
    all masked gets output 0 (as in torch).
    """
    return scaled_dot_product_attention_forward(query, key, value, attn_mask,
                                                dropout_p, is_causal, scale)[0]


def scaled_dot_product_attention_backward(grad_output, saved, grad_attn_weights=None):
    """Gradients of :func:`scaled_dot_product_attention` from ``saved`` of
    :func:`scaled_dot_product_attention_forward`.

    With :math:`A` the attention weights, :math:`G = \\partial L/\\partial O`
    (..., L, Ev) and :math:`s` = ``scale``:
    :math:`\\partial L/\\partial V = A^\\top G`,
    :math:`\\partial L/\\partial A = G V^\\top` (+ ``grad_attn_weights``, when the
    weights themselves reach the loss, as ``MultiheadAttention``'s second output),
    :math:`\\Delta = \\operatorname{softmax\\_backward}(\\partial L/\\partial A)`,
    :math:`\\partial L/\\partial Q = s\\,\\Delta K`,
    :math:`\\partial L/\\partial K = s\\,\\Delta^\\top Q`; each is summed back to
    its argument's shape where the batch dims were broadcast.

    Returns ``(grad_query, grad_key, grad_value)``.
    """
    q, k, v, attn, scale = saved
    g = np.asarray(grad_output)
    out_shape = attn.shape[:-1] + (v.shape[-1],)
    if g.shape != out_shape:
        raise ValueError(f"{_WHERE}_backward: grad_output must have the output's shape "
                         f"{out_shape}, got {g.shape}")
    grad_attn = g @ _swap(v)
    if grad_attn_weights is not None:
        grad_attn = grad_attn + grad_attn_weights
    delta = softmax_backward(grad_attn, attn, -1)
    delta *= scale
    return (_sum_to(delta @ k, q.shape), _sum_to(_swap(delta) @ q, k.shape),
            _sum_to(_swap(attn) @ g, v.shape))
