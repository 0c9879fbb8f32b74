"""nnlib.residual.Residual against its torch twin (x + f(x)) and finite differences."""
import numpy as np
import pytest
import torch

from nnlib import nn
from nnlib.gradcheck import check_module
from nnlib.residual import Residual


def _block(n, seed):
    rng = np.random.default_rng(seed)
    return Residual(nn.Sequential(nn.ReLU(), nn.Linear(n, n, rng=rng)))


def _torch_twin(block):
    lin = block.branch[1]
    t = torch.nn.Linear(lin.in_features, lin.out_features, dtype=torch.float64)
    t.load_state_dict({"weight": torch.tensor(lin.weight.data),
                       "bias": torch.tensor(lin.bias.data)})
    return t


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4)])
def test_matches_torch(shape):
    block = _block(4, 0)
    tlin = _torch_twin(block)
    x = np.random.default_rng(1).standard_normal(shape)
    g = np.random.default_rng(2).standard_normal(shape)
    y = block(x)
    gx = block.backward(g)
    xt = torch.tensor(x, requires_grad=True)
    yt = xt + tlin(torch.relu(xt))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-12, atol=1e-14)
    lin = block.branch[1]
    np.testing.assert_allclose(lin.weight.grad, tlin.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(lin.bias.grad, tlin.bias.grad.numpy(), rtol=1e-12)
    assert [n for n, _ in block.named_parameters()] == ["branch.1.weight", "branch.1.bias"]


def test_finite_differences():
    block = Residual(nn.Sequential(nn.Linear(3, 3, rng=np.random.default_rng(0)),
                                   nn.Tanh()))
    x = np.random.default_rng(3).standard_normal((4, 3))
    errors = check_module(block, x, rng=np.random.default_rng(4))
    assert max(errors.values()) < 1e-8, errors


def test_two_calls_before_backward_and_stack():
    block = _block(3, 5)
    tlin = _torch_twin(block)
    x1, x2 = np.random.default_rng(6).standard_normal((2, 4, 3))
    g1, g2 = np.random.default_rng(7).standard_normal((2, 4, 3))
    block(x1)
    block(x2)
    gx2 = block.backward(g2)
    gx1 = block.backward(g1)
    assert block.pending_backward == 0
    t1, t2 = (torch.tensor(v, requires_grad=True) for v in (x1, x2))
    loss = ((t1 + tlin(torch.relu(t1))) * torch.tensor(g1)).sum() + \
        ((t2 + tlin(torch.relu(t2))) * torch.tensor(g2)).sum()
    loss.backward()
    np.testing.assert_allclose(gx1, t1.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(gx2, t2.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(block.branch[1].weight.grad, tlin.weight.grad.numpy(),
                               rtol=1e-12)
    with pytest.raises(RuntimeError):
        block.backward(g1)


def test_errors():
    with pytest.raises(TypeError, match="Residual"):
        Residual(lambda x: x)
    block = Residual(nn.Linear(3, 2, rng=np.random.default_rng(0)))
    with pytest.raises(ValueError, match="same shape"):
        block(np.zeros((4, 3)))
