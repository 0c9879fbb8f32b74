"""Batch and layer normalisation: forward/backward pairs (torch's names, arguments).

Both normalise with a mean :math:`\\mu` and a biased variance :math:`\\sigma^2`, then
scale and shift with the learnable :math:`\\gamma` (``weight``) and :math:`\\beta`
(``bias``):

.. math::

    \\hat x = (x - \\mu)\\,r, \\qquad r = \\frac{1}{\\sqrt{\\sigma^2 + \\varepsilon}},
    \\qquad y = \\gamma \\hat x + \\beta.

They differ in the axes of the statistics. **Batch norm**: all axes but the channel
axis 1 (one :math:`\\mu, \\sigma^2` per channel, over the batch and the positions).
**Layer norm**: the last ``len(normalized_shape)`` axes (one per sample, position).

Backward. With :math:`\\hat g = \\gamma g` and :math:`M` values in each group,
differentiating through :math:`\\mu` and :math:`\\sigma^2` as well gives

.. math::

    \\frac{\\partial L}{\\partial x} = \\frac{r}{M}\\Bigl(M \\hat g - \\sum \\hat g
    - \\hat x \\sum \\hat g \\hat x\\Bigr), \\qquad
    \\frac{\\partial L}{\\partial \\gamma} = \\sum g \\hat x, \\qquad
    \\frac{\\partial L}{\\partial \\beta} = \\sum g,

the sums in the first formula over each group, those of :math:`\\gamma, \\beta` over
everything else. Batch norm at evaluation uses fixed running statistics: then
:math:`\\mu, \\sigma^2` do not depend on :math:`x` and
:math:`\\partial L/\\partial x = \\hat g\\,r`.

``f_forward`` returns ``(output, saved)``: ``saved`` holds :math:`\\hat x` and
:math:`r`, all that ``f_backward(grad_output, saved, weight)`` needs (it never
recomputes the forward).
"""
from __future__ import annotations

import numpy as np

from nnlib._checks import (as_array, check_range, check_same_shape,
                           check_trailing_shape)

__all__ = ["batch_norm", "batch_norm_forward", "batch_norm_backward",
           "layer_norm", "layer_norm_forward", "layer_norm_backward"]


# ------------------------------------------------------------------------ batch norm
def _channel_vector(value, channels: int, where: str, name: str, running=False):
    """``value`` (``None`` or an array of shape (channels,)) checked, as an array.

    Running statistics must be numpy arrays already: they are updated in place.
    """
    if value is None:
        return None
    if running and not isinstance(value, np.ndarray):
        raise TypeError(f"{where}: {name} must be a numpy array (it is updated in "
                        f"place) or None, got {type(value).__name__}")
    value = as_array(value, where)
    if value.shape != (channels,):
        raise ValueError(f"{where}: expected {name} of shape ({channels},) for an "
                         f"input with {channels} channels in dim 1, "
                         f"got {tuple(value.shape)}")
    return value


def _batch_axes(ndim: int):
    """For an (N, C, *) input: the axes of the statistics, (0, 2, 3, ...), and the
    shape that makes a per-channel (C,) array broadcast against it, (1, C, 1, ...)."""
    return (0,) + tuple(range(2, ndim)), (1, -1) + (1,) * (ndim - 2)


def batch_norm_forward(input, running_mean, running_var, weight=None, bias=None,
                       training: bool = False, momentum: float = 0.1,
                       eps: float = 1e-5):
    """Returns ``(output, saved)``; see :func:`batch_norm`.

    ``saved = (x_hat, invstd, batch_stats)``: the normalised input :math:`\\hat x`
    (the input's shape), :math:`r = 1/\\sqrt{\\sigma^2+\\varepsilon}` of shape
    (1, C, 1, ...) and whether the batch statistics were used (``training``).
    """
    where = "batch_norm"
    x = as_array(input, where)
    if x.ndim < 2:
        raise ValueError(f"{where}: expected an input of shape (N, C, *) with at "
                         f"least 2 dims, got shape {tuple(x.shape)}")
    channels = x.shape[1]
    running_mean = _channel_vector(running_mean, channels, where, "running_mean", True)
    running_var = _channel_vector(running_var, channels, where, "running_var", True)
    weight = _channel_vector(weight, channels, where, "weight")
    bias = _channel_vector(bias, channels, where, "bias")
    axes, shape = _batch_axes(x.ndim)
    if training:
        n = x.size // max(channels, 1)                    # values per channel
        if n <= 1:
            raise ValueError(f"{where}: expected more than 1 value per channel when "
                             f"training, got input of shape {tuple(x.shape)}")
        if momentum is None:
            raise ValueError(f"{where}: momentum must be a number; for a cumulative "
                             f"average pass 1 / num_batches_tracked (BatchNorm does)")
        m = check_range(momentum, where, "momentum")
        mean, var = x.mean(axis=axes), x.var(axis=axes)        # biased variance
        if running_mean is not None:
            running_mean[...] = (1 - m) * running_mean + m * mean
        if running_var is not None:                            # unbiased variance
            running_var[...] = (1 - m) * running_var + m * var * n / (n - 1)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(f"{where}: running_mean and running_var are required "
                             f"when training=False")
        mean = running_mean.astype(x.dtype, copy=False)
        var = running_var.astype(x.dtype, copy=False)
    invstd = (1 / np.sqrt(var + eps)).reshape(shape)
    x_hat = (x - mean.reshape(shape)) * invstd
    output = x_hat
    if weight is not None:
        output = output * weight.reshape(shape)
    if bias is not None:
        output = output + bias.reshape(shape)
    return output, (x_hat, invstd, bool(training))


def batch_norm(input, running_mean, running_var, weight=None, bias=None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5):
    """Batch normalisation (torch's ``F.batch_norm``), per channel :math:`c`:
    :math:`y = \\gamma_c\\,(x - \\mu_c)/\\sqrt{\\sigma_c^2+\\varepsilon} + \\beta_c`.

    Shapes: ``input`` (N, C) or (N, C, L) or (N, C, H, W) (any ``(N, C, *)``);
    ``running_mean``, ``running_var``, ``weight`` (:math:`\\gamma`), ``bias``
    (:math:`\\beta`): (C,) or ``None``. Output: the input's shape.

    * ``training=True``: :math:`\\mu, \\sigma^2` are the batch mean and the biased
      batch variance over the :math:`n` = N·L (N·H·W) values of each channel; the
      running statistics (when not ``None``) are updated **in place**,
      :math:`\\text{running} \\leftarrow (1-m)\\,\\text{running} + m\\,\\text{batch}`,
      with the *unbiased* variance :math:`\\sigma^2 n/(n-1)` for ``running_var``.
      ``momentum`` :math:`m` must be a number: for torch's ``momentum=None``
      (a cumulative average) the caller passes
      :math:`1/\\text{num\\_batches\\_tracked}`.
    * ``training=False``: :math:`\\mu, \\sigma^2` are ``running_mean``, ``running_var``.
    """
    return batch_norm_forward(input, running_mean, running_var, weight, bias,
                              training, momentum, eps)[0]


def batch_norm_backward(grad_output, saved, weight=None):
    """Returns ``(grad_input, grad_weight, grad_bias)``.

    ``saved``: the second value of :func:`batch_norm_forward`; ``weight``:
    :math:`\\gamma` (C,) or ``None`` (taken as 1). With :math:`\\hat g = \\gamma g` and
    sums over the :math:`n` values of each channel (axes 0, 2, 3, ...):

    * training: :math:`\\partial L/\\partial x = \\frac{r}{n}(n\\hat g - \\sum\\hat g
      - \\hat x \\sum \\hat g\\hat x)`; evaluation: :math:`\\hat g\\, r`;
    * :math:`\\partial L/\\partial\\gamma = \\sum g\\hat x`,
      :math:`\\partial L/\\partial\\beta = \\sum g`, shape (C,) (returned whether or
      not the layer has these parameters).

    As :math:`\\gamma` is constant over a channel,
    :math:`\\sum \\hat g = \\gamma \\sum g` and
    :math:`\\sum \\hat g \\hat x = \\gamma \\sum g \\hat x`: the parameter
    gradients give the sums of the input gradient.
    """
    x_hat, invstd, batch_stats = saved
    g = as_array(grad_output, "batch_norm_backward")
    check_same_shape(g, x_hat, "batch_norm_backward", ("grad_output", "saved x_hat"))
    axes, shape = _batch_axes(g.ndim)
    grad_weight = np.sum(g * x_hat, axis=axes)
    grad_bias = np.sum(g, axis=axes)
    gamma = np.ones(1, g.dtype) if weight is None else np.reshape(weight, shape)
    g_hat = g * gamma
    if not batch_stats:
        return g_hat * invstd, grad_weight, grad_bias
    n = g.size // max(g.shape[1], 1)
    sum_g_hat = gamma * grad_bias.reshape(shape)
    sum_g_hat_x_hat = gamma * grad_weight.reshape(shape)
    grad_input = invstd / n * (n * g_hat - sum_g_hat - x_hat * sum_g_hat_x_hat)
    return grad_input, grad_weight, grad_bias


# ------------------------------------------------------------------------ layer norm
def _normalized_shape(normalized_shape, where: str) -> tuple:
    """``normalized_shape`` as a tuple of ints (an int ``d`` means ``(d,)``)."""
    if isinstance(normalized_shape, (int, np.integer)):
        normalized_shape = (normalized_shape,)
    shape = tuple(int(d) for d in normalized_shape)
    if not shape or any(d <= 0 for d in shape):
        raise ValueError(f"{where}: normalized_shape must be a positive int or a "
                         f"non-empty tuple of positive ints, got {normalized_shape!r}")
    return shape


def layer_norm_forward(input, normalized_shape, weight=None, bias=None,
                       eps: float = 1e-5):
    """Returns ``(output, saved)``; see :func:`layer_norm`.

    ``saved = (x_hat, invstd, axes)``: the normalised input :math:`\\hat x` (the
    input's shape), :math:`r = 1/\\sqrt{\\sigma^2+\\varepsilon}` (the input's shape
    with the normalised axes of length 1) and those axes (the last
    ``len(normalized_shape)``).
    """
    where = "layer_norm"
    x = as_array(input, where)
    shape = _normalized_shape(normalized_shape, where)
    check_trailing_shape(x, shape, where, "normalized_shape")
    for name, value in (("weight", weight), ("bias", bias)):
        if value is not None and np.shape(value) != shape:
            raise ValueError(f"{where}: expected {name} of shape normalized_shape="
                             f"{shape}, got {tuple(np.shape(value))}")
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)                  # biased variance
    invstd = 1 / np.sqrt(var + eps)
    x_hat = (x - mean) * invstd
    output = x_hat
    if weight is not None:
        output = output * weight
    if bias is not None:
        output = output + bias
    return output, (x_hat, invstd, axes)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    """Layer normalisation (torch's ``F.layer_norm``):
    :math:`y = \\gamma\\,(x - \\mu)/\\sqrt{\\sigma^2+\\varepsilon} + \\beta`, with
    :math:`\\mu` and the biased :math:`\\sigma^2` over the last
    ``len(normalized_shape)`` axes: the :math:`M = \\prod` ``normalized_shape``
    values of each leading index.

    Shapes: ``input`` ``(*, *normalized_shape)``, e.g. (N, L, D) with
    ``normalized_shape=(D,)``; ``weight`` (:math:`\\gamma`) and ``bias``
    (:math:`\\beta`): ``normalized_shape`` or ``None``. Output: the input's shape.
    """
    return layer_norm_forward(input, normalized_shape, weight, bias, eps)[0]


def layer_norm_backward(grad_output, saved, weight=None):
    """Returns ``(grad_input, grad_weight, grad_bias)``.

    ``saved``: the second value of :func:`layer_norm_forward`; ``weight``:
    :math:`\\gamma` (``normalized_shape``) or ``None`` (taken as 1). With
    :math:`\\hat g = \\gamma g` and sums over the :math:`M` normalised values of
    each sample:

    * :math:`\\partial L/\\partial x = \\frac{r}{M}(M\\hat g - \\sum\\hat g
      - \\hat x \\sum \\hat g\\hat x)`;
    * :math:`\\partial L/\\partial\\gamma = \\sum g\\hat x`,
      :math:`\\partial L/\\partial\\beta = \\sum g`, summed over the leading axes,
      shape ``normalized_shape`` (returned whether or not the layer has them).
    """
    x_hat, invstd, axes = saved
    g = as_array(grad_output, "layer_norm_backward")
    check_same_shape(g, x_hat, "layer_norm_backward", ("grad_output", "saved x_hat"))
    leading = tuple(range(g.ndim - len(axes)))
    grad_weight = np.sum(g * x_hat, axis=leading)
    grad_bias = np.sum(g, axis=leading)
    g_hat = g if weight is None else g * weight
    m = int(np.prod([g.shape[a] for a in axes]))
    sum_g_hat = g_hat.sum(axis=axes, keepdims=True)
    sum_g_hat_x_hat = (g_hat * x_hat).sum(axis=axes, keepdims=True)
    grad_input = invstd / m * (m * g_hat - sum_g_hat - x_hat * sum_g_hat_x_hat)
    return grad_input, grad_weight, grad_bias
