"""One call that prepares a chapter notebook: seeds, print options, plot style.

Every chapter's first (hidden) cell ends with ``setup()``; it prints nothing.
"""
from __future__ import annotations

import numpy as np

from nnlib import plot
from nnlib.random import manual_seed


def setup(seed: int = 0) -> None:
    """Seed nnlib's generator, fix numpy's print format and apply the book's plot style.

    ``legacy="1.25"`` keeps numpy 2 from printing scalars as ``np.float64(0.5)``,
    so stored outputs read the same under numpy 1.x and 2.x.
    """
    manual_seed(seed)
    np.set_printoptions(precision=4, suppress=True)
    try:
        np.set_printoptions(legacy="1.25")
    except (ValueError, TypeError):  # numpy < 2 already prints scalars plainly
        pass
    plot.use_style()
