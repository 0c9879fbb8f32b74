"""``nnlib.nn.residual.Residual`` (y = x + f(x)) against a torch twin in float64 and
against finite differences; the layer used twice before backward; the errors."""
import numpy as np
import pytest
import torch

import nnlib
from nnlib import nn
from nnlib.gradcheck import check_module
from nnlib.nn.residual import Residual


class TorchResidual(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return x + self.fn(x)


def make_pair(seed=0, width=5, bn=False):
    rng = np.random.default_rng(seed)
    layers = [nn.Linear(width, width, rng=rng)]
    t_layers = [torch.nn.Linear(width, width)]
    if bn:
        layers.append(nn.BatchNorm1d(width))
        t_layers.append(torch.nn.BatchNorm1d(width))
    layers.append(nn.Tanh())
    t_layers.append(torch.nn.Tanh())
    ours = Residual(nn.Sequential(*layers))
    theirs = TorchResidual(torch.nn.Sequential(*t_layers)).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return ours, theirs, rng


@pytest.mark.parametrize("bn, shape", [(False, (4, 5)), (False, (2, 3, 5)),
                                       (True, (4, 5))])
def test_matches_torch(bn, shape):
    ours, theirs, rng = make_pair(1, bn=bn)
    x = rng.standard_normal(shape)
    g = rng.standard_normal(shape)
    tx = torch.tensor(x, requires_grad=True)
    ty = theirs(tx)
    ty.backward(torch.tensor(g))
    y = ours(x)
    gx = ours.backward(g)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    named = dict(ours.named_parameters())
    assert list(named) == [n for n, _ in theirs.named_parameters()]
    for name, tp in theirs.named_parameters():
        np.testing.assert_allclose(named[name].grad, tp.grad.numpy(), rtol=1e-12,
                                   atol=1e-14, err_msg=name)


def test_finite_differences():
    ours, _, rng = make_pair(2)
    errors = check_module(ours, rng.standard_normal((3, 5)), rng=rng)
    assert set(errors) == {"input", "fn.0.weight", "fn.0.bias"}
    assert max(errors.values()) < 1e-7


def test_gradient_is_identity_plus_branch():
    """With a zero branch the block is the identity and passes the gradient unchanged."""
    lin = nn.Linear(4, 4)
    nnlib.init.zeros_(lin.weight)
    nnlib.init.zeros_(lin.bias)
    block = Residual(lin)
    x = np.arange(8.0).reshape(2, 4)
    g = np.ones((2, 4))
    np.testing.assert_array_equal(block(x), x)
    np.testing.assert_array_equal(block.backward(g), g)


def test_called_twice_before_backward():
    ours, theirs, rng = make_pair(3)
    x1, x2 = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    g1, g2 = rng.standard_normal((2, 5)), rng.standard_normal((2, 5))
    ours(x1)
    ours(x2)
    gx2 = ours.backward(g2)
    gx1 = ours.backward(g1)
    t1 = torch.tensor(x1, requires_grad=True)
    t2 = torch.tensor(x2, requires_grad=True)
    (theirs(t1) * torch.tensor(g1)).sum().backward()
    (theirs(t2) * torch.tensor(g2)).sum().backward()
    np.testing.assert_allclose(gx1, t1.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gx2, t2.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.fn[0].weight.grad, theirs.fn[0].weight.grad.numpy(),
                               rtol=1e-12)


def test_inside_sequential_and_state_dict_keys():
    rng = np.random.default_rng(4)
    model = nn.Sequential(nn.Linear(3, 4, rng=rng),
                          Residual(nn.Sequential(nn.Linear(4, 4, rng=rng), nn.ReLU())),
                          nn.Linear(4, 2, rng=rng))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.fn.0.weight",
                                        "1.fn.0.bias", "2.weight", "2.bias"]
    assert model.num_parameters() == 16 + 20 + 10
    assert "Residual(\n    (fn): Sequential(" in repr(model)
    with nnlib.no_grad():
        model(rng.standard_normal((2, 3)))
    assert model[1].fn[0].pending_backward == 0


def test_errors():
    with pytest.raises(TypeError, match="Residual: fn must be a Module"):
        Residual(lambda x: x)
    with pytest.raises(ValueError, match=r"Residual: fn must keep the input's shape"):
        Residual(nn.Linear(3, 2))(np.ones((1, 3)))
    block = Residual(nn.Tanh())
    with pytest.raises(RuntimeError, match="no forward call is waiting"):
        block.backward(np.ones((1, 3)))
