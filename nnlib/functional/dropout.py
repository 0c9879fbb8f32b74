"""Dropout (inverted, as in torch) and its backward pass.

In training every unit is kept with probability :math:`1-p` and zeroed otherwise;
the kept ones are scaled by :math:`1/(1-p)`, so the expectation does not change:

.. math::

    y = \\frac{m \\odot x}{1-p}, \\qquad m_i \\sim \\mathrm{Bernoulli}(1-p),
    \\qquad \\mathbb{E}[y] = x.

At evaluation (``training=False``) dropout is the identity: no rescaling is needed
then. For ``p = 1`` every unit is dropped and the output is zero (the scale is taken
as 0, not :math:`1/0`, as in torch). The backward pass reuses the forward's mask:
:math:`\\partial L/\\partial x = m \\odot g/(1-p)`.
"""
from __future__ import annotations

import numpy as np

from nnlib._checks import as_array, check_range, check_same_shape
from nnlib.random import get_rng

__all__ = ["dropout", "dropout_forward", "dropout_backward"]


def _scale(p: float) -> float:
    """The factor of the kept units: :math:`1/(1-p)`; 0 for ``p = 1`` (all dropped)."""
    return 0.0 if p == 1 else 1.0 / (1.0 - p)


def _check_p(p, where: str) -> float:
    return check_range(p, where, "dropout probability p", 0, 1)


def dropout_forward(input, p: float = 0.5, training: bool = True, rng=None):
    """Returns ``(output, mask)``; see :func:`dropout`.

    ``mask`` is the boolean keep-mask (the input's shape, ``True`` = kept), drawn
    from ``rng`` (``None``: nnlib's default generator, see :func:`nnlib.manual_seed`);
    ``None`` when ``training=False`` (nothing is dropped).
    """
    p = _check_p(p, "dropout")
    x = as_array(input, "dropout")
    if not training:
        return x, None
    mask = get_rng(rng).random(x.shape) >= p        # True with probability 1 - p
    return x * mask * np.asarray(_scale(p), dtype=x.dtype), mask


def dropout(input, p: float = 0.5, training: bool = True, rng=None) -> np.ndarray:
    """Inverted dropout: :math:`y = m \\odot x / (1-p)` with a random keep-mask
    :math:`m_i \\sim \\mathrm{Bernoulli}(1-p)`; the identity when ``training=False``.

    Shapes: ``input`` — any; the output has its shape and dtype. ``p`` in [0, 1]
    (``ValueError`` otherwise). ``rng``: a ``np.random.Generator`` or ``None``.
    """
    return dropout_forward(input, p, training, rng)[0]


def dropout_backward(grad_output, mask, p: float = 0.5) -> np.ndarray:
    """:math:`\\partial L/\\partial x = m \\odot g / (1-p)` (zero for ``p = 1``).

    ``mask``: what :func:`dropout_forward` returned (the keep-mask, the shape of
    ``grad_output``); ``None`` (the forward was the identity) returns ``grad_output``.
    """
    p = _check_p(p, "dropout_backward")
    g = as_array(grad_output, "dropout_backward")
    if mask is None:
        return g
    check_same_shape(g, np.asarray(mask), "dropout_backward", ("grad_output", "mask"))
    return g * mask * np.asarray(_scale(p), dtype=g.dtype)
