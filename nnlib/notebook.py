"""One call that prepares a chapter notebook: seeds, print options, plot style.

Every chapter's first (hidden) cell ends with ``setup()``; it prints nothing.
"""
from __future__ import annotations

import numpy as np

from nnlib import plot
from nnlib.random import manual_seed

#: numpy 2 prints scalars as ``np.float64(0.5)``; ``legacy="1.25"`` restores ``0.5``.
#: numpy 1.x already prints them plainly and does not know that mode: there
#: ``set_printoptions(legacy="1.25")`` only warns, stores the string, and the next
#: array print raises ``TypeError`` — so the option is set only under numpy >= 2.
NUMPY2 = np.lib.NumpyVersion(np.__version__) >= "2.0.0"


def setup(seed: int = 0) -> None:
    """Seed nnlib's generator, fix numpy's print format and apply the book's plot style.

    Under numpy 2 ``legacy="1.25"`` keeps scalars printing as ``0.5`` rather than
    ``np.float64(0.5)``, so stored outputs read the same under numpy 1.x and 2.x.
    """
    manual_seed(seed)
    np.set_printoptions(precision=4, suppress=True)
    if NUMPY2:
        np.set_printoptions(legacy="1.25")
    plot.use_style()
