"""Properties of Dropout, BatchNorm and weight decay that chapter Q23 relies on.

* Dropout with torch's own mask: nnlib's forward and backward equal torch's for
  several p (torch's mask is read off its output), i.e. the same inverted scaling.
* BatchNorm backward (training mode): the input gradient of every channel sums to
  zero and its projection on x_hat equals r * sum(g_hat * x_hat) * eps/(var + eps).
* BatchNorm scale invariance: the loss of Linear(bias=False) -> BatchNorm does not
  change when the weight rows are scaled by a > 0 (up to eps); the weight gradient
  scales by 1/a and is orthogonal to each row; a Linear bias before BatchNorm gets a
  zero gradient.
* SGD(weight_decay) equals SGD on the loss plus (lambda/2)||w||^2.
"""
import numpy as np
import pytest
import torch

from nnlib import functional as F
from nnlib import nn, optim
from nnlib.gradcheck import rel_error


@pytest.mark.parametrize("p", [0.1, 0.3, 0.5, 0.8])
def test_dropout_with_torch_mask_matches_torch(p):
    g = np.random.default_rng(0)
    x = g.standard_normal((7, 9)) + 3.0                 # no zeros in the input
    R = g.standard_normal((7, 9))
    torch.manual_seed(int(p * 10))
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.dropout(xt, p, training=True)
    (yt * torch.tensor(R)).sum().backward()
    mask = yt.detach().numpy() != 0
    assert np.allclose(x * mask / (1 - p), yt.detach().numpy(), rtol=1e-14, atol=0)
    assert np.allclose(F.dropout_backward(R, mask, p), xt.grad.numpy(), rtol=1e-14,
                       atol=0)


@pytest.mark.parametrize("shape", [(6, 4), (3, 2, 4, 4)])
@pytest.mark.parametrize("std", [0.05, 1.0])
def test_batchnorm_input_gradient_is_orthogonal_to_shift_and_scale(shape, std):
    g = np.random.default_rng(1)
    channels = shape[1]
    layer = nn.BatchNorm1d(channels) if len(shape) == 2 else nn.BatchNorm2d(channels)
    layer.weight.data[:] = g.uniform(0.5, 2.0, channels)
    x = g.normal(1.0, std, size=shape)
    R = g.standard_normal(shape)
    layer(x)
    gx = layer.backward(R)
    axes = (0,) + tuple(range(2, len(shape)))
    bshape = (1, -1) + (1,) * (len(shape) - 2)
    var = x.var(axis=axes)
    r = 1 / np.sqrt(var + layer.eps)
    x_hat = (x - x.mean(axis=axes).reshape(bshape)) * r.reshape(bshape)
    g_hat = R * layer.weight.data.reshape(bshape)
    predicted = r * (g_hat * x_hat).sum(axis=axes) * layer.eps / (var + layer.eps)
    assert np.abs(gx.sum(axis=axes)).max() < 1e-13 * np.abs(gx).sum()
    assert np.allclose((gx * x_hat).sum(axis=axes), predicted, rtol=1e-7, atol=1e-13)


def _net_loss_grad(net, x, y, scale):
    ce = nn.CrossEntropyLoss()
    W = net[0].weight
    saved = W.data.copy()
    W.data = saved * scale
    net.zero_grad()
    loss = float(ce(net(x), y))
    net.backward(ce.backward(), input_grad=False)
    grad = W.grad.copy()
    W.data = saved
    return loss, grad


@pytest.mark.parametrize("a", [0.5, 3.0, 10.0])
def test_batchnorm_makes_the_loss_scale_invariant(a):
    g = np.random.default_rng(2)
    net = nn.Sequential(nn.Linear(10, 6, bias=False, rng=g), nn.BatchNorm1d(6),
                        nn.ReLU(), nn.Linear(6, 3, rng=g))
    x, y = g.standard_normal((32, 10)), g.integers(0, 3, 32)
    loss1, grad1 = _net_loss_grad(net, x, y, 1.0)
    loss_a, grad_a = _net_loss_grad(net, x, y, a)
    W = net[0].weight.data
    cos = np.sum(W * grad1, axis=1) / (np.linalg.norm(W, axis=1) *
                                      np.linalg.norm(grad1, axis=1))
    assert abs(loss_a - loss1) < 1e-4
    assert rel_error(grad_a * a, grad1) < 1e-3
    assert np.abs(cos).max() < 1e-3


def test_linear_bias_before_batchnorm_gets_zero_gradient():
    g = np.random.default_rng(3)
    net = nn.Sequential(nn.Linear(10, 6, rng=g), nn.BatchNorm1d(6), nn.ReLU(),
                        nn.Linear(6, 3, rng=g))
    x, y = g.standard_normal((16, 10)), g.integers(0, 3, 16)
    ce = nn.CrossEntropyLoss()
    ce(net(x), y)
    net.backward(ce.backward(), input_grad=False)
    assert np.abs(net[0].bias.grad).max() < 1e-14


def test_sgd_weight_decay_equals_l2_penalty():
    g = np.random.default_rng(4)
    X, y = g.standard_normal((32, 5)), g.standard_normal((32, 1))
    lam, lr = 0.1, 0.05
    finals = []
    for use_wd in (True, False):
        model = nn.Linear(5, 1, rng=np.random.default_rng(5))
        opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9,
                        weight_decay=lam if use_wd else 0.0)
        mse = nn.MSELoss()
        for _ in range(5):
            opt.zero_grad()
            mse(model(X), y)
            model.backward(mse.backward(), input_grad=False)
            if not use_wd:
                for prm in model.parameters():
                    prm.grad += lam * prm.data
            opt.step()
        finals.append(np.concatenate([prm.data.ravel() for prm in model.parameters()]))
    assert np.allclose(finals[0], finals[1], rtol=0, atol=1e-14)
