"""The per-call saved-state contract against torch (float64): a module used several times
before backward, LIFO backward, several inputs and outputs, residual connections, no_grad,
dtype rules and the errors for misuse."""
import numpy as np
import pytest
import torch

import nnlib
from nnlib import functional as F
from nnlib import nn
from nnlib.gradcheck import check_module


def copy_to_torch(ours: nn.Module, theirs: torch.nn.Module) -> torch.nn.Module:
    theirs.double().load_state_dict({k: torch.from_numpy(v) for k, v in
                                     ours.state_dict().items()})
    return theirs


def assert_grads_match(ours: nn.Module, theirs: torch.nn.Module, rtol=1e-12):
    ours_named = dict(ours.named_parameters())
    for name, tp in theirs.named_parameters():
        np.testing.assert_allclose(ours_named[name].grad, tp.grad.numpy(), rtol=rtol,
                                   atol=1e-14, err_msg=name)


# -- a module used twice or more ---------------------------------------------------------
def test_shared_linear_inside_sequential_matches_torch():
    """``Sequential(lin, Tanh(), lin)``: the issue's example (was off by ~72%)."""
    rng = np.random.default_rng(0)
    lin = nn.Linear(5, 5, rng=rng)
    ours = nn.Sequential(lin, nn.Tanh(), lin)
    tlin = torch.nn.Linear(5, 5)
    theirs = copy_to_torch(ours, torch.nn.Sequential(tlin, torch.nn.Tanh(), tlin))
    x = rng.standard_normal((4, 5))
    g = rng.standard_normal((4, 5))
    tx = torch.tensor(x, requires_grad=True)
    ty = theirs(tx)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(ours(x), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.backward(g), tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert_grads_match(ours, theirs)
    assert [n for n, _ in ours.named_parameters()] == ["0.weight", "0.bias"]
    assert lin.pending_backward == 0


def test_linear_called_three_times_then_unrolled_backward():
    """h1 = lin(x), h2 = lin(tanh(h1)), h3 = lin(tanh(h2)); backward in reverse order."""
    rng = np.random.default_rng(1)
    lin, act = nn.Linear(3, 3, rng=rng), nn.Tanh()
    tlin = copy_to_torch(lin, torch.nn.Linear(3, 3))
    x = rng.standard_normal((2, 3))
    g = rng.standard_normal((2, 3))
    h = lin(x)
    for _ in range(2):
        h = lin(act(h))
    assert lin.pending_backward == 3 and act.pending_backward == 2
    grad = lin.backward(g)
    for _ in range(2):
        grad = lin.backward(act.backward(grad))
    tx = torch.tensor(x, requires_grad=True)
    th = tlin(tx)
    for _ in range(2):
        th = tlin(torch.tanh(th))
    th.backward(torch.tensor(g))
    np.testing.assert_allclose(h, th.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad, tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    assert_grads_match(lin, tlin)
    with pytest.raises(RuntimeError, match="Linear.backward: no forward call is waiting"):
        lin.backward(g)                          # a fourth backward has nothing to consume


class RNNCellLike(nn.Module):
    """h_t = tanh(W_x x_t + W_h h_{t-1}): one cell applied T times (BPTT by LIFO)."""

    def __init__(self, n_in, n_hidden, rng):
        super().__init__()
        self.ih = nn.Linear(n_in, n_hidden, rng=rng)
        self.hh = nn.Linear(n_hidden, n_hidden, bias=False, rng=rng)
        self.act = nn.Tanh()

    def forward(self, x, h):
        return self.act(self.ih(x) + self.hh(h))

    def backward(self, grad_h):
        grad_z = self.act.backward(grad_h)
        return self.ih.backward(grad_z), self.hh.backward(grad_z)


class TorchCell(torch.nn.Module):
    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.ih = torch.nn.Linear(n_in, n_hidden)
        self.hh = torch.nn.Linear(n_hidden, n_hidden, bias=False)

    def forward(self, x, h):
        return torch.tanh(self.ih(x) + self.hh(h))


@pytest.mark.parametrize("T", [1, 4, 9])
def test_cell_unrolled_over_time_matches_torch(T):
    rng = np.random.default_rng(T)
    cell = RNNCellLike(3, 4, rng)
    tcell = copy_to_torch(cell, TorchCell(3, 4))
    xs = rng.standard_normal((T, 2, 3))
    h0 = rng.standard_normal((2, 4))
    gs = rng.standard_normal((T, 2, 4))           # a loss on every hidden state
    hs, h = [], h0
    for t in range(T):
        h = cell(xs[t], h)
        hs.append(h)
    grad_h, grad_x = np.zeros_like(h0), np.zeros_like(xs)
    for t in reversed(range(T)):                  # backpropagation through time
        grad_x[t], grad_h = cell.backward(grad_h + gs[t])
    txs = torch.tensor(xs, requires_grad=True)
    th0 = torch.tensor(h0, requires_grad=True)
    th, loss = th0, 0
    for t in range(T):
        th = tcell(txs[t], th)
        loss = loss + (th * torch.tensor(gs[t])).sum()
    loss.backward()
    np.testing.assert_allclose(hs[-1], th.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad_x, txs.grad.numpy(), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(grad_h, th0.grad.numpy(), rtol=1e-11, atol=1e-14)
    assert_grads_match(cell, tcell, rtol=1e-11)
    assert all(m.pending_backward == 0 for m in cell.modules())


# -- several inputs and outputs ----------------------------------------------------------
class Bilinear(nn.Module):
    """Two array inputs, two outputs: ``(a * b, a + b)``; backward returns a tuple."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b, a + b

    def backward(self, grad_prod, grad_sum=None):
        a, b = self.pop_saved()
        grad_a, grad_b = np.zeros_like(a), np.zeros_like(b)
        if grad_prod is not None:
            grad_a, grad_b = grad_a + grad_prod * b, grad_b + grad_prod * a
        if grad_sum is not None:
            grad_a, grad_b = grad_a + grad_sum, grad_b + grad_sum
        return grad_a, grad_b


def test_multi_input_multi_output_convention():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    gp, gs = rng.standard_normal(3), rng.standard_normal(3)
    m = Bilinear()
    m(a, b)
    ga, gb = m.backward(gp, gs)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    p, s = ta * tb, ta + tb
    torch.autograd.backward([p, s], [torch.tensor(gp), torch.tensor(gs)])
    np.testing.assert_allclose(ga, ta.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-14)
    m(a, b)                                      # an unused output takes None
    ga, gb = m.backward(None, gs)
    np.testing.assert_allclose(ga, gs)


def test_residual_block_matches_torch():
    rng = np.random.default_rng(3)
    branch = nn.Sequential(nn.Linear(4, 4, rng=rng), nn.ReLU(), nn.Linear(4, 4, rng=rng))
    ours = nn.Sequential(nn.Residual(branch), nn.Residual(nn.Tanh()))
    tbranch = copy_to_torch(branch, torch.nn.Sequential(
        torch.nn.Linear(4, 4), torch.nn.ReLU(), torch.nn.Linear(4, 4)))
    x = rng.standard_normal((5, 4))
    g = rng.standard_normal((5, 4))
    tx = torch.tensor(x, requires_grad=True)
    th = tx + tbranch(tx)
    ty = th + torch.tanh(th)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(ours(x), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.backward(g), tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    for (name, p), tp in zip(branch.named_parameters(), tbranch.parameters()):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12, err_msg=name)
    assert max(check_module(ours, x, rng=rng).values()) < 1e-8


def test_modulelist_and_moduledict_names_match_torch():
    rng = np.random.default_rng(4)

    class Ours(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 3, rng=rng), nn.Linear(3, 1, rng=rng)])
            self.heads = nn.ModuleDict({"a": nn.Linear(1, 1, rng=rng)})

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList([torch.nn.Linear(2, 3), torch.nn.Linear(3, 1)])
            self.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(1, 1)})

    ours, theirs = Ours(), Theirs()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours.layers) == repr(theirs.layers)
    assert len(ours.layers) == 2 and isinstance(ours.layers[1:], nn.ModuleList)
    assert list(ours.heads) == ["a"] and "a" in ours.heads
    with pytest.raises(TypeError, match="ModuleList.append: expected a Module"):
        ours.layers.append(np.zeros(2))


# -- input gradient of the first layer -----------------------------------------------------
def test_sequential_can_skip_the_input_gradient():
    rng = np.random.default_rng(5)
    net = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.ReLU(), nn.Linear(4, 2, rng=rng))
    x, g = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    net(x)
    full = net.backward(g)
    grads = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    net(x)
    assert net.backward(g, input_grad=False) is None
    for p, ref in zip(net.parameters(), grads):
        np.testing.assert_array_equal(p.grad, ref)
    assert full.shape == x.shape


# -- no_grad -----------------------------------------------------------------------------------
def test_no_grad_saves_nothing_and_nests():
    lin = nn.Linear(2, 2)
    with nnlib.no_grad():
        for _ in range(100):
            lin(np.ones((1, 2)))
        assert not nnlib.is_grad_enabled()
        with nnlib.enable_grad():
            lin(np.ones((1, 2)))
        assert not nnlib.is_grad_enabled()
    assert nnlib.is_grad_enabled() and lin.pending_backward == 1

    @nnlib.no_grad()
    def evaluate(z):
        return lin(z)

    evaluate(np.ones((3, 2)))
    assert lin.pending_backward == 1
    lin.backward(np.ones((1, 2)))
    with pytest.raises(RuntimeError, match="no_grad"):
        lin.backward(np.ones((1, 2)))


def test_backward_twice_raises_instead_of_doubling_grads():
    lin = nn.Linear(2, 2)
    lin(np.ones((1, 2)))
    lin.backward(np.ones((1, 2)))
    grad = lin.weight.grad.copy()
    with pytest.raises(RuntimeError, match="Linear.backward"):
        lin.backward(np.ones((1, 2)))
    np.testing.assert_array_equal(lin.weight.grad, grad)


# -- dtype rules ----------------------------------------------------------------------------
def test_dtype_mismatch_raises_like_torch():
    lin = nn.Linear(3, 2)
    with pytest.raises(TypeError, match="Linear: input has dtype float32 but the layer's "
                                        "parameters are float64"):
        lin(np.ones((1, 3), dtype=np.float32))
    with pytest.raises(RuntimeError):            # torch refuses as well
        torch.nn.Linear(3, 2).double()(torch.ones(1, 3))
    assert lin(np.ones((1, 3), dtype=int)).dtype == np.float64   # ints: the default dtype
    assert nn.Tanh()(np.ones(2, dtype=np.float32)).dtype == np.float32


def test_integer_dtypes_are_refused():
    with pytest.raises(TypeError, match="only floating dtypes"):
        nn.Linear(2, 2, dtype=np.int32)
    with pytest.raises(TypeError, match="only floating dtypes"):
        nn.Linear(2, 2).to(np.int32)
    with pytest.raises(TypeError, match="only floating dtypes"):
        nn.Parameter(np.ones(2), dtype=np.int64)
    with pytest.raises(TypeError, match="only floating dtypes"):
        nnlib.set_default_dtype(np.int32)


def test_set_default_dtype_float32():
    try:
        nnlib.set_default_dtype(np.float32)
        lin = nn.Linear(3, 2)
        assert lin.weight.dtype == np.float32 and nn.PReLU().weight.dtype == np.float32
        assert lin(np.ones((1, 3), dtype=np.int64)).dtype == np.float32
        assert F.relu([1, -2]).dtype == np.float32
    finally:
        nnlib.set_default_dtype(np.float64)
    assert nnlib.get_default_dtype() == np.float64


def test_to_float32_then_float32_inputs_work():
    net = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 2)).to(np.float32)
    y = net(np.ones((2, 3), dtype=np.float32))
    assert y.dtype == np.float32
    assert net.backward(np.ones((2, 2), dtype=np.float32)).dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in net.parameters())
