"""Two global switches, named as in torch: gradient recording and the default dtype.

* ``no_grad()`` — inside ``with nnlib.no_grad():`` layers save nothing for a backward pass
  (evaluation, plotting, finite differences): memory stays flat however many forward calls
  are made. ``enable_grad()`` switches recording back on inside such a block.
* ``set_default_dtype(np.float32)`` — the dtype of new parameters and of inputs that are
  not floating arrays yet (lists, integers). float64 is the default: the book compares
  gradients with finite differences, which need it.
"""
from __future__ import annotations

import functools

import numpy as np

__all__ = ["no_grad", "enable_grad", "is_grad_enabled",
           "set_default_dtype", "get_default_dtype", "float_dtype"]

_grad_enabled = True
_default_dtype = np.dtype(np.float64)


def is_grad_enabled() -> bool:
    """``True`` when forward calls save what their backward needs (the default)."""
    return _grad_enabled


class _GradMode:
    """Context manager (and decorator) that sets gradient recording to ``self.mode``."""

    mode = True

    def __enter__(self):
        global _grad_enabled
        self._prev = _grad_enabled
        _grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """``with nnlib.no_grad(): y = model(x)`` — forward calls save nothing for backward."""

    mode = False


class enable_grad(_GradMode):
    """Turn recording back on inside a ``no_grad`` block."""

    mode = True


def float_dtype(dtype, where: str) -> np.dtype:
    """``dtype`` as a numpy dtype; a ``TypeError`` unless it is a floating type."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{where}: {dtype!r} is not a numpy dtype") from None
    if not np.issubdtype(dt, np.floating):
        raise TypeError(f"{where}: only floating dtypes are supported (float32, float64), "
                        f"got {dt}")
    return dt


def set_default_dtype(dtype) -> None:
    """Make ``dtype`` (float32 or float64) the dtype of new layers and of non-float inputs."""
    global _default_dtype
    _default_dtype = float_dtype(dtype, "set_default_dtype")


def get_default_dtype() -> np.dtype:
    """The current default dtype (float64 unless :func:`set_default_dtype` changed it)."""
    return _default_dtype
