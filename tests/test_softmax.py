"""nnlib.functional.softmax / log_softmax / logsumexp and nn.Softmax / nn.LogSoftmax vs torch (float64)."""
import zlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnlib import functional as F
from nnlib.gradcheck import numerical_grad as numeric_grad  # tested on its own in test_gradcheck.py
from nnlib import nn

RTOL = 1e-10
SHAPES_DIMS = [((5,), 0), ((5,), -1), ((3, 4), 0), ((3, 4), 1), ((3, 4), -1),
               ((2, 3, 4), 1), ((2, 3, 4), -1), ((2, 3, 4, 5), 2)]




def torch_pair(fn, x, dim, g):
    xt = torch.tensor(x, requires_grad=True)
    out = fn(xt, dim)
    out.backward(torch.tensor(g))
    return out.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("shape,dim", SHAPES_DIMS)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_matches_torch(name, shape, dim):
    rng = np.random.default_rng(zlib.crc32(repr((name, shape, dim)).encode()))
    x = 3 * rng.normal(size=shape)
    g = rng.normal(size=shape)
    fwd, bwd = getattr(F, name), getattr(F, f"{name}_backward")
    ref, ref_grad = torch_pair(getattr(torch, name), x, dim, g)
    np.testing.assert_allclose(fwd(x, dim), ref, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(bwd(g, fwd(x, dim), dim), ref_grad, rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_finite_differences(name):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4))
    g = rng.normal(size=(3, 4))
    fwd, bwd = getattr(F, name), getattr(F, f"{name}_backward")
    for dim in (0, 1):
        num = numeric_grad(lambda z: np.sum(g * fwd(z, dim)), x)
        np.testing.assert_allclose(bwd(g, fwd(x, dim), dim), num, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("keepdim", [False, True])
def test_logsumexp(keepdim):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 4))
    for dim in (0, 1, -1):
        xt = torch.tensor(x, requires_grad=True)
        out = torch.logsumexp(xt, dim, keepdim=keepdim)
        g = rng.normal(size=tuple(out.shape))
        out.backward(torch.tensor(g))
        np.testing.assert_allclose(F.logsumexp(x, dim, keepdim), out.detach().numpy(), rtol=RTOL)
        np.testing.assert_allclose(F.logsumexp_backward(g, x, F.logsumexp(x, dim, keepdim), dim, keepdim), xt.grad.numpy(), rtol=RTOL)


@pytest.mark.parametrize("scale", [1000.0, 1e4])
def test_extreme_logits(scale):
    x = np.array([[scale, -scale, 0.0], [-scale, -scale, -scale], [scale, scale, 0.0]])
    g = np.array([[1.0, -2.0, 0.5], [0.3, 0.2, 0.1], [1.0, 0.0, -1.0]])
    for name in ("softmax", "log_softmax"):
        ref, ref_grad = torch_pair(getattr(torch, name), x, 1, g)
        out = getattr(F, name)(x, 1)
        grad = getattr(F, f"{name}_backward")(g, out, 1)
        assert np.all(np.isfinite(out)) and np.all(np.isfinite(grad))
        np.testing.assert_allclose(out, ref, rtol=RTOL, atol=0)
        np.testing.assert_allclose(grad, ref_grad, rtol=RTOL, atol=1e-15)
    assert F.log_softmax(x, 1)[0, 1] == -2 * scale          # exact, where log(softmax) would be -inf


def test_scalar_input_and_float32():
    assert F.softmax(np.array(3.0), 0) == 1.0
    assert F.log_softmax(np.array(3.0), -1) == 0.0
    x = np.array([[1.0, 2.0, 3.0]], dtype=np.float32)
    assert F.softmax(x, 1).dtype == np.float32 and F.log_softmax(x, 1).dtype == np.float32
    np.testing.assert_allclose(F.softmax(x, 1), torch.softmax(torch.tensor(x), 1).numpy(), rtol=1e-6)


def test_guide_example():
    """Guide, question 9: softmax([2.0, 1.0, 0.1]) = [0.659, 0.242, 0.099] (the guide prints 0.243, 0.098)."""
    s = F.softmax(np.array([2.0, 1.0, 0.1]), 0)
    np.testing.assert_allclose(np.round(s, 3), [0.659, 0.242, 0.099])


@pytest.mark.parametrize("cls,name", [(nn.Softmax, "softmax"), (nn.LogSoftmax, "log_softmax")])
def test_modules(cls, name):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(4, 5))
    g = rng.normal(size=(4, 5))
    for dim in (0, 1):
        m = cls(dim)
        ref, ref_grad = torch_pair(getattr(torch, name), x, dim, g)
        np.testing.assert_allclose(m(x), ref, rtol=RTOL)
        np.testing.assert_allclose(m.backward(g), ref_grad, rtol=1e-9, atol=1e-14)
    assert repr(cls(1)) == f"{cls.__name__}(dim=1)"


def test_errors():
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"softmax: dim must be in \[-2, 1\].*\(3, 4\), got 2"):
        F.softmax(x, 2)
    with pytest.raises(ValueError, match=r"log_softmax: dim must be in \[-2, 1\].*got -3"):
        F.log_softmax(x, -3)
    with pytest.raises(TypeError, match="softmax: dim must be an integer"):
        F.softmax(x, None)
    with pytest.raises(ValueError, match=r"softmax_backward: grad_output must have .*\(3, 4\), got \(4,\)"):
        F.softmax_backward(np.zeros(4), x, 1)
    with pytest.raises(TypeError, match="Softmax: dim must be an integer"):
        nn.Softmax(1.5)
    with pytest.raises(RuntimeError, match="LogSoftmax.backward: no forward call is waiting"):
        nn.LogSoftmax(1).backward(x)


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 6)), elements=finite),
       st.floats(-1e3, 1e3), st.sampled_from([0, 1, -1]))
def test_properties(x, c, dim):
    s = F.softmax(x, dim)
    assert np.all(s >= 0) and np.all(s <= 1)
    np.testing.assert_allclose(s.sum(axis=dim), 1.0, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(x + c, dim), s, rtol=1e-9, atol=1e-12)   # shift invariance
    ls = F.log_softmax(x, dim)
    assert np.all(ls <= 0) and np.all(np.isfinite(ls))
    np.testing.assert_allclose(np.exp(ls), s, rtol=1e-9, atol=1e-300)
