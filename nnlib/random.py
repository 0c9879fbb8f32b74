"""The library's default random generator (the analogue of ``torch.manual_seed``).

Every function that draws random numbers takes ``rng=None``; ``None`` means
this module's generator, so ``nnlib.manual_seed(0)`` makes a whole notebook
reproducible, and passing an explicit ``np.random.Generator`` isolates a cell.
"""
from __future__ import annotations

import numpy as np

_default = np.random.default_rng(0)


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the default generator to ``seed`` and return it."""
    global _default
    _default = np.random.default_rng(seed)
    return _default


def get_rng(rng: np.random.Generator | None = None) -> np.random.Generator:
    """Return ``rng`` if given, else the library's default generator."""
    if rng is None:
        return _default
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator or None, "
                        f"got {type(rng).__name__}")
    return rng
