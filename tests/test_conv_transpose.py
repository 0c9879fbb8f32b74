"""ConvTranspose2d and conv_transpose2d (functional pair) vs torch in float64 and
finite differences: outputs, input/weight/bias gradients, the layer called twice
before backward, init, repr, state_dict, output sizes, errors."""
import numpy as np
import pytest
import torch

from nnlib import functional as F
from nnlib import nn
from nnlib.gradcheck import check_function, check_module

# (input shape, out_channels, layer keywords): strides 1-3, padding, output_padding
# (also >= stride, allowed by a larger dilation), dilation, groups, rectangular
# kernels, odd sizes, batch > 1, unbatched inputs, no bias
CASES = [
    ((2, 3, 5, 4), 4, dict(kernel_size=3)),
    ((2, 4, 5, 6), 6, dict(kernel_size=(3, 2), stride=2, padding=1, output_padding=1,
                           groups=2)),
    ((3, 2, 4, 5), 3, dict(kernel_size=(2, 3), stride=(3, 1), padding=(1, 0),
                           output_padding=(2, 0), bias=False)),
    ((2, 3, 3, 4), 2, dict(kernel_size=3, stride=1, dilation=(2, 3),
                           output_padding=(1, 2), padding=(2, 1))),
    ((2, 4, 4, 3), 4, dict(kernel_size=3, stride=2, padding=1, groups=4)),  # depthwise
    ((2, 2, 3, 3), 3, dict(kernel_size=4, stride=2, padding=1)),            # 2× upsample
    ((2, 3, 6, 5), 2, dict(kernel_size=(1, 3), stride=(2, 3), dilation=2,
                           output_padding=(1, 1))),
    ((3, 4, 5), 2, dict(kernel_size=3, stride=2, padding=1, output_padding=1)),
    ((2, 3, 7), 4, dict(kernel_size=(3, 1), stride=(1, 2), groups=2, bias=False)),
    ((1, 1, 1, 1), 2, dict(kernel_size=1)),
]
IDS = [f"case{i}" for i in range(len(CASES))]


def _layer_pair(c_in, c_out, seed=0, **kw):
    ours = nn.ConvTranspose2d(c_in, c_out, rng=np.random.default_rng(seed), **kw)
    theirs = torch.nn.ConvTranspose2d(c_in, c_out, **kw).double()
    theirs.load_state_dict({k: torch.from_numpy(v)
                            for k, v in ours.state_dict().items()})
    return ours, theirs


def _close(a, b, msg=""):
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12, err_msg=msg)


def _assert_grads(ours, theirs):
    named = list(ours.named_parameters())
    assert [n for n, _ in named] == [n for n, _ in theirs.named_parameters()]
    for (name, p), tp in zip(named, theirs.parameters()):
        _close(p.grad, tp.grad.numpy(), name)


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_conv_transpose_layer_matches_torch(i):
    shape, c_out, kw = CASES[i]
    c_in = shape[-3]
    rng = np.random.default_rng(i)
    ours, theirs = _layer_pair(c_in, c_out, **kw)
    x = rng.standard_normal(shape)
    tx = torch.tensor(x, requires_grad=True)
    ty = theirs(tx)
    g = rng.standard_normal(tuple(ty.shape))
    ty.backward(torch.from_numpy(g))
    y = ours(x)
    assert y.shape == tuple(ty.shape) and y.dtype == np.float64
    _close(y, ty.detach().numpy())
    gx = ours.backward(g)
    assert gx.shape == x.shape
    _close(gx, tx.grad.numpy())
    _assert_grads(ours, theirs)
    assert ours.pending_backward == 0


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_functional_conv_transpose_matches_torch(i):
    shape, c_out, kw = CASES[i]
    kw = dict(kw)
    ks = kw.pop("kernel_size")
    ks = ks if isinstance(ks, tuple) else (ks, ks)
    has_bias = kw.pop("bias", True)
    groups = kw.get("groups", 1)
    rng = np.random.default_rng(20 + i)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((shape[-3], c_out // groups) + ks)
    b = rng.standard_normal(c_out) if has_bias else None
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    ty = torch.nn.functional.conv_transpose2d(tx, tw, tb, **kw)
    g = rng.standard_normal(tuple(ty.shape))
    ty.backward(torch.from_numpy(g))
    y, saved = F.conv_transpose2d_forward(x, w, b, **kw)
    _close(y, ty.detach().numpy())
    np.testing.assert_array_equal(F.conv_transpose2d(x, w, b, **kw), y)
    gx, gw, gb = F.conv_transpose2d_backward(g, saved, w, b, **kw)
    _close(gx, tx.grad.numpy())
    _close(gw, tw.grad.numpy())
    if b is None:
        assert gb is None
    else:
        _close(gb, tb.grad.numpy())
    no_gx = F.conv_transpose2d_backward(g, saved, w, b, needs_input_grad=False, **kw)
    assert no_gx[0] is None
    np.testing.assert_array_equal(no_gx[1], gw)


def test_conv_transpose_is_the_input_gradient_of_conv2d():
    """The relationship the implementation is built on, both ways round."""
    rng = np.random.default_rng(3)
    kw = dict(stride=2, padding=1, dilation=1, groups=2)
    x = rng.standard_normal((2, 4, 7, 7))
    w = rng.standard_normal((6, 2, 3, 3))                # conv2d: 4 -> 6 channels
    y, saved = F.conv2d_forward(x, w, **kw)
    g = rng.standard_normal(y.shape)
    gx, _, _ = F.conv2d_backward(g, saved, w, **kw)
    _close(F.conv_transpose2d(g, w, **kw), gx)         # ConvT(G) = ∂conv/∂x · G
    r = rng.standard_normal(x.shape)                     # ∂L/∂ConvT(G)
    gt, _, _ = F.conv_transpose2d_backward(r, g, w, **kw)
    _close(gt, F.conv2d(r, w, **kw))                     # ∂ConvT/∂G · r = conv2d(r)


def test_conv_transpose_finite_differences():
    rng = np.random.default_rng(4)
    layer = nn.ConvTranspose2d(4, 2, (3, 2), stride=(2, 3), padding=(1, 0),
                               output_padding=(1, 2), groups=2, dilation=(1, 2),
                               rng=rng)
    errors = check_module(layer, rng.standard_normal((2, 4, 3, 4)), rng=rng)
    assert set(errors) == {"input", "weight", "bias"}
    assert max(errors.values()) < 1e-7, errors
    x, w, b = (rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 2, 2, 3)),
               rng.standard_normal(2))

    def backward(g, x, w, b, **kw):
        return F.conv_transpose2d_backward(
            g, F.conv_transpose2d_forward(x, w, b, **kw)[1], w, b, **kw)

    errors = check_function(F.conv_transpose2d, backward, x, w, b, stride=2,
                            padding=1, output_padding=1, rng=rng)
    assert len(errors) == 3 and max(errors) < 1e-7, errors


def test_conv_transpose_called_twice_then_backward_twice_like_torch():
    rng = np.random.default_rng(6)
    ours, theirs = _layer_pair(3, 4, kernel_size=3, padding=1, stride=2,
                               output_padding=1)
    xs = [rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((1, 3, 3, 3))]
    txs = [torch.tensor(x, requires_grad=True) for x in xs]
    tys = [theirs(tx) for tx in txs]
    gs = [rng.standard_normal(tuple(ty.shape)) for ty in tys]
    for ty, g in zip(tys[::-1], gs[::-1]):
        ty.backward(torch.from_numpy(g))
    ys = [ours(x) for x in xs]
    assert ours.pending_backward == 2
    for y, ty in zip(ys, tys):
        _close(y, ty.detach().numpy())
    gx1 = ours.backward(gs[1])   # LIFO: the second call first
    gx0 = ours.backward(gs[0])
    _close(gx1, txs[1].grad.numpy())
    _close(gx0, txs[0].grad.numpy())
    _assert_grads(ours, theirs)   # the two calls' parameter gradients add up
    with pytest.raises(RuntimeError, match="ConvTranspose2d"):
        ours.backward(gs[0])


@pytest.mark.parametrize("args,kw", [
    ((3, 8, 3), {}),
    ((4, 8, (3, 5)), dict(stride=2, padding=(1, 2), output_padding=1, dilation=2,
                          groups=2, bias=False)),
    ((4, 2, 4), dict(stride=(2, 1), output_padding=(1, 0), groups=2)),
    ((2, 6, 1), dict(stride=3, dilation=2, output_padding=2)),
])
def test_conv_transpose_repr_state_dict_and_init_like_torch(args, kw):
    ours = nn.ConvTranspose2d(*args, rng=np.random.default_rng(0), **kw)
    theirs = torch.nn.ConvTranspose2d(*args, **kw)
    assert repr(ours) == repr(theirs)
    for name in ("in_channels", "out_channels", "kernel_size", "stride", "padding",
                 "output_padding", "dilation", "groups", "padding_mode"):
        assert getattr(ours, name) == getattr(theirs, name), name
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for key in sd:
        assert sd[key].shape == tuple(tsd[key].shape), key
    # torch's fan-in of the (C_in, C_out/groups, *k) weight is C_out/groups·prod(k)
    fan_in, _ = torch.nn.init._calculate_fan_in_and_fan_out(theirs.weight)
    assert fan_in == args[1] // kw.get("groups", 1) * int(np.prod(theirs.kernel_size))
    bound = 1 / np.sqrt(fan_in)   # kaiming_uniform_(a=sqrt(5)) and the bias: U(±bound)
    for p, tp in zip(ours.parameters(), theirs.parameters()):
        assert np.abs(p.data).max() <= bound
        assert np.abs(tp.detach().numpy()).max() <= bound


def test_conv_transpose_init_statistics():
    """U(-b, b) with b = 1/sqrt(C_out/groups·k²): uses the whole interval, the
    variance b²/3, and is reproducible from the rng."""
    a = nn.ConvTranspose2d(64, 32, 4, groups=2, rng=np.random.default_rng(1))
    b = nn.ConvTranspose2d(64, 32, 4, groups=2, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    bound = 1 / np.sqrt(16 * 16)
    w = a.weight.data
    assert w.shape == (64, 16, 4, 4)
    assert 0.95 * bound < np.abs(w).max() <= bound
    assert abs(w.var() / (bound ** 2 / 3) - 1) < 0.05
    assert np.abs(a.bias.data).max() <= bound


# float32: tests/test_conv.py::test_conv_float32_keeps_dtype covers ConvTranspose2d


def test_conv_transpose_output_size():
    assert F.conv_transpose_output_size(16, 4, 2, 1) == 32
    assert F.conv_transpose_output_size((7, 7), 3, 2, 1, 1) == (14, 14)
    assert F.conv_transpose_output_size(5, 3, dilation=2, output_padding=1) == 10
    for shape, c_out, kw in CASES:
        _, theirs = _layer_pair(shape[-3], c_out, **kw)
        ty = theirs(torch.zeros(shape, dtype=torch.float64))
        size = F.conv_transpose_output_size(
            shape[-2:], kw["kernel_size"], kw.get("stride", 1), kw.get("padding", 0),
            kw.get("output_padding", 0), kw.get("dilation", 1))
        assert tuple(ty.shape[-2:]) == size
        # a convolution with the same arguments maps it back to the input size
        if kw.get("output_padding", 0) == 0:
            assert F.conv_output_size(size, kw["kernel_size"], kw.get("stride", 1),
                                      kw.get("padding", 0),
                                      kw.get("dilation", 1)) == shape[-2:]


def test_conv_transpose_errors_name_the_function_and_shapes():
    layer = nn.ConvTranspose2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"ConvTranspose2d.*3 channels.*\(2, 2, 5, 5\)"):
        layer(np.zeros((2, 2, 5, 5)))
    with pytest.raises(TypeError, match="ConvTranspose2d.*float32.*float64"):
        layer(np.zeros((1, 3, 5, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"ConvTranspose2d.*output_padding.*\(2, 2\)"):
        nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="ConvTranspose2d.*divisible by groups"):
        nn.ConvTranspose2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="ConvTranspose2d.*padding.*'same'"):
        nn.ConvTranspose2d(3, 4, 3, padding="same")
    with pytest.raises(ValueError, match="ConvTranspose2d.*padding_mode"):
        nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")
    with pytest.raises(TypeError, match="Conv2d.*output_padding"):
        nn.Conv2d(3, 4, 3, stride=2, output_padding=1)
    with pytest.raises(RuntimeError, match="ConvTranspose2d"):
        layer.backward(np.zeros((1, 4, 7, 7)))
    layer(np.zeros((1, 3, 5, 5)))
    with pytest.raises(ValueError,
                       match=r"conv_transpose2d_backward.*\(1, 4, 7, 7\).*\(1, 4, 7, 6\)"):
        layer.backward(np.zeros((1, 4, 7, 6)))
    w = np.zeros((3, 2, 3, 3))
    x = np.zeros((1, 3, 4, 4))
    with pytest.raises(ValueError, match=r"conv_transpose2d: output_padding.*\(1, 1\)"):
        F.conv_transpose2d(x, w, output_padding=1)
    with pytest.raises(ValueError, match="conv_transpose2d.*too large"):
        F.conv_transpose2d(x, w, padding=4)
    with pytest.raises(TypeError, match="conv_transpose2d.*dtype"):
        F.conv_transpose2d(x.astype(np.float32), w)
    with pytest.raises(ValueError, match=r"conv_transpose2d.*weight.*\(2, 3, 3\)"):
        F.conv_transpose2d(x, w[0])
    with pytest.raises(ValueError, match=r"conv_transpose2d.*bias.*\(2,\)"):
        F.conv_transpose2d(x, w, np.zeros(3))
    with pytest.raises(ValueError, match=r"conv_transpose2d.*bias.*\(6,\)"):
        F.conv_transpose2d(x, w, np.zeros(2), groups=3)
    with pytest.raises(ValueError, match="conv_transpose2d.*groups.*C_in=3"):
        F.conv_transpose2d(x, w, groups=2)
    with pytest.raises(ValueError, match=r"conv_transpose2d.*4 channels.*\(1, 3, 4, 4\)"):
        F.conv_transpose2d(x, np.zeros((4, 2, 3, 3)))
    with pytest.raises(ValueError, match="conv_transpose2d.*stride"):
        F.conv_transpose2d(x, w, stride=0)
    with pytest.raises(ValueError, match="conv_transpose2d.*4-D.*\\(4,\\)"):
        F.conv_transpose2d(np.zeros(4), w)
