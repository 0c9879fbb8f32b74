"""Small generated data sets (no downloads): every chapter's data comes from here.

Each generator takes ``rng=None`` (``None`` = the library's default generator, see
:func:`nnlib.manual_seed`) and returns float64 arrays ``X`` of shape (n, d) and
targets ``y`` of shape (n,) unless stated otherwise.
"""
from __future__ import annotations

import numpy as np

from nnlib._checks import check_positive_int, check_range
from nnlib.random import get_rng

__all__ = ["linear_regression", "xor", "spirals", "sine", "blobs"]


def linear_regression(n: int = 100, weight=(2.0,), bias: float = 1.0,
                      noise: float = 0.1, outliers: int = 0,
                      outlier_scale: float = 10.0, x_range=(-1.0, 1.0), rng=None):
    """:math:`y = x w + b + \\varepsilon`,
    :math:`\\varepsilon \\sim N(0, \\text{noise}^2)`.

    ``X`` (n, d) is uniform on ``x_range``, with ``d = len(weight)``. ``outliers``
    targets (chosen at random) get an extra shift of ``+outlier_scale`` — the data for
    comparing MSE, MAE and Huber. Returns ``X, y``.
    """
    n = check_positive_int(n, "linear_regression", "n")
    if not 0 <= outliers <= n:
        raise ValueError(f"linear_regression: outliers must be in [0, {n}], "
                         f"got {outliers}")
    rng = get_rng(rng)
    w = np.asarray(weight, dtype=np.float64).reshape(-1)
    X = rng.uniform(*x_range, size=(n, w.size))
    y = X @ w + bias + noise * rng.normal(size=n)
    if outliers:
        idx = rng.choice(n, size=outliers, replace=False)
        y[idx] += outlier_scale
    return X, y


def xor(n: int = 200, noise: float = 0.1, rng=None):
    """Four Gaussian clusters at the corners of the square: class = XOR of the signs.

    ``X`` (n, 2); ``y`` (n,) in {0, 1}: ``y = 1`` where exactly one coordinate is
    positive.
    """
    n = check_positive_int(n, "xor", "n")
    rng = get_rng(rng)
    corners = rng.integers(0, 2, size=(n, 2))
    X = (2.0 * corners - 1.0) + noise * rng.normal(size=(n, 2))
    y = (corners[:, 0] ^ corners[:, 1]).astype(np.float64)
    return X, y


def spirals(n_per_class: int = 100, n_classes: int = 3, noise: float = 0.2, rng=None):
    """``n_classes`` interleaved spiral arms (CS231n's toy problem).

    ``X`` (n_per_class*n_classes, 2); ``y`` integer class labels (int64).
    """
    n_per_class = check_positive_int(n_per_class, "spirals", "n_per_class")
    n_classes = check_positive_int(n_classes, "spirals", "n_classes")
    rng = get_rng(rng)
    X, y = [], []
    for k in range(n_classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        t = (np.linspace(k * 4.0, (k + 1) * 4.0, n_per_class)
             + noise * rng.normal(size=n_per_class))
        X.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
        y.append(np.full(n_per_class, k))
    return np.concatenate(X), np.concatenate(y).astype(np.int64)


def sine(n: int = 100, x_range=(-np.pi, np.pi), noise: float = 0.0, rng=None):
    """:math:`y = \\sin x + \\varepsilon` on a uniform grid:
    ``X`` (n, 1), ``y`` (n,)."""
    n = check_positive_int(n, "sine", "n")
    check_range(noise, "sine", "noise", low=0)
    rng = get_rng(rng)
    X = np.linspace(*x_range, n).reshape(-1, 1)
    y = np.sin(X[:, 0]) + noise * rng.normal(size=n)
    return X, y


def blobs(n_per_class: int = 50, centers=((-1.0, 0.0), (1.0, 0.0)), std: float = 0.5,
          rng=None):
    """Gaussian clusters around ``centers`` (k, d):
    ``X`` (k*n_per_class, d), ``y`` int64 labels."""
    n_per_class = check_positive_int(n_per_class, "blobs", "n_per_class")
    rng = get_rng(rng)
    c = np.asarray(centers, dtype=np.float64)
    if c.ndim != 2:
        raise ValueError(f"blobs: centers must have shape (k, d), got {c.shape}")
    d = c.shape[1]
    X = np.concatenate([ci + std * rng.normal(size=(n_per_class, d)) for ci in c])
    y = np.repeat(np.arange(len(c)), n_per_class)
    return X, y
