"""Linear, Identity, Flatten and functional.linear against torch (float64) and finite differences."""
import numpy as np
import pytest
import torch

import nnlib
from nnlib import functional as F
from nnlib.gradcheck import numerical_grad as central_diff  # tested on its own in test_gradcheck.py
from nnlib.nn import Flatten, Identity, Linear

SHAPES = [(), (5,), (2, 3)]  # batch dimensions in front of in_features




def make_pair(n_in, n_out, bias, seed=0):
    ours = Linear(n_in, n_out, bias=bias, rng=np.random.default_rng(seed))
    theirs = torch.nn.Linear(n_in, n_out, bias=bias).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return ours, theirs


def torch_grads(theirs, x, g):
    tx = torch.from_numpy(x).requires_grad_()
    y = theirs(tx)
    y.backward(torch.from_numpy(g))
    return y.detach().numpy(), tx.grad.numpy()


@pytest.mark.parametrize("batch", SHAPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("n_in,n_out", [(3, 4), (1, 1), (7, 2)])
def test_linear_matches_torch(batch, bias, n_in, n_out):
    rng = np.random.default_rng(10)
    ours, theirs = make_pair(n_in, n_out, bias)
    x = rng.standard_normal(batch + (n_in,))
    g = rng.standard_normal(batch + (n_out,))
    y_t, gx_t = torch_grads(theirs, x, g)
    y = ours(x)
    assert y.shape == batch + (n_out,) and y.dtype == np.float64
    np.testing.assert_allclose(y, y_t, rtol=1e-12, atol=1e-14)
    gx = ours.backward(g)
    assert gx.shape == x.shape
    np.testing.assert_allclose(gx, gx_t, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12, atol=1e-14)
    if bias:
        np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-12, atol=1e-14)
    else:
        assert ours.bias is None and theirs.bias is None
        assert [n for n, _ in ours.named_parameters()] == ["weight"]


def test_linear_parameters_have_torch_layout_and_init_bounds():
    lin = Linear(50, 20, rng=np.random.default_rng(0))
    assert lin.weight.shape == (20, 50) and lin.bias.shape == (20,)
    bound = 1 / np.sqrt(50)  # torch: kaiming_uniform_(a=sqrt(5)) -> U(-1/sqrt(in), 1/sqrt(in))
    assert np.abs(lin.weight.data).max() <= bound and np.abs(lin.bias.data).max() <= bound
    assert np.abs(lin.weight.data).max() > 0.9 * bound  # really uses the whole interval
    assert repr(lin) == repr(torch.nn.Linear(50, 20))
    assert repr(Linear(3, 2, bias=False)) == repr(torch.nn.Linear(3, 2, bias=False))


def test_linear_init_is_reproducible():
    a = Linear(4, 3, rng=np.random.default_rng(5))
    b = Linear(4, 3, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    nnlib.manual_seed(1)
    c = Linear(4, 3)
    nnlib.manual_seed(1)
    d = Linear(4, 3)
    np.testing.assert_array_equal(c.bias.data, d.bias.data)


def test_linear_gradients_accumulate_like_torch():
    rng = np.random.default_rng(3)
    ours, theirs = make_pair(3, 2, True)
    xs = [rng.standard_normal((4, 3)) for _ in range(2)]
    gs = [rng.standard_normal((4, 2)) for _ in range(2)]
    for x, g in zip(xs, gs):
        torch_grads(theirs, x, g)
        ours(x)
        ours.backward(g)
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.bias.grad, theirs.bias.grad.numpy(), rtol=1e-12)
    expected = sum(g.T @ x for x, g in zip(xs, gs))  # += over the two calls
    np.testing.assert_allclose(ours.weight.grad, expected, rtol=1e-12)
    np.testing.assert_allclose(ours.bias.grad, sum(g.sum(0) for g in gs), rtol=1e-12)


@pytest.mark.parametrize("bias", [True, False])
def test_linear_finite_differences(bias):
    rng = np.random.default_rng(4)
    lin = Linear(3, 2, bias=bias, rng=rng)
    x = rng.standard_normal((2, 2, 3))
    R = rng.standard_normal((2, 2, 2))  # L = sum(y * R), so dL/dy = R
    lin(x)
    gx = lin.backward(R)
    np.testing.assert_allclose(gx, central_diff(lambda z: np.sum(lin(z) * R), x), rtol=1e-7, atol=1e-9)
    names = ["weight"] + (["bias"] if bias else [])
    for name in names:
        p = getattr(lin, name)
        original = p.data.copy()

        def loss(w, p=p):
            p.data = w
            return np.sum(lin(x) * R)

        num = central_diff(loss, original)
        p.data = original
        np.testing.assert_allclose(p.grad, num, rtol=1e-7, atol=1e-9, err_msg=name)


def test_functional_linear_pair_matches_layer():
    rng = np.random.default_rng(6)
    x, W, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    y = F.linear(x, W, b)
    np.testing.assert_allclose(y, x @ W.T + b, rtol=1e-14)
    ty = torch.nn.functional.linear(torch.from_numpy(x), torch.from_numpy(W), torch.from_numpy(b))
    np.testing.assert_allclose(y, ty.numpy(), rtol=1e-12)
    g = rng.standard_normal((5, 4))
    gx, gw, gb = F.linear_backward(g, x, W, b)
    np.testing.assert_allclose(gx, g @ W, rtol=1e-14)
    np.testing.assert_allclose(gw, g.T @ x, rtol=1e-14)
    np.testing.assert_allclose(gb, g.sum(0), rtol=1e-14)
    assert F.linear_backward(g, x, W, None)[2] is None
    with pytest.raises(ValueError, match=r"linear_backward.*\(5, 4\).*\(5, 3\)"):
        F.linear_backward(g[:, :3], x, W, b)
    with pytest.raises(ValueError, match="linear.*weight"):
        F.linear(x, W.reshape(-1), b)


def test_linear_dtype_follows_float32():
    lin = Linear(3, 2).to(np.float32)
    x = np.ones((4, 3), dtype=np.float32)
    y = lin(x)
    assert y.dtype == np.float32
    gx = lin.backward(np.ones((4, 2), dtype=np.float32))
    assert gx.dtype == np.float32 and lin.weight.grad.dtype == np.float32 and lin.bias.grad.dtype == np.float32
    lin32 = Linear(3, 2, dtype=np.float32)
    assert lin32.weight.dtype == np.float32 and lin32(x).dtype == np.float32


def test_linear_integer_input_becomes_float64():
    lin = Linear(2, 1)
    assert lin(np.array([[1, 2]])).dtype == np.float64
    assert lin([1.0, 2.0]).shape == (1,)


@pytest.mark.parametrize("shape", [(2, 4), (4,), (3, 1, 2)])
def test_linear_shape_error_names_layer_and_shapes(shape):
    lin = Linear(3, 2)
    with pytest.raises(ValueError) as err:
        lin(np.zeros(shape))
    msg = str(err.value)
    assert msg.startswith("Linear:") and "(..., 3)" in msg and str(shape) in msg
    with pytest.raises(ValueError, match="Linear"):
        lin(np.float64(1.0))  # a 0-d input has no in_features axis


@pytest.mark.parametrize("args", [(0, 2), (2, -1), (2.5, 2), (True, 2)])
def test_linear_rejects_bad_sizes(args):
    with pytest.raises(ValueError, match="Linear"):
        Linear(*args)


def test_linear_backward_shape_error():
    lin = Linear(3, 2)
    lin(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"\(4, 2\)"):
        lin.backward(np.zeros((4, 3)))


# -- Identity and Flatten ------------------------------------------------------------------------
def test_identity_matches_torch():
    x = np.random.default_rng(0).standard_normal((2, 3))
    ident = Identity()
    y = ident(x)
    np.testing.assert_array_equal(y, torch.nn.Identity()(torch.from_numpy(x)).numpy())
    g = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(ident.backward(g), g)
    assert repr(ident) == repr(torch.nn.Identity()) and list(ident.parameters()) == []


@pytest.mark.parametrize("start,end", [(1, -1), (0, -1), (1, 2), (2, 3), (-2, -1), (0, 0), (3, 3)])
def test_flatten_matches_torch(start, end):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 4, 5))
    tx = torch.from_numpy(x).requires_grad_()
    ty = torch.nn.Flatten(start, end)(tx)
    g = rng.standard_normal(tuple(ty.shape))
    ty.backward(torch.from_numpy(g))
    fl = Flatten(start, end)
    y = fl(x)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_array_equal(y, ty.detach().numpy())
    gx = fl.backward(g)
    assert gx.shape == x.shape
    np.testing.assert_array_equal(gx, tx.grad.numpy())


def test_flatten_defaults_and_scalar():
    assert Flatten().start_dim == 1 and Flatten().end_dim == -1
    assert Flatten()(np.zeros((8, 1, 28, 28))).shape == (8, 784)
    assert Flatten(0)(np.float64(3.0)).shape == tuple(torch.nn.Flatten(0)(torch.tensor(3.0)).shape) == (1,)


@pytest.mark.parametrize("start,end,shape", [(1, -1, (5,)), (3, -1, (2, 3)), (0, 4, (2, 3)), (2, 1, (2, 3, 4))])
def test_flatten_bad_dims_raise_like_torch(start, end, shape):
    with pytest.raises((IndexError, RuntimeError)):
        torch.nn.Flatten(start, end)(torch.zeros(shape))
    with pytest.raises(ValueError, match="Flatten"):
        Flatten(start, end)(np.zeros(shape))
