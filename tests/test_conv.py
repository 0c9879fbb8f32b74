"""Conv1d/2d/3d (layers and functional pairs) vs torch in float64 and finite
differences: outputs, input/weight/bias gradients, init, repr, state_dict, errors."""
import numpy as np
import pytest
import torch

from nnlib import functional as F
from nnlib import nn
from nnlib.gradcheck import check_function, check_module

CLASSES = {1: (nn.Conv1d, torch.nn.Conv1d), 2: (nn.Conv2d, torch.nn.Conv2d),
           3: (nn.Conv3d, torch.nn.Conv3d)}

# (spatial dims, input shape, out_channels, layer keywords): a compact grid of
# strides, paddings, dilations, groups, rectangular kernels, odd sizes, no bias,
# unbatched inputs
CASES = [
    (2, (2, 3, 7, 6), 4, dict(kernel_size=3)),
    (2, (2, 4, 9, 8), 6, dict(kernel_size=(3, 2), stride=2, padding=1, groups=2)),
    (2, (3, 2, 8, 7), 4, dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 2),
                           dilation=2, bias=False)),
    (2, (2, 4, 6, 7), 8, dict(kernel_size=3, padding=1, groups=4)),       # depthwise
    (2, (2, 2, 6, 5), 3, dict(kernel_size=(2, 4), padding="same", dilation=(1, 2))),
    (2, (2, 3, 9, 9), 2, dict(kernel_size=3, stride=3, padding="valid", dilation=2)),
    (2, (3, 1, 5, 6), 2, dict(kernel_size=(1, 3), stride=(1, 2), padding=(0, 1))),
    (2, (2, 5, 6), 3, dict(kernel_size=3, padding=1)),                     # unbatched
    (1, (2, 3, 11), 4, dict(kernel_size=3, stride=2, padding=2, dilation=2)),
    (1, (3, 4, 9), 2, dict(kernel_size=4, padding="same", groups=2, bias=False)),
    (1, (5, 7), 3, dict(kernel_size=2, stride=3)),                           # unbatched
    (3, (2, 2, 5, 4, 6), 4, dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=1,
                              groups=2)),
    (3, (1, 3, 4, 5, 5), 2, dict(kernel_size=3, dilation=(1, 2, 1), padding=(1, 0, 2),
                              bias=False)),
]
IDS = [f"{nd}d-{i}" for i, (nd, _, _, _) in enumerate(CASES)]


def _twins(nd, c_in, c_out, seed=0, **kw):
    """An nnlib layer and its torch twin (float64) with the same weights."""
    cls, tcls = CLASSES[nd]
    ours = cls(c_in, c_out, rng=np.random.default_rng(seed), **kw)
    theirs = tcls(c_in, c_out, **kw).double()
    theirs.load_state_dict({k: torch.from_numpy(v)
                            for k, v in ours.state_dict().items()})
    return ours, theirs


def _torch_step(theirs, x, g):
    tx = torch.from_numpy(x).requires_grad_()
    ty = theirs(tx)
    ty.backward(torch.from_numpy(g))
    return ty.detach().numpy(), tx.grad.numpy()


def _assert_grads(ours, theirs):
    named = list(ours.named_parameters())
    assert [n for n, _ in named] == [n for n, _ in theirs.named_parameters()]
    for (name, p), tp in zip(named, theirs.parameters()):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def _case(i):
    nd, shape, c_out, kw = CASES[i]
    c_in = shape[0] if len(shape) == nd + 1 else shape[1]
    return shape, c_in, c_out, kw, nd


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_conv_layer_matches_torch(i):
    shape, c_in, c_out, kw, nd = _case(i)
    rng = np.random.default_rng(i)
    ours, theirs = _twins(nd, c_in, c_out, **kw)
    x = rng.standard_normal(shape)
    ty = theirs(torch.from_numpy(x)).detach().numpy()
    g = rng.standard_normal(ty.shape)
    y_t, gx_t = _torch_step(theirs, x, g)
    y = ours(x)
    assert y.shape == y_t.shape and y.dtype == np.float64
    np.testing.assert_allclose(y, y_t, rtol=1e-10, atol=1e-12)
    gx = ours.backward(g)
    assert gx.shape == x.shape
    np.testing.assert_allclose(gx, gx_t, rtol=1e-10, atol=1e-12)
    _assert_grads(ours, theirs)
    assert ours.pending_backward == 0


@pytest.mark.parametrize("i", [1, 2, 4, 8, 11], ids=[IDS[i] for i in [1, 2, 4, 8, 11]])
def test_functional_conv_matches_torch(i):
    shape, c_in, c_out, kw, nd = _case(i)
    kw = dict(kw)
    ks = kw.pop("kernel_size")
    ks = ks if isinstance(ks, tuple) else (ks,) * nd
    has_bias = kw.pop("bias", True)
    rng = np.random.default_rng(20 + i)
    x = rng.standard_normal(shape)
    w = rng.standard_normal((c_out, c_in // kw.get("groups", 1)) + ks)
    b = rng.standard_normal(c_out) if has_bias else None
    tconv = getattr(torch.nn.functional, f"conv{nd}d")
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    ty = tconv(tx, tw, tb, **kw)
    g = rng.standard_normal(tuple(ty.shape))
    ty.backward(torch.from_numpy(g))
    y, saved = getattr(F, f"conv{nd}d_forward")(x, w, b, **kw)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(getattr(F, f"conv{nd}d")(x, w, b, **kw), y)
    backward = getattr(F, f"conv{nd}d_backward")
    gx, gw, gb = backward(g, saved, w, b, **kw)
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    if b is None:
        assert gb is None
    else:
        np.testing.assert_allclose(gb, tb.grad.numpy(), rtol=1e-10, atol=1e-12)
    no_gx = backward(g, saved, w, b, needs_input_grad=False, **kw)
    assert no_gx[0] is None
    np.testing.assert_array_equal(no_gx[1], gw)


def test_conv2d_finite_differences():
    rng = np.random.default_rng(4)
    conv = nn.Conv2d(4, 4, (3, 2), stride=2, padding=(1, 2), dilation=(2, 1),
                     groups=2, rng=rng)
    errors = check_module(conv, rng.standard_normal((2, 4, 7, 6)), rng=rng)
    assert set(errors) == {"input", "weight", "bias"}
    assert max(errors.values()) < 1e-7, errors


def test_conv_functional_finite_differences():
    rng = np.random.default_rng(5)
    x, w, b = (rng.standard_normal((2, 2, 7)), rng.standard_normal((3, 2, 3)),
               rng.standard_normal(3))

    def backward(g, x, w, b, **kw):
        return F.conv1d_backward(g, F.conv1d_forward(x, w, b, **kw)[1], w, b, **kw)

    errors = check_function(F.conv1d, backward, x, w, b, stride=2, padding=1, rng=rng)
    assert len(errors) == 3 and max(errors) < 1e-7, errors


def test_conv_called_twice_then_backward_twice_like_torch():
    rng = np.random.default_rng(6)
    ours, theirs = _twins(2, 3, 4, kernel_size=3, padding=1, stride=2)
    xs = [rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((1, 3, 7, 8))]
    txs = [torch.tensor(x, requires_grad=True) for x in xs]
    tys = [theirs(tx) for tx in txs]
    gs = [rng.standard_normal(tuple(ty.shape)) for ty in tys]
    for ty, g in zip(tys[::-1], gs[::-1]):
        ty.backward(torch.from_numpy(g))
    ys = [ours(x) for x in xs]
    assert ours.pending_backward == 2
    for y, ty in zip(ys, tys):
        np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    gx1 = ours.backward(gs[1])   # LIFO: the second call first
    gx0 = ours.backward(gs[0])
    np.testing.assert_allclose(gx1, txs[1].grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gx0, txs[0].grad.numpy(), rtol=1e-10, atol=1e-12)
    _assert_grads(ours, theirs)
    with pytest.raises(RuntimeError, match="Conv2d"):
        ours.backward(gs[0])


@pytest.mark.parametrize("nd,args,kw", [
    (2, (3, 8, 3), {}),
    (2, (4, 8, (3, 5)), dict(stride=2, padding=(1, 2), dilation=2, groups=2,
                             bias=False)),
    (1, (4, 8, 3), dict(padding="same", groups=2)),
    (3, (4, 8, 3), dict(padding="valid")),
    (3, (2, 2, (1, 2, 3)), dict(stride=(1, 2, 1))),
])
def test_conv_repr_state_dict_and_init_like_torch(nd, args, kw):
    cls, tcls = CLASSES[nd]
    ours, theirs = cls(*args, rng=np.random.default_rng(0), **kw), tcls(*args, **kw)
    assert repr(ours) == repr(theirs)
    for name in ("kernel_size", "stride", "padding", "dilation", "groups"):
        assert getattr(ours, name) == getattr(theirs, name), name
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for key in sd:
        assert sd[key].shape == tuple(tsd[key].shape), key
    fan_in = args[0] // kw.get("groups", 1) * int(np.prod(theirs.kernel_size))
    bound = 1 / np.sqrt(fan_in)   # kaiming_uniform_(a=sqrt(5)) and the bias: U(±bound)
    for p in ours.parameters():
        assert np.abs(p.data).max() <= bound


def test_conv_init_uses_the_whole_interval_and_is_reproducible():
    a = nn.Conv2d(6, 16, 5, rng=np.random.default_rng(1))
    b = nn.Conv2d(6, 16, 5, rng=np.random.default_rng(1))
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert np.abs(a.weight.data).max() > 0.95 / np.sqrt(150)


@pytest.mark.parametrize("make", [
    lambda: nn.Conv2d(3, 4, 3, padding=1, dtype=np.float32),
    lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, dtype=np.float32)],
    ids=["Conv2d", "ConvTranspose2d"])
def test_conv_float32_keeps_dtype(make):
    conv = make()
    x = np.random.default_rng(0).standard_normal((2, 3, 5, 5)).astype(np.float32)
    y = conv(x)
    assert y.dtype == np.float32
    gx = conv.backward(np.ones_like(y))
    assert gx.dtype == np.float32
    assert conv.weight.grad.dtype == np.float32 and conv.bias.grad.dtype == np.float32


def test_conv_output_size():
    assert F.conv_output_size(28, 5) == 24
    assert F.conv_output_size(7, 3, stride=2, padding=1, dilation=2) == 3
    assert F.conv_output_size((32, 9), 3, (2, 1), 1) == (16, 9)
    for i in range(len(CASES)):
        shape, c_in, c_out, kw, nd = _case(i)
        if isinstance(kw.get("padding", 0), str):
            continue
        _, theirs = _twins(nd, c_in, c_out, **kw)
        ty = theirs(torch.zeros(shape, dtype=torch.float64))
        size = F.conv_output_size(shape[-nd:], kw["kernel_size"], kw.get("stride", 1),
                                  kw.get("padding", 0), kw.get("dilation", 1))
        assert tuple(ty.shape[-nd:]) == (size if isinstance(size, tuple) else (size,))


def test_conv_errors_name_the_layer_and_shapes():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"Conv2d.*3 channels.*\(2, 2, 5, 5\)"):
        conv(np.zeros((2, 2, 5, 5)))
    with pytest.raises(ValueError, match=r"Conv2d.*4-D.*\(3, 5\)"):
        conv(np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"conv2d.*kernel \(3, 3\).*\(2, 5\)"):
        conv(np.zeros((1, 3, 2, 5)))
    with pytest.raises(TypeError, match="Conv2d.*float32.*float64"):
        conv(np.zeros((1, 3, 5, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="Conv2d.*divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="Conv1d.*same.*strided"):
        nn.Conv1d(2, 2, 3, padding="same", stride=2)
    with pytest.raises(ValueError, match="Conv2d.*kernel_size"):
        nn.Conv2d(2, 2, (3, 3, 3))
    with pytest.raises(ValueError, match="Conv2d.*padding_mode"):
        nn.Conv2d(2, 2, 3, padding_mode="reflect")
    with pytest.raises(RuntimeError, match="Conv2d"):
        conv.backward(np.zeros((1, 4, 3, 3)))
    conv(np.zeros((1, 3, 5, 5)))
    with pytest.raises(ValueError, match=r"conv2d_backward.*\(1, 4, 3, 3\)"):
        conv.backward(np.zeros((1, 4, 3, 4)))
    w = np.zeros((4, 3, 3, 3))
    with pytest.raises(TypeError, match="conv2d.*dtype"):
        F.conv2d(np.zeros((1, 3, 5, 5), dtype=np.float32), w)
    with pytest.raises(ValueError, match="conv2d.*weight"):
        F.conv2d(np.zeros((1, 3, 5, 5)), w[0])
    with pytest.raises(ValueError, match="conv2d.*bias"):
        F.conv2d(np.zeros((1, 3, 5, 5)), w, np.zeros(3))
    with pytest.raises(ValueError, match="conv2d.*stride"):
        F.conv2d(np.zeros((1, 3, 5, 5)), w, stride=0)


@pytest.mark.parametrize("i", range(len(CASES)), ids=IDS)
def test_col2im_is_the_adjoint_of_im2col_and_the_fast_input_grad_agrees(i):
    """<unfold(x), c> = <x, fold(c)>, and _conv_input_grad (one tap at a time) equals
    the reference _fold of the whole W^T G."""
    from nnlib.functional import conv as C
    shape, c_in, c_out, kw, nd = _case(i)
    rng = np.random.default_rng(40 + i)
    x = rng.standard_normal(shape if len(shape) == nd + 2 else (1,) + shape)
    ks = kw["kernel_size"]
    kernel = ks if isinstance(ks, tuple) else (ks,) * nd
    groups = kw.get("groups", 1)
    stride, pads, dilation = C._geometry(kernel, kw.get("stride", 1),
                                         kw.get("padding", 0), kw.get("dilation", 1),
                                         "test")
    cols, out_size = C._unfold(x, kernel, stride, pads, dilation, groups)
    c = rng.standard_normal(cols.shape)
    folded = C._fold(c, x.shape[2:], kernel, stride, pads, dilation, out_size)
    np.testing.assert_allclose(np.sum(cols * c), np.sum(x * folded), rtol=1e-12)
    w = rng.standard_normal((c_out, c_in // groups) + kernel)
    g = rng.standard_normal((x.shape[0], c_out) + out_size)
    gcols = C._weight_matrices(w, groups).swapaxes(1, 2) @ g.reshape(
        x.shape[0], groups, c_out // groups, -1)
    np.testing.assert_allclose(
        C._conv_input_grad(g, w, groups, x.shape[2:], stride, pads, dilation),
        C._fold(gcols, x.shape[2:], kernel, stride, pads, dilation, out_size),
        rtol=1e-12, atol=1e-12)
