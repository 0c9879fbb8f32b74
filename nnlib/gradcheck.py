"""Finite-difference gradients: the independent check of every ``backward`` in nnlib.

Central difference for one coordinate :math:`x_i` (:math:`e_i` is the i-th unit vector):

.. math::

    \\frac{\\partial f}{\\partial x_i} \\approx \\frac{f(x + \\varepsilon e_i) - f(x - \\varepsilon e_i)}{2\\varepsilon}.

**Why** :math:`O(\\varepsilon^2)`: by Taylor,
:math:`f(x \\pm \\varepsilon e_i) = f \\pm \\varepsilon f' + \\tfrac{\\varepsilon^2}{2} f'' \\pm \\tfrac{\\varepsilon^3}{6} f''' + O(\\varepsilon^4)`.
In the difference the even terms (:math:`f`, :math:`f''`) cancel, so the quotient equals
:math:`f' + \\tfrac{\\varepsilon^2}{6} f''' + O(\\varepsilon^4)`. The one-sided quotient
:math:`(f(x+\\varepsilon e_i) - f(x))/\\varepsilon = f' + \\tfrac{\\varepsilon}{2} f'' + \\dots` keeps the
:math:`f''` term and is only :math:`O(\\varepsilon)`. Rounding adds about
:math:`\\epsilon_{\\text{mach}} |f| / \\varepsilon`; with float64 (:math:`\\epsilon_{\\text{mach}} \\approx 2\\cdot10^{-16}`)
the total :math:`\\varepsilon^2 + 10^{-16}/\\varepsilon` is smallest near :math:`\\varepsilon \\approx 10^{-5}`,
and :math:`\\varepsilon = 10^{-6}` gives errors around :math:`10^{-10}`. Use float64 only.

**Cost:** two evaluations of ``f`` per coordinate, i.e. :math:`2P` forward passes for :math:`P`
parameters — the reason networks are trained with backpropagation (about one backward pass for all
:math:`P`) and finite differences serve only as a test.
"""
from __future__ import annotations

import numpy as np

from nnlib._checks import as_array
from nnlib.modes import no_grad
from nnlib.random import get_rng

__all__ = ["numerical_grad", "rel_error", "check_module", "check_function"]


def numerical_grad(f, x, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function ``f`` at ``x``.

    ``f`` takes an array of ``x``'s shape and returns a number. Returns an array of that shape:
    :math:`g_i = (f(x + \\varepsilon e_i) - f(x - \\varepsilon e_i)) / (2\\varepsilon)`.
    Works on a float64 copy: the caller's ``x`` is never modified.
    """
    x = np.array(as_array(x, "numerical_grad"), dtype=np.float64, copy=True)
    if eps <= 0:
        raise ValueError(f"numerical_grad: eps must be positive, got {eps!r}")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = float(f(x))
        flat[i] = old - eps
        f_minus = float(f(x))
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def rel_error(a, b) -> float:
    """Relative error of ``a`` against ``b``, scaled by the largest magnitude:

    :math:`\\dfrac{\\max_i |a_i - b_i|}{\\max(\\max_i |a_i|,\\ \\max_i |b_i|)}`, and 0 when both are all zero.

    Scaling by the largest entry (not entry by entry) keeps the measure meaningful where a
    gradient is exactly 0 and finite differences return ~1e-11 noise. Shapes must match.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"rel_error: shapes differ: {a.shape} and {b.shape}")
    if a.size == 0:
        return 0.0
    scale = max(np.max(np.abs(a)), np.max(np.abs(b)))
    if scale == 0:
        return 0.0
    return float(np.max(np.abs(a - b)) / scale)


def check_module(module, input, eps: float = 1e-6, rng=None) -> dict:
    """Compare ``module.backward`` with finite differences; returns ``{name: rel_error}``.

    The test loss is :math:`L = \\sum_k y_k R_k` with :math:`y` = ``module(input)`` and a fixed
    random :math:`R` (so :math:`\\partial L/\\partial y = R`: one backward call checks the whole
    Jacobian in a random direction). Keys: ``'input'`` and every name of
    ``module.named_parameters()`` (``'0.weight'``, ...). The parameters' existing ``.grad`` are
    restored afterwards and their values are unchanged. The finite-difference evaluations
    run under :func:`nnlib.no_grad` (they save nothing). Use float64 and a deterministic
    module (no Dropout in training mode).
    """
    x = np.array(as_array(input, "check_module"), dtype=np.float64, copy=True)
    rng = get_rng(rng)
    params = list(module.named_parameters())
    saved_grads = [p.grad for _, p in params]

    out = np.asarray(module(x))
    R = rng.standard_normal(out.shape)
    for _, p in params:
        p.grad = None
    grad_x = np.asarray(module.backward(R))
    analytic = {"input": grad_x}
    for name, p in params:
        analytic[name] = np.zeros_like(p.data) if p.grad is None else p.grad.copy()

    @no_grad()
    def loss_of_input(z):
        return float(np.sum(np.asarray(module(z)) * R))

    errors = {"input": rel_error(grad_x, numerical_grad(loss_of_input, x, eps))}
    for (name, p), old_grad in zip(params, saved_grads):
        original = p.data.copy()

        @no_grad()
        def loss_of_param(w, p=p):
            p.data = w
            return float(np.sum(np.asarray(module(x)) * R))

        num = numerical_grad(loss_of_param, original, eps)
        p.data = original
        errors[name] = rel_error(analytic[name], num)
        p.grad = old_grad
    return errors


def check_function(f, f_backward, *args, eps: float = 1e-6, rng=None, **kwargs) -> list:
    """Compare a functional pair ``f(*args, **kwargs)`` / ``f_backward(R, *args, **kwargs)``.

    Where the backward takes the output or a saved intermediate, pass a closure, e.g.
    ``check_function(F.sigmoid, lambda g, x: F.sigmoid_backward(g, F.sigmoid(x)), x)``.
    ``f_backward`` returns the gradient w.r.t. ``args[0]`` or a tuple whose k-th entry is the
    gradient w.r.t. ``args[k]`` (``None`` entries are skipped). Returns the list of relative
    errors against finite differences of :math:`L = \\sum f(\\dots) \\odot R`, in that order.
    """
    rng = get_rng(rng)
    args = [np.array(a, dtype=np.float64, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    out = np.asarray(f(*args, **kwargs))
    R = rng.standard_normal(out.shape)
    grads = f_backward(R, *args, **kwargs)
    if not isinstance(grads, tuple):
        grads = (grads,)
    errors = []
    for k, g in enumerate(grads):
        if g is None:
            continue

        def loss(z, k=k):
            new_args = list(args)
            new_args[k] = z
            return float(np.sum(np.asarray(f(*new_args, **kwargs)) * R))

        errors.append(rel_error(g, numerical_grad(loss, args[k], eps)))
    return errors
