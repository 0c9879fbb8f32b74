"""Argument and shape checks shared by every layer and function.

Each helper raises a ``ValueError``/``TypeError`` whose message names the
caller, what was expected and what was given, e.g.::

    Linear: expected input of shape (..., 3), got (2, 4)
"""
from __future__ import annotations

import numpy as np

from nnlib.modes import get_default_dtype


def as_array(x, where: str) -> np.ndarray:
    """Return ``x`` as a floating numpy array.

    Floating arrays are returned as they are (their dtype is kept); lists, numbers and
    integer or boolean arrays become arrays of the default dtype (float64 unless
    :func:`nnlib.set_default_dtype` changed it).
    """
    if isinstance(x, (list, tuple, int, float)) or np.isscalar(x):
        x = np.asarray(x)
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{where}: expected a numpy array, got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(get_default_dtype())
    return x


def check_dtype(x: np.ndarray, dtype, where: str) -> None:
    """Raise ``TypeError`` unless ``x`` has the layer's dtype (torch refuses to mix them)."""
    if x.dtype != dtype:
        raise TypeError(f"{where}: input has dtype {x.dtype} but the layer's parameters are "
                        f"{np.dtype(dtype)}; convert one of them (x.astype(...) or "
                        f"layer.to(...))")


def check_ndim(x: np.ndarray, ndims, where: str, layout: str = "") -> None:
    """Raise unless ``x.ndim`` is one of ``ndims`` (an int or a tuple of ints)."""
    ndims = (ndims,) if isinstance(ndims, int) else tuple(ndims)
    if x.ndim not in ndims:
        want = " or ".join(f"{n}-D" for n in ndims)
        extra = f" {layout}" if layout else ""
        raise ValueError(f"{where}: expected a {want} input{extra}, got shape {tuple(x.shape)}")


def check_last_dim(x: np.ndarray, size: int, where: str, name: str) -> None:
    """Raise unless the last axis of ``x`` has length ``size``."""
    if x.ndim == 0 or x.shape[-1] != size:
        raise ValueError(f"{where}: expected input of shape (..., {size}) [{name}={size}], "
                         f"got {tuple(x.shape)}")


def check_same_shape(a: np.ndarray, b: np.ndarray, where: str, names=("input", "target")) -> None:
    """Raise unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{where}: {names[0]} and {names[1]} must have the same shape, "
                         f"got {tuple(a.shape)} and {tuple(b.shape)}")


def check_positive_int(value, where: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")
    return int(value)


def check_range(value, where: str, name: str, low=None, high=None,
                low_open=False, high_open=False) -> float:
    """Raise unless ``low <= value <= high`` (``<`` where the end is open)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{where}: {name} must be a number, got {value!r}") from None
    bad = ((low is not None and (v <= low if low_open else v < low))
           or (high is not None and (v >= high if high_open else v > high)))
    if bad or np.isnan(v):
        lo = "(" if low_open else "["
        hi = ")" if high_open else "]"
        interval = f"{lo}{'-inf' if low is None else low}, {'inf' if high is None else high}{hi}"
        raise ValueError(f"{where}: {name} must be in {interval}, got {value!r}")
    return v


def check_choice(value, choices, where: str, name: str):
    if value not in choices:
        raise ValueError(f"{where}: {name} must be one of {tuple(choices)}, got {value!r}")
    return value
