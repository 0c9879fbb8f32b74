"""nnlib.functional._special: the erfc coefficients re-derived, accuracy per dtype, and GELU
against torch in float64 to 1e-14."""
import math

import numpy as np
import pytest
import torch

from nnlib import functional as F
from nnlib.functional import _special as S


def test_chebyshev_coefficients_recomputed_with_mpmath():
    """c_j of log(erfc(z)/t) + z^2 in y = 2t - 1, t = 2/(2 + z), by a Chebyshev transform."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    n = 40

    def f(y):
        t = (y + 1) / 2
        if t == 0:
            return mp.log(1 / (2 * mp.sqrt(mp.pi)))
        z = 2 / t - 2
        return mp.log(mp.erfc(z) / t) + z * z

    nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / n) for k in range(n)]
    values = [f(y) for y in nodes]
    for j, c in enumerate(S._ERFC_CHEB):
        exact = 2 * mp.fsum(values[k] * mp.cos(mp.pi * j * (k + mp.mpf(1) / 2) / n)
                            for k in range(n)) / n
        assert abs(float(exact) - c) <= 1e-15 * max(1.0, abs(c)) + 2e-17, j


def test_erfc_relative_accuracy_float64_and_float32():
    x = np.linspace(-6, 26, 6401)
    ref = np.array([math.erfc(v) for v in x])
    err64 = np.abs(S.erfc(x) - ref) / ref
    # exp(-z^2) carries the rounding of z^2: about 1e-16 * z^2 relative
    assert np.all(err64 <= 4e-16 * (8 + x * x))
    x32 = x[x < 9].astype(np.float32)
    ref32 = np.array([math.erfc(float(v)) for v in x32])
    err32 = np.abs(S.erfc(x32).astype(np.float64) - ref32) / ref32
    assert S.erfc(x32).dtype == np.float32
    assert np.all(err32 <= 2e-7 * (8 + x32.astype(np.float64) ** 2))


def test_gelu_float64_matches_torch_to_1e14():
    """Relative 1e-14 where torch itself is that accurate (x >= -2.5: below, its
    1 + erf(x/sqrt2) cancels, 1e-12 at x = -4; nnlib's erfc does not, see
    test_gelu_tail_vs_mpmath)."""
    x = np.linspace(-2.5, 8, 20001)
    g = np.cos(3 * x)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.gelu(tx)
    ty.backward(torch.tensor(g))
    y, s = F.gelu_forward(x)
    ref = ty.detach().numpy()
    nonzero = ref != 0
    assert np.max(np.abs(y - ref)[nonzero] / np.abs(ref[nonzero])) < 1e-14
    gx = F.gelu_backward(g, x, s)
    assert np.max(np.abs(gx - tx.grad.numpy())) < 1e-14


def test_gelu_tail_vs_mpmath():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    x = np.linspace(-12, -2.5, 96)
    ref = np.array([float(mp.mpf(v) * mp.erfc(-mp.mpf(v) / mp.sqrt(2)) / 2) for v in x])
    z2 = x * x / 2                      # the rounding of exp(-z^2) grows like 1e-16 z^2
    assert np.all(np.abs(F.gelu(x) - ref) / np.abs(ref) <= 4e-16 * (8 + z2))
