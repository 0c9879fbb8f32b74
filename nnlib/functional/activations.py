"""Element-wise activations and their derivatives (forward/backward pairs).

Each ``f(input, ...)`` returns :math:`y = f(x)` element-wise; ``f_backward(grad_output, input, ...)``
returns :math:`\\partial L/\\partial x = \\partial L/\\partial y \\odot f'(x)` (chain rule for an
element-wise map: the Jacobian is diagonal, so the vector-Jacobian product is a product of arrays).
Shapes: any; the output has the input's shape and dtype.

At the kinks the derivative follows torch: ``relu'(0) = 0``, ``leaky_relu'(0) = negative_slope``,
``prelu'(0) = weight``, ``elu'(0) = alpha``.

``erf``/``erfc`` are implemented here because numpy has none (and nnlib does not depend on scipy):
a positive-term series near 0 and a continued fraction for the tail, accurate to about
:math:`4\\cdot10^{-15}` relative error (tested against ``math.erf``/``math.erfc``).
"""
from __future__ import annotations

import math

import numpy as np

from nnlib._checks import as_array, check_choice, check_same_shape

__all__ = ["erf", "erfc",
           "relu", "relu_backward", "sigmoid", "sigmoid_backward", "tanh", "tanh_backward",
           "leaky_relu", "leaky_relu_backward", "prelu", "prelu_backward",
           "elu", "elu_backward", "gelu", "gelu_backward", "silu", "silu_backward",
           "softplus", "softplus_backward"]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)
_SQRT1_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_C = 0.044715
_ERF_SWITCH = 2.5      # erf: series below, 1 - continued fraction above
_ERFC_SWITCH = 1.5     # erfc: 1 - series below, continued fraction above
_SERIES_TERMS = 48
_CF_TERMS = 100


# --------------------------------------------------------------------------- erf
def _erf_series(x: np.ndarray) -> np.ndarray:
    """:math:`\\operatorname{erf}(x) = \\frac{2}{\\sqrt\\pi} x e^{-x^2} \\sum_{k\\ge0} \\frac{(2x^2)^k}{(2k+1)!!}`.

    All terms are positive (no cancellation), so the sum is accurate to a few ulp for |x| <= 2.5.
    """
    x2 = x * x
    term = np.ones_like(x)
    total = np.ones_like(x)
    for k in range(1, _SERIES_TERMS):
        term = term * (2.0 * x2) / (2 * k + 1)
        total = total + term
    return _TWO_OVER_SQRT_PI * x * np.exp(-x2) * total


def _erfc_cf(x: np.ndarray) -> np.ndarray:
    """Continued fraction for x > 0:
    :math:`\\operatorname{erfc}(x) = \\frac{e^{-x^2}}{\\sqrt\\pi}\\,\\cfrac{1}{x + \\cfrac{1/2}{x + \\cfrac{1}{x + \\cfrac{3/2}{x + \\dots}}}}`,
    evaluated bottom-up with a fixed depth (100 levels: ~4e-15 relative error for x >= 1.5)."""
    with np.errstate(invalid="ignore"):
        f = np.zeros_like(x)
        for k in range(_CF_TERMS, 0, -1):
            f = (0.5 * k) / (x + f)
        out = np.exp(-x * x) * _INV_SQRT_PI / (x + f)
    return np.where(np.isposinf(x), 0.0, out).astype(x.dtype, copy=False)


def erf(x) -> np.ndarray:
    """The error function :math:`\\operatorname{erf}(x) = \\frac{2}{\\sqrt\\pi}\\int_0^x e^{-t^2}\\,dt`, element-wise.

    Relative error below ~2e-15 against ``math.erf`` (tested); ``erf(-x) = -erf(x)``.
    """
    x = as_array(x, "erf")
    a = np.abs(x)
    out = np.empty_like(x)
    small = a <= _ERF_SWITCH
    out[small] = _erf_series(a[small])
    out[~small] = 1.0 - _erfc_cf(a[~small])
    out[np.isnan(x)] = np.nan
    return np.copysign(out, x)


def erfc(x) -> np.ndarray:
    """:math:`\\operatorname{erfc}(x) = 1 - \\operatorname{erf}(x)`, accurate also where it is tiny (x >> 1)."""
    x = as_array(x, "erfc")
    out = np.empty_like(x)
    tail = x > _ERFC_SWITCH
    out[tail] = _erfc_cf(x[tail])
    out[~tail] = 1.0 - erf(x[~tail])
    return out


def _norm_cdf(x: np.ndarray) -> np.ndarray:
    """:math:`\\Phi(x) = \\tfrac12\\operatorname{erfc}(-x/\\sqrt2)` (no cancellation for x << 0)."""
    return 0.5 * erfc(-x * _SQRT1_2)


def _grad_check(grad_output, x, where):
    g = as_array(grad_output, where)
    check_same_shape(g, x, where, ("grad_output", "input"))
    return g


# --------------------------------------------------------------------------- ReLU family
def relu(input) -> np.ndarray:
    """:math:`\\mathrm{ReLU}(x) = \\max(0, x)`."""
    x = as_array(input, "relu")
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_backward(grad_output, input) -> np.ndarray:
    """:math:`\\partial L/\\partial x = g \\cdot [x > 0]` (so ``relu'(0) = 0`` as in torch)."""
    x = as_array(input, "relu_backward")
    g = _grad_check(grad_output, x, "relu_backward")
    return np.where(x > 0, g, 0).astype(x.dtype, copy=False)


def leaky_relu(input, negative_slope: float = 0.01) -> np.ndarray:
    """:math:`x` for :math:`x > 0`, else :math:`\\alpha x` (:math:`\\alpha` = ``negative_slope``)."""
    x = as_array(input, "leaky_relu")
    return np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False)


def leaky_relu_backward(grad_output, input, negative_slope: float = 0.01) -> np.ndarray:
    """:math:`g` for :math:`x > 0`, else :math:`\\alpha g` (at 0: :math:`\\alpha`, as in torch)."""
    x = as_array(input, "leaky_relu_backward")
    g = _grad_check(grad_output, x, "leaky_relu_backward")
    return np.where(x > 0, g, negative_slope * g).astype(x.dtype, copy=False)


def _prelu_weight(x: np.ndarray, weight, where: str) -> np.ndarray:
    """Reshape ``weight`` (1 or C values) so that it broadcasts along the channel dim 1."""
    w = as_array(weight, where)
    if w.ndim != 1:
        raise ValueError(f"{where}: weight must be 1-D with 1 or C entries, got shape {w.shape}")
    if w.size == 1:
        return w.reshape(())
    channels = x.shape[1] if x.ndim >= 2 else 1
    if w.size != channels:
        raise ValueError(f"{where}: weight has {w.size} entries but the input of shape {x.shape} "
                         f"has {channels} channel(s) in dim 1")
    return w.reshape((1, -1) + (1,) * (x.ndim - 2))


def prelu(input, weight) -> np.ndarray:
    """Parametric ReLU: :math:`x` for :math:`x > 0`, else :math:`a_c x`.

    ``weight`` has shape (1,) (one slope shared) or (C,) (one slope per channel, channel dim 1
    as in torch: input (N, C, ...)).
    """
    x = as_array(input, "prelu")
    w = _prelu_weight(x, weight, "prelu")
    return np.where(x > 0, x, w * x).astype(x.dtype, copy=False)


def prelu_backward(grad_output, input, weight):
    """Returns ``(grad_input, grad_weight)``:

    * :math:`\\partial L/\\partial x = g` for :math:`x > 0`, else :math:`a_c g`;
    * :math:`\\partial L/\\partial a_c = \\sum g\\,x` over the elements of channel :math:`c`
      with :math:`x \\le 0` (over all elements when there is one shared slope). Shape of ``weight``.
    """
    x = as_array(input, "prelu_backward")
    g = _grad_check(grad_output, x, "prelu_backward")
    w_arr = as_array(weight, "prelu_backward")
    w = _prelu_weight(x, w_arr, "prelu_backward")
    grad_input = np.where(x > 0, g, w * g).astype(x.dtype, copy=False)
    contrib = np.where(x > 0, 0, g * x)
    if w_arr.size == 1:
        grad_weight = np.array([contrib.sum()], dtype=w_arr.dtype)
    else:
        axes = (0,) + tuple(range(2, x.ndim))
        grad_weight = contrib.sum(axis=axes).astype(w_arr.dtype, copy=False)
    return grad_input, grad_weight


def elu(input, alpha: float = 1.0) -> np.ndarray:
    """:math:`x` for :math:`x > 0`, else :math:`\\alpha (e^x - 1)` (``expm1`` for accuracy near 0)."""
    x = as_array(input, "elu")
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)


def elu_backward(grad_output, input, alpha: float = 1.0) -> np.ndarray:
    """:math:`g` for :math:`x > 0`, else :math:`\\alpha e^x g` (at 0: :math:`\\alpha`, as in torch)."""
    x = as_array(input, "elu_backward")
    g = _grad_check(grad_output, x, "elu_backward")
    return np.where(x > 0, g, alpha * np.exp(np.minimum(x, 0)) * g).astype(x.dtype, copy=False)


# --------------------------------------------------------------------------- smooth ones
def sigmoid(input) -> np.ndarray:
    """:math:`\\sigma(x) = 1/(1 + e^{-x})`, computed without overflow for any x.

    For :math:`x \\ge 0` it uses :math:`1/(1+e^{-x})`, for :math:`x < 0` the equal form
    :math:`e^{x}/(1+e^{x})`: the exponent is never positive.
    """
    x = as_array(input, "sigmoid")
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


def sigmoid_backward(grad_output, input) -> np.ndarray:
    """:math:`\\sigma'(x) = \\sigma(x)(1 - \\sigma(x)) = \\sigma(x)\\sigma(-x)` (at most 1/4, at x = 0).

    The form :math:`\\sigma(x)\\sigma(-x)` avoids the cancellation in :math:`1 - \\sigma(x)` for large x.
    """
    x = as_array(input, "sigmoid_backward")
    g = _grad_check(grad_output, x, "sigmoid_backward")
    return g * sigmoid(x) * sigmoid(-x)


def tanh(input) -> np.ndarray:
    """:math:`\\tanh x = (e^x - e^{-x})/(e^x + e^{-x})`."""
    x = as_array(input, "tanh")
    return np.tanh(x)


def tanh_backward(grad_output, input) -> np.ndarray:
    """:math:`\\tanh'(x) = 1 - \\tanh^2 x = 4e^{-2|x|}/(1 + e^{-2|x|})^2`.

    The second form equals :math:`1/\\cosh^2 x` without the cancellation of :math:`1 - \\tanh^2 x`
    for large :math:`|x|` and without overflow.
    """
    x = as_array(input, "tanh_backward")
    g = _grad_check(grad_output, x, "tanh_backward")
    e = np.exp(-2.0 * np.abs(x))
    return g * (4.0 * e / ((1.0 + e) * (1.0 + e)))


def gelu(input, approximate: str = "none") -> np.ndarray:
    """GELU: :math:`x\\,\\Phi(x)`, :math:`\\Phi(x) = \\tfrac12\\big(1 + \\operatorname{erf}(x/\\sqrt2)\\big)`.

    ``approximate='tanh'``: :math:`\\tfrac12 x\\big(1 + \\tanh(\\sqrt{2/\\pi}\\,(x + 0.044715 x^3))\\big)`.
    """
    check_choice(approximate, ("none", "tanh"), "gelu", "approximate")
    x = as_array(input, "gelu")
    if approximate == "tanh":     # 1 + tanh(u) = 2 sigmoid(2u): no cancellation for x << 0
        return x * sigmoid(2.0 * _SQRT_2_OVER_PI * (x + _GELU_TANH_C * x ** 3))
    return x * _norm_cdf(x)


def gelu_backward(grad_output, input, approximate: str = "none") -> np.ndarray:
    """Exact: :math:`\\Phi(x) + x\\varphi(x)`, :math:`\\varphi(x) = e^{-x^2/2}/\\sqrt{2\\pi}`.

    Tanh form, with :math:`u = \\sqrt{2/\\pi}(x + 0.044715x^3)`, :math:`t = \\tanh u`:
    :math:`\\tfrac12(1+t) + \\tfrac12 x (1-t^2)\\sqrt{2/\\pi}\\,(1 + 3\\cdot0.044715\\,x^2)`,
    evaluated as :math:`s + 2x\\,s(1-s)\\,u'` with :math:`s = \\sigma(2u)` (the same number, no cancellation).
    """
    check_choice(approximate, ("none", "tanh"), "gelu_backward", "approximate")
    x = as_array(input, "gelu_backward")
    g = _grad_check(grad_output, x, "gelu_backward")
    if approximate == "tanh":
        u = _SQRT_2_OVER_PI * (x + _GELU_TANH_C * x ** 3)
        du = _SQRT_2_OVER_PI * (1.0 + 3 * _GELU_TANH_C * x * x)
        s, s_neg = sigmoid(2.0 * u), sigmoid(-2.0 * u)
        return g * (s + 2.0 * x * s * s_neg * du)
    return g * (_norm_cdf(x) + x * _INV_SQRT_2PI * np.exp(-0.5 * x * x))


def silu(input) -> np.ndarray:
    """SiLU (Swish): :math:`x\\,\\sigma(x)`."""
    x = as_array(input, "silu")
    return x * sigmoid(x)


def silu_backward(grad_output, input) -> np.ndarray:
    """:math:`\\frac{d}{dx} x\\sigma(x) = \\sigma(x)\\,(1 + x(1 - \\sigma(x)))`."""
    x = as_array(input, "silu_backward")
    g = _grad_check(grad_output, x, "silu_backward")
    return g * sigmoid(x) * (1.0 + x * sigmoid(-x))   # 1 - sigma(x) = sigma(-x)


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """:math:`\\frac1\\beta\\log(1 + e^{\\beta x})`; where :math:`\\beta x > \\text{threshold}` it returns
    :math:`x` (torch's rule). ``logaddexp`` keeps it finite for any x."""
    x = as_array(input, "softplus")
    bx = beta * x
    return np.where(bx > threshold, x, np.logaddexp(0.0, bx) / beta).astype(x.dtype, copy=False)


def softplus_backward(grad_output, input, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """:math:`\\sigma(\\beta x)\\, g`, and :math:`g` where :math:`\\beta x > \\text{threshold}`."""
    x = as_array(input, "softplus_backward")
    g = _grad_check(grad_output, x, "softplus_backward")
    bx = beta * x
    return np.where(bx > threshold, g, g * sigmoid(bx)).astype(x.dtype, copy=False)
