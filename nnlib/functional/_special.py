"""The error function and the normal distribution, which numpy lacks (GELU needs them).

One formula serves every :math:`x` (Numerical Recipes, 3rd ed., §6.2.2): for :math:`z \\ge 0`

.. math::
    \\operatorname{erfc}(z) = t\\,\\exp\\!\\big(-z^2 + P(y)\\big), \\qquad
    t = \\frac{2}{2 + z}, \\quad y = 2t - 1 \\in (-1, 1],

where :math:`P(y) = \\sum_k c_k T_k(y) - c_0/2` is a Chebyshev series of the smooth function
:math:`\\log(\\operatorname{erfc}(z)/t) + z^2` (``tests/test_special.py`` recomputes the
coefficients with mpmath). The result is accurate *relatively*, also deep in the tail where
:math:`\\operatorname{erfc}` is tiny, and :math:`\\operatorname{erfc}(-z) = 2 - \\operatorname{erfc}(z)`.

The series is cut where its coefficients fall below the input's precision: 28 terms for
float64 (relative error ~1e-16), 14 for float32 (~1e-9, below float32's 6e-8). Each term
costs three in-place array operations, which keeps GELU fast.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["erf", "erfc", "norm_cdf", "norm_pdf"]

#: Chebyshev coefficients c_0..c_27 of log(erfc(z)/t) + z^2 in y = 2t - 1, t = 2/(2+z).
_ERFC_CHEB = (
    -1.3026537197817094, 6.4196979235649026e-1, 1.9476473204185836e-2,
    -9.561514786808631e-3, -9.46595344482036e-4, 3.66839497852761e-4,
    4.2523324806907e-5, -2.0278578112534e-5, -1.624290004647e-6,
    1.303655835580e-6, 1.5626441722e-8, -8.5238095915e-8, 6.529054439e-9,
    5.059343495e-9, -9.91364156e-10, -2.27365122e-10, 9.6467911e-11,
    2.394038e-12, -6.886027e-12, 8.94487e-13, 3.13092e-13, -1.12708e-13,
    3.81e-16, 7.106e-15, -1.523e-15, -9.4e-17, 1.21e-16, -2.8e-17,
)
_TERMS = {np.dtype(np.float64): 28, np.dtype(np.float32): 14, np.dtype(np.float16): 10}
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT1_2 = 1.0 / math.sqrt(2.0)


def _erfc_nonneg(z: np.ndarray) -> np.ndarray:
    """:math:`\\operatorname{erfc}(z)` for :math:`z \\ge 0` (a new array of ``z``'s dtype)."""
    coefs = _ERFC_CHEB[:_TERMS.get(z.dtype, 28)]
    t = 2.0 / (2.0 + z)
    y2 = 4.0 * t - 2.0                       # 2y: Clenshaw's recurrence uses 2y
    d, dd, tmp = np.zeros_like(z), np.zeros_like(z), np.empty_like(z)
    for c in coefs[:0:-1]:                   # Clenshaw: d <- 2y d - dd + c_k, k = n..1
        np.multiply(y2, d, out=tmp)
        np.subtract(tmp, dd, out=dd)
        dd += c
        d, dd = dd, d
    np.multiply(y2, d, out=tmp)              # exponent: -z^2 + (c_0 + 2y d)/2 - dd
    tmp += coefs[0]
    tmp *= 0.5
    tmp -= dd
    np.multiply(z, z, out=dd)
    tmp -= dd
    np.exp(tmp, out=tmp)
    tmp *= t
    return tmp


def erfc(x) -> np.ndarray:
    """:math:`\\operatorname{erfc}(x) = 1 - \\operatorname{erf}(x)`, element-wise, relatively
    accurate everywhere (also where it is tiny, :math:`x \\gg 1`). Shape and dtype of ``x``."""
    x = np.asarray(x)
    x = x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)
    out = _erfc_nonneg(np.abs(x))
    return np.where(x < 0, 2.0 - out, out)


def erf(x) -> np.ndarray:
    """:math:`\\operatorname{erf}(x) = \\frac{2}{\\sqrt\\pi}\\int_0^x e^{-t^2}dt`, element-wise.

    ``1 - erfc(|x|)`` loses relative accuracy near 0, so there
    :math:`\\operatorname{erf}(x) = \\frac{2x}{\\sqrt\\pi}\\sum_n \\frac{(-x^2)^n}{n!(2n+1)}`
    is summed instead (|x| < 0.5: 16 terms reach 1e-17). ``erf(-x) = -erf(x)``.
    """
    x = np.asarray(x)
    x = x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)
    a = np.abs(x)
    out = 1.0 - _erfc_nonneg(a)
    small = a < 0.5
    xs = x[small]
    x2, term, total = xs * xs, xs.copy(), xs.copy()
    for n in range(1, 16):                   # term_n = x (-x^2)^n / n!
        term *= -x2 / n
        total += term / (2 * n + 1)
    out[small] = np.abs(total) * (2.0 / math.sqrt(math.pi))
    return np.copysign(out, x)


def norm_cdf(x) -> np.ndarray:
    """:math:`\\Phi(x) = P(N(0,1) \\le x) = \\tfrac12\\operatorname{erfc}(-x/\\sqrt2)`."""
    x = np.asarray(x)
    out = erfc(x * -_SQRT1_2)
    out *= 0.5
    return out


def norm_pdf(x) -> np.ndarray:
    """:math:`\\varphi(x) = e^{-x^2/2}/\\sqrt{2\\pi}`."""
    x = np.asarray(x)
    out = np.multiply(x, x, out=np.empty_like(x))
    out *= -0.5
    np.exp(out, out=out)
    out *= _INV_SQRT_2PI
    return out
