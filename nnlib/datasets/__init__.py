"""Small real data sets that ship with nnlib (no downloads).

``load_digits()`` — 1797 handwritten digits, 8×8 pixels with values 0..16, classes 0..9:
the "Optical Recognition of Handwritten Digits" data of E. Alpaydin and C. Kaynak (UCI
Machine Learning Repository, CC BY 4.0), in the form scikit-learn distributes it
(``sklearn.datasets.load_digits``; the file ``digits.csv.gz`` is copied from there).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["load_digits"]

_HERE = Path(__file__).resolve().parent


def load_digits(dtype=np.float64):
    """The 8×8 digits: returns ``X`` of shape (1797, 64) (pixel values 0..16, the
    image's rows one after another; ``X[i].reshape(8, 8)`` is the picture) and ``y`` of
    shape (1797,) with the digit 0..9 (int64). Always the same order: shuffle it
    yourself."""
    data = np.loadtxt(_HERE / "digits.csv.gz", delimiter=",")
    return data[:, :64].astype(dtype), data[:, 64].astype(np.int64)
