"""Pooling (max, average, adaptive average; functional pairs and layers) vs torch
float64: outputs, argmax indices, input gradients; finite differences, LIFO, errors."""
import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from nnlib import functional as F
from nnlib import nn
from nnlib.gradcheck import check_module

SHAPES = [(2, 3, 7, 6), (3, 5, 5)]          # batch > 1, odd sizes, a 3-D input


def _torch_grad(f, x, g):
    """``(output, grad_input)`` of torch's ``f`` at ``x`` for the upstream ``g``."""
    tx = torch.tensor(x, requires_grad=True)
    out = f(tx)
    out = out[0] if isinstance(out, tuple) else out
    out.backward(torch.tensor(g))
    return out.detach().numpy(), tx.grad.numpy()


MAX_GRID = [c for c in itertools.product(
    [2, 3, (2, 3)], [None, 1, 2], [0, 1], [1, 2], [False, True])
    if c[3] == 1 or c[4] is False]              # dilation 2 without ceil_mode


@pytest.mark.parametrize("k, s, p, d, ceil_mode", MAX_GRID)
def test_max_pool2d_matches_torch(k, s, p, d, ceil_mode):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPES[(p + d + ceil_mode) % 2])
    args = (k, s, p, d, ceil_mode)
    out, idx = F.max_pool2d(x, *args, return_indices=True)
    t_out, t_idx = TF.max_pool2d(torch.tensor(x), *args, return_indices=True)
    np.testing.assert_array_equal(out, t_out.numpy())
    np.testing.assert_array_equal(idx, t_idx.numpy())
    assert idx.dtype == np.int64
    np.testing.assert_array_equal(F.max_pool2d(x, *args), out)
    g = rng.standard_normal(out.shape)
    _, t_grad = _torch_grad(lambda t: TF.max_pool2d(t, *args), x, g)
    np.testing.assert_allclose(F.max_pool2d_backward(g, idx, x.shape), t_grad,
                               rtol=1e-12, atol=0)


@pytest.mark.parametrize("k, s, p", [(2, 1, 0), (3, 1, 1), (3, 2, 1), (2, 2, 0)])
def test_max_pool2d_ties_match_torch(k, s, p):
    """Ties go to the first maximum of the window in row-major order (torch), and
    the gradient of the overlapping windows adds up on it."""
    x = np.random.default_rng(1).integers(0, 2, (2, 2, 6, 5)).astype(float)
    x[0, 0] = 0.0                                       # a plane of ties only
    x[1, 1] = -np.inf                                   # -inf only: the index is valid
    out, idx = F.max_pool2d(x, k, s, p, return_indices=True)
    t_out, t_idx = TF.max_pool2d(torch.tensor(x), k, s, p, return_indices=True)
    np.testing.assert_array_equal(out, t_out.numpy())
    np.testing.assert_array_equal(idx, t_idx.numpy())
    g = np.random.default_rng(2).standard_normal(out.shape)
    _, t_grad = _torch_grad(lambda t: TF.max_pool2d(t, k, s, p), x, g)
    np.testing.assert_allclose(F.max_pool2d_backward(g, idx, x.shape), t_grad,
                               rtol=1e-12, atol=0)


AVG_GRID = list(itertools.product([2, 3, (2, 3)], [None, 1, 2], [0, 1]))


@pytest.mark.parametrize("ceil_mode, count_include_pad",
                         [(False, True), (True, True), (True, False)])
@pytest.mark.parametrize("k, s, p", AVG_GRID)
def test_avg_pool2d_matches_torch(k, s, p, ceil_mode, count_include_pad):
    rng = np.random.default_rng(3)
    x = rng.standard_normal(SHAPES[(p + ceil_mode) % 2])
    args = (k, s, p, ceil_mode, count_include_pad)
    out = F.avg_pool2d(x, *args)
    g = rng.standard_normal(out.shape)
    t_out, t_grad = _torch_grad(lambda t: TF.avg_pool2d(t, *args), x, g)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(F.avg_pool2d_backward(g, x.shape, *args), t_grad,
                               rtol=1e-12, atol=1e-15)


def test_avg_pool2d_divisor_override_matches_torch():
    x = np.random.default_rng(4).standard_normal((2, 2, 5, 6))
    args = (3, 2, 1, True, True, 4)
    out = F.avg_pool2d(x, *args)
    g = np.ones_like(out)
    t_out, t_grad = _torch_grad(lambda t: TF.avg_pool2d(t, *args), x, g)
    np.testing.assert_allclose(out, t_out, rtol=1e-12)
    np.testing.assert_allclose(F.avg_pool2d_backward(g, x.shape, *args), t_grad,
                               rtol=1e-12)


@pytest.mark.parametrize("output_size", [1, 2, 3, (2, 4), (None, 3), (5, 7), (7, 1)])
@pytest.mark.parametrize("shape", SHAPES)
def test_adaptive_avg_pool2d_matches_torch(output_size, shape):
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape)
    out = F.adaptive_avg_pool2d(x, output_size)
    g = rng.standard_normal(out.shape)
    t_out, t_grad = _torch_grad(lambda t: TF.adaptive_avg_pool2d(t, output_size), x, g)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(F.adaptive_avg_pool2d_backward(g, x.shape), t_grad,
                               rtol=1e-12, atol=1e-15)


def test_global_average_pooling():
    x = np.random.default_rng(6).standard_normal((2, 3, 4, 5))
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, 1),
                               x.mean(axis=(-2, -1), keepdims=True), rtol=1e-14)


LAYERS = [
    (lambda: nn.MaxPool2d(3, 2, 1), lambda: torch.nn.MaxPool2d(3, 2, 1)),
    (lambda: nn.MaxPool2d((2, 3), 1, dilation=2), lambda: torch.nn.MaxPool2d(
        (2, 3), 1, dilation=2)),
    (lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
     lambda: torch.nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False)),
    (lambda: nn.AvgPool2d(2), lambda: torch.nn.AvgPool2d(2)),
    (lambda: nn.AdaptiveAvgPool2d((2, 3)), lambda: torch.nn.AdaptiveAvgPool2d((2, 3))),
    (lambda: nn.AdaptiveAvgPool2d(1), lambda: torch.nn.AdaptiveAvgPool2d(1)),
]


@pytest.mark.parametrize("make, make_torch", LAYERS)
def test_layers_match_torch_and_reprs(make, make_torch):
    m, tm = make(), make_torch()
    assert repr(m) == repr(tm)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3, 7, 8))
    out = m(x)
    g = rng.standard_normal(out.shape)
    t_out, t_grad = _torch_grad(tm, x, g)
    np.testing.assert_allclose(out, t_out, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(m.backward(g), t_grad, rtol=1e-12, atol=1e-15)
    assert m.pending_backward == 0


@pytest.mark.parametrize("make, make_torch", LAYERS)
def test_layers_called_twice_backward_lifo(make, make_torch):
    """Two forwards (different shapes), then two backwards in reverse order."""
    m, tm = make(), make_torch()
    rng = np.random.default_rng(8)
    x1, x2 = rng.standard_normal((2, 2, 7, 8)), rng.standard_normal((3, 6, 9))
    y1, y2 = m(x1), m(x2)
    g1, g2 = rng.standard_normal(y1.shape), rng.standard_normal(y2.shape)
    np.testing.assert_allclose(m.backward(g2), _torch_grad(tm, x2, g2)[1], rtol=1e-12)
    np.testing.assert_allclose(m.backward(g1), _torch_grad(tm, x1, g1)[1], rtol=1e-12)
    with pytest.raises(RuntimeError):
        m.backward(g1)


def test_max_pool2d_layer_return_indices():
    m = nn.MaxPool2d(2, return_indices=True)
    x = np.random.default_rng(9).standard_normal((1, 2, 4, 6))
    out, idx = m(x)
    t_out, t_idx = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(out, t_out.numpy())
    np.testing.assert_array_equal(idx, t_idx.numpy())
    np.testing.assert_array_equal(m.backward(np.ones_like(out), None),
                                  F.max_pool2d_backward(np.ones_like(out), idx, x.shape))


@pytest.mark.parametrize("m", [nn.MaxPool2d(3, 2, 1), nn.MaxPool2d(2, 1, dilation=2),
                               nn.AvgPool2d(3, 2, 1, count_include_pad=False),
                               nn.AvgPool2d(2, ceil_mode=True),
                               nn.AdaptiveAvgPool2d((2, 3))])
def test_finite_differences(m):
    # distinct values far apart: no ties, so the max is differentiable there
    x = np.random.default_rng(10).permutation(2 * 2 * 5 * 7).reshape(2, 2, 5, 7) * 0.1
    errors = check_module(m, x, rng=np.random.default_rng(11))
    assert errors["input"] < 1e-7


def test_float32_keeps_dtype():
    x = np.random.default_rng(12).standard_normal((2, 3, 6, 6)).astype(np.float32)
    for m in [nn.MaxPool2d(2), nn.AvgPool2d(3, 1, 1), nn.AdaptiveAvgPool2d(4)]:
        out = m(x)
        assert out.dtype == np.float32, m
        assert m.backward(np.ones_like(out)).dtype == np.float32, m


@pytest.mark.parametrize("call, match", [
    (lambda x: F.max_pool2d(x, 5), r"max_pool2d: input of spatial size \(4, 4\) is "
                                   r"too small"),
    (lambda x: F.avg_pool2d(x, 5), "avg_pool2d: input of spatial size"),
    (lambda x: F.max_pool2d(x, 3, padding=2), "padding should be at most half"),
    (lambda x: F.avg_pool2d(x, 2, padding=(0, 2)), "padding should be at most half"),
    (lambda x: F.max_pool2d(x[0, 0], 2), r"expected a 3-D or 4-D input"),
    (lambda x: F.max_pool2d(x, 0), "kernel_size must be an integer >= 1"),
    (lambda x: F.max_pool2d(x, 2, stride=(1, 0)), "stride must be"),
    (lambda x: F.adaptive_avg_pool2d(x, 0), "output_size must be a positive integer"),
    (lambda x: nn.MaxPool2d(2, padding=-1), "MaxPool2d: padding must be"),
    (lambda x: nn.AvgPool2d((2, 2, 2)), "AvgPool2d: kernel_size must be"),
])
def test_errors(call, match):
    x = np.zeros((1, 1, 4, 4))
    with pytest.raises(ValueError, match=match):
        call(x)


def test_torch_refuses_the_same():
    x = torch.zeros(1, 1, 4, 4)
    for call in [lambda: TF.max_pool2d(x, 5), lambda: TF.max_pool2d(x, 3, padding=2),
                 lambda: TF.avg_pool2d(x, 2, padding=(0, 2))]:
        with pytest.raises(RuntimeError):
            call()
