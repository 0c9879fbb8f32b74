"""nnlib.datasets: the shipped digits match the published data set (shape, classes, pixels)."""
import numpy as np

from nnlib.datasets import load_digits


def test_digits_like_sklearn():
    X, y = load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,) and X.dtype == np.float64
    assert X.min() == 0 and X.max() == 16 and np.all(X == np.round(X))
    counts = np.bincount(y)
    assert counts.tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    assert y[:10].tolist() == list(range(10))     # the file starts 0, 1, 2, ..., 9
    assert load_digits(np.float32)[0].dtype == np.float32
