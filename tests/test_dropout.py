"""Dropout (functional pair and layer): statistics, the mask in backward (torch's
native_dropout_backward as the twin), edge cases p=0/p=1, eval mode, seeding, repr."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import nnlib
from nnlib import functional as F
from nnlib import nn


def _torch_backward(g, mask, p):
    """torch's backward of dropout for the same mask: g * mask * scale."""
    scale = 0.0 if p == 1 else 1 / (1 - p)
    return torch.ops.aten.native_dropout_backward(
        torch.tensor(g), torch.tensor(mask), scale).numpy()


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.8])
def test_dropout_statistics(p):
    """E[y] = x and a fraction 1 - p kept, on 10^6 elements (errors ~ 1e-3)."""
    x = np.random.default_rng(0).uniform(0.5, 1.5, (1000, 1000))
    y, mask = F.dropout_forward(x, p, rng=np.random.default_rng(1))
    assert mask.dtype == bool and mask.shape == x.shape
    assert abs(mask.mean() - (1 - p)) < 5e-3
    assert abs(y.mean() / x.mean() - 1) < 1e-2
    np.testing.assert_allclose(y[mask], x[mask] / (1 - p), rtol=1e-15)
    assert np.all(y[~mask] == 0)


@pytest.mark.parametrize("p", [0.0, 0.25, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("shape", [(7,), (4, 5), (2, 3, 4, 5)])
def test_dropout_backward_uses_the_forward_mask(p, shape):
    rng = np.random.default_rng(2)
    x, g = rng.standard_normal(shape), rng.standard_normal(shape)
    with np.errstate(all="raise"):                      # p = 1: no division by zero
        y, mask = F.dropout_forward(x, p, rng=rng)
        gx = F.dropout_backward(g, mask, p)
    scale = 0.0 if p == 1 else 1 / (1 - p)
    np.testing.assert_allclose(y, x * mask * scale, rtol=1e-15)
    np.testing.assert_allclose(gx, g * mask * scale, rtol=1e-15)
    np.testing.assert_allclose(gx, _torch_backward(g, mask, p), rtol=1e-15)
    # the layer: the same mask in forward and backward
    m = nn.Dropout(p, rng=np.random.default_rng(3))
    y = m(x)
    kept = y != 0
    np.testing.assert_allclose(m.backward(g), np.where(kept, g * scale, 0.0),
                               rtol=1e-15)


def test_dropout_p0_and_p1_match_torch():
    x = np.random.default_rng(4).standard_normal((3, 4))
    tx = torch.tensor(x)
    np.testing.assert_array_equal(F.dropout(x, 0.0), TF.dropout(tx, 0.0).numpy())
    np.testing.assert_array_equal(F.dropout(x, 1.0), TF.dropout(tx, 1.0).numpy())
    assert np.all(F.dropout(x, 1.0) == 0)
    _, mask = F.dropout_forward(x, 0.0)
    assert mask.all()
    _, mask = F.dropout_forward(x, 1.0)
    assert not mask.any()
    np.testing.assert_array_equal(F.dropout_backward(np.ones((3, 4)), mask, 1.0), 0.0)


def test_dropout_eval_is_identity():
    x = np.random.default_rng(5).standard_normal((4, 6))
    assert F.dropout(x, 0.5, training=False) is x
    y, mask = F.dropout_forward(x, 0.9, training=False)
    assert y is x and mask is None
    g = np.arange(24.0).reshape(4, 6)
    assert F.dropout_backward(g, None, 0.9) is g
    m = nn.Dropout(0.7).eval()
    np.testing.assert_array_equal(m(x), x)
    np.testing.assert_array_equal(m.backward(g), g)      # the gradient passes through
    np.testing.assert_array_equal(m(x), torch.nn.Dropout(0.7).eval()(torch.tensor(x)))


def test_dropout_reproducible_with_manual_seed_and_rng():
    x = np.ones((50, 40))
    nnlib.manual_seed(123)
    a = nn.Dropout(0.5)(x)
    nnlib.manual_seed(123)
    b = nn.Dropout(0.5)(x)
    c = nn.Dropout(0.5)(x)                               # the generator moved on
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)
    nnlib.manual_seed(7)
    d = F.dropout(x, 0.5)
    nnlib.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x, 0.5), d)
    e = nn.Dropout(0.5, rng=np.random.default_rng(9))(x)
    f = nn.Dropout(0.5, rng=np.random.default_rng(9))(x)
    np.testing.assert_array_equal(e, f)


def test_dropout_called_twice_then_backward_twice():
    """Each backward uses the mask of its own forward call (LIFO)."""
    m = nn.Dropout(0.5, rng=np.random.default_rng(10))
    x = np.ones((20, 30))
    y1, y2 = m(x), m(x)
    assert not np.array_equal(y1, y2)
    g = np.ones_like(x)
    np.testing.assert_array_equal(m.backward(g), y2)    # g = x = 1: grad = mask * 2
    np.testing.assert_array_equal(m.backward(g), y1)
    with pytest.raises(RuntimeError, match="Dropout.backward: no forward call"):
        m.backward(g)
    with nnlib.no_grad():
        m(x)
    assert m.pending_backward == 0


def test_dropout_repr_dtype_and_errors():
    for p in (0.5, 0.2, 1):
        assert repr(nn.Dropout(p)) == repr(torch.nn.Dropout(p))
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert list(nn.Dropout().state_dict()) == []
    x32 = np.ones((10, 10), np.float32)
    y = nn.Dropout(0.3)(x32)
    assert y.dtype == np.float32
    assert F.dropout_backward(x32, y != 0, 0.3).dtype == np.float32
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match="Dropout: dropout probability p must be"):
            nn.Dropout(bad)
        with pytest.raises(ValueError, match="dropout: dropout probability p must be"):
            F.dropout(x32, bad)
    with pytest.raises(ValueError, match="Dropout: inplace=True is not supported"):
        nn.Dropout(0.5, inplace=True)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        nn.Dropout(0.5, rng=42)
    with pytest.raises(ValueError, match="dropout_backward"):
        F.dropout_backward(np.ones(3), np.ones(4, bool), 0.5)
