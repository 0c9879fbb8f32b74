"""Element-wise activations and their derivatives (forward/backward pairs).

``f(input, ...)`` returns :math:`y = f(x)` element-wise (shape and dtype of the input).
``f_backward(grad_output, <saved>, ...)`` returns
:math:`\\partial L/\\partial x = \\partial L/\\partial y \\odot f'(x)` (the Jacobian of an
element-wise map is diagonal, so the vector-Jacobian product is a product of arrays).
``<saved>`` is what the derivative is cheapest to compute from, named in the signature:
the **output** for ReLU, sigmoid and tanh (:math:`\\sigma' = y(1-y)`,
:math:`\\tanh' = 1-y^2`), the **input** elsewhere. GELU and SiLU need an intermediate of
the forward pass as well; ``gelu_forward``/``silu_forward`` return it next to the output,
so the backward pass never recomputes the forward.

At the kinks the derivative follows torch: ``relu'(0) = 0``, ``leaky_relu'(0) = negative_slope``,
``prelu'(0) = weight``, ``elu'(0) = alpha``.
"""
from __future__ import annotations

import math

import numpy as np

from nnlib._checks import as_array, check_choice, check_same_shape
from nnlib.functional._special import erf, erfc, norm_cdf, norm_pdf

__all__ = ["erf", "erfc",
           "relu", "relu_backward", "sigmoid", "sigmoid_backward", "tanh", "tanh_backward",
           "leaky_relu", "leaky_relu_backward", "prelu", "prelu_backward",
           "elu", "elu_backward", "gelu", "gelu_forward", "gelu_backward",
           "silu", "silu_forward", "silu_backward", "softplus", "softplus_backward"]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_TANH_C = 0.044715


def _grad(grad_output, like: np.ndarray, where: str) -> np.ndarray:
    """``grad_output`` as an array of ``like``'s shape (a clear error otherwise)."""
    g = as_array(grad_output, where)
    check_same_shape(g, like, where, ("grad_output", "saved array"))
    return g


# --------------------------------------------------------------------------- ReLU family
def relu(input) -> np.ndarray:
    """:math:`\\mathrm{ReLU}(x) = \\max(0, x)`."""
    x = as_array(input, "relu")
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_backward(grad_output, output) -> np.ndarray:
    """:math:`g \\cdot [y > 0]` from the output :math:`y`: :math:`y > 0 \\iff x > 0`
    (so ``relu'(0) = 0``, as in torch)."""
    y = as_array(output, "relu_backward")
    g = _grad(grad_output, y, "relu_backward")
    return g * (y > 0)


def leaky_relu(input, negative_slope: float = 0.01) -> np.ndarray:
    """:math:`x` for :math:`x > 0`, else :math:`\\alpha x` (:math:`\\alpha` = ``negative_slope``)."""
    x = as_array(input, "leaky_relu")
    return np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False)


def leaky_relu_backward(grad_output, input, negative_slope: float = 0.01) -> np.ndarray:
    """:math:`g` for :math:`x > 0`, else :math:`\\alpha g` (at 0: :math:`\\alpha`, as in torch)."""
    x = as_array(input, "leaky_relu_backward")
    g = _grad(grad_output, x, "leaky_relu_backward")
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
        raise ValueError(f"{where}: weight has {w.size} entries but the input of shape "
                         f"{x.shape} has {channels} channel(s) in dim 1")
    return w.reshape((1, -1) + (1,) * (x.ndim - 2))


def prelu(input, weight) -> np.ndarray:
    """Parametric ReLU: :math:`x` for :math:`x > 0`, else :math:`a_c x`.

    ``weight`` has shape (1,) (one slope shared) or (C,) (one slope per channel, channel
    dim 1 as in torch: input (N, C, ...)).
    """
    x = as_array(input, "prelu")
    w = _prelu_weight(x, weight, "prelu")
    return np.where(x > 0, x, w * x).astype(x.dtype, copy=False)


def prelu_backward(grad_output, input, weight):
    """Returns ``(grad_input, grad_weight)``:

    * :math:`\\partial L/\\partial x = g` for :math:`x > 0`, else :math:`a_c g`;
    * :math:`\\partial L/\\partial a_c = \\sum g\\,x` over the elements of channel :math:`c`
      with :math:`x \\le 0` (over all elements for one shared slope). Shape of ``weight``.
    """
    x = as_array(input, "prelu_backward")
    g = _grad(grad_output, x, "prelu_backward")
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
    """:math:`x` for :math:`x > 0`, else :math:`\\alpha (e^x - 1)` (``expm1``: accurate near 0)."""
    x = as_array(input, "elu")
    neg = alpha * np.expm1(np.minimum(x, 0))
    return np.where(x > 0, x, neg).astype(x.dtype, copy=False)


def elu_backward(grad_output, input, output, alpha: float = 1.0) -> np.ndarray:
    """:math:`g` for :math:`x > 0`, else :math:`g\\,\\alpha e^x = g\\,(y + \\alpha)`: the
    input decides the branch, the output gives the derivative (at 0: :math:`\\alpha`)."""
    x = as_array(input, "elu_backward")
    y = as_array(output, "elu_backward")
    g = _grad(grad_output, x, "elu_backward")
    return np.where(x > 0, g, g * (y + alpha)).astype(x.dtype, copy=False)


# --------------------------------------------------------------------------- smooth ones
def sigmoid(input) -> np.ndarray:
    """:math:`\\sigma(x) = 1/(1 + e^{-x})`, without overflow for any x.

    With :math:`e = e^{-|x|} \\le 1`: :math:`\\sigma(x) = 1/(1+e)` for :math:`x \\ge 0`
    and :math:`e/(1+e)` for :math:`x < 0` (the same number, the exponent never positive).
    """
    x = as_array(input, "sigmoid")
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def sigmoid_backward(grad_output, output) -> np.ndarray:
    """:math:`\\sigma'(x) = \\sigma(x)(1 - \\sigma(x)) = y(1-y)` from the output :math:`y`
    (at most 1/4, at x = 0)."""
    y = as_array(output, "sigmoid_backward")
    g = _grad(grad_output, y, "sigmoid_backward")
    return g * y * (1.0 - y)


def tanh(input) -> np.ndarray:
    """:math:`\\tanh x = (e^x - e^{-x})/(e^x + e^{-x})`."""
    x = as_array(input, "tanh")
    return np.tanh(x)


def tanh_backward(grad_output, output) -> np.ndarray:
    """:math:`\\tanh'(x) = 1 - \\tanh^2 x = 1 - y^2` from the output :math:`y`."""
    y = as_array(output, "tanh_backward")
    g = _grad(grad_output, y, "tanh_backward")
    return g * (1.0 - y * y)


def gelu_forward(input, approximate: str = "none"):
    """GELU and the intermediate its derivative needs: returns ``(output, s)``.

    * exact: :math:`y = x\\,\\Phi(x)`, :math:`s = \\Phi(x) = \\tfrac12\\operatorname{erfc}(-x/\\sqrt2)`;
    * ``'tanh'``: :math:`y = \\tfrac12 x\\,(1 + \\tanh u) = x\\,\\sigma(2u)`,
      :math:`u = \\sqrt{2/\\pi}\\,(x + 0.044715 x^3)`, :math:`s = \\sigma(2u)`
      (:math:`1 + \\tanh u = 2\\sigma(2u)` has no cancellation for :math:`x \\ll 0`).
    """
    check_choice(approximate, ("none", "tanh"), "gelu", "approximate")
    x = as_array(input, "gelu")
    if approximate == "tanh":
        s = sigmoid(2.0 * _SQRT_2_OVER_PI * (x + _GELU_TANH_C * (x * x * x)))
    else:
        s = norm_cdf(x)
    return x * s, s


def gelu(input, approximate: str = "none") -> np.ndarray:
    """GELU: :math:`x\\,\\Phi(x)` (``approximate='tanh'``: the tanh approximation)."""
    return gelu_forward(input, approximate)[0]


def gelu_backward(grad_output, input, s, approximate: str = "none") -> np.ndarray:
    """From the input :math:`x` and the saved :math:`s` of :func:`gelu_forward`:

    * exact: :math:`\\Phi(x) + x\\,\\varphi(x)`, :math:`\\varphi(x) = e^{-x^2/2}/\\sqrt{2\\pi}`;
    * tanh: :math:`s + 2x\\,s(1-s)\\,u'(x)`, :math:`u' = \\sqrt{2/\\pi}(1 + 3\\cdot0.044715\\,x^2)`.
    """
    check_choice(approximate, ("none", "tanh"), "gelu_backward", "approximate")
    x = as_array(input, "gelu_backward")
    g = _grad(grad_output, x, "gelu_backward")
    if approximate == "tanh":
        du = _SQRT_2_OVER_PI * (1.0 + 3 * _GELU_TANH_C * (x * x))
        return g * (s + 2.0 * x * s * (1.0 - s) * du)
    d = norm_pdf(x)
    d *= x
    d += s
    d *= g
    return d


def silu_forward(input):
    """SiLU (Swish) and its intermediate: ``(x * sigmoid(x), sigmoid(x))``."""
    x = as_array(input, "silu")
    s = sigmoid(x)
    return x * s, s


def silu(input) -> np.ndarray:
    """SiLU (Swish): :math:`x\\,\\sigma(x)`."""
    return silu_forward(input)[0]


def silu_backward(grad_output, input, s) -> np.ndarray:
    """:math:`\\frac{d}{dx} x\\sigma(x) = \\sigma(x)\\,(1 + x(1 - \\sigma(x)))`, with the
    saved :math:`s = \\sigma(x)` of :func:`silu_forward`."""
    x = as_array(input, "silu_backward")
    g = _grad(grad_output, x, "silu_backward")
    return g * s * (1.0 + x * (1.0 - s))


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """:math:`\\frac1\\beta\\log(1 + e^{\\beta x})`; where :math:`\\beta x > \\text{threshold}`
    it returns :math:`x` (torch's rule). ``logaddexp`` keeps it finite for any x."""
    x = as_array(input, "softplus")
    bx = beta * x
    return np.where(bx > threshold, x, np.logaddexp(0.0, bx) / beta).astype(x.dtype, copy=False)


def softplus_backward(grad_output, input, beta: float = 1.0,
                      threshold: float = 20.0) -> np.ndarray:
    """:math:`\\sigma(\\beta x)\\, g`, and :math:`g` where :math:`\\beta x > \\text{threshold}`."""
    x = as_array(input, "softplus_backward")
    g = _grad(grad_output, x, "softplus_backward")
    bx = beta * x
    return np.where(bx > threshold, g, g * sigmoid(bx)).astype(x.dtype, copy=False)
