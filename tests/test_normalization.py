"""BatchNorm1d/2d and LayerNorm (layers and functional pairs) vs torch float64 and
finite differences: outputs, gradients, running statistics, state_dict, errors."""
import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import nnlib
from nnlib import functional as F
from nnlib import nn
from nnlib.gradcheck import check_function, check_module

# (nnlib class, torch class, input shape): BatchNorm1d takes 2-D and 3-D inputs
BN_CASES = [
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (8, 3)),
    (nn.BatchNorm1d, torch.nn.BatchNorm1d, (4, 3, 5)),
    (nn.BatchNorm2d, torch.nn.BatchNorm2d, (2, 3, 4, 5)),
]
BN_IDS = ["bn1d-2d", "bn1d-3d", "bn2d"]
AFFINE = [{}, {"affine": False}, {"bias": False}]


def _twins(cls, tcls, num_features, seed=0, **kw):
    """An nnlib layer and its torch twin (float64) with the same random weight/bias,
    loaded into nnlib from the torch twin's state_dict."""
    ours, theirs = cls(num_features, **kw), tcls(num_features, **kw).double()
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.rand(p.shape, generator=gen, dtype=torch.float64) + 0.5)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def _step(ours, theirs, x, g):
    """One forward + backward in both: ((y, grad_x) of nnlib, (y, grad_x) of torch)."""
    tx = torch.tensor(x, requires_grad=True)
    ty = theirs(tx)
    ty.backward(torch.tensor(g))
    y = ours(x)
    return (y, ours.backward(g)), (ty.detach().numpy(), tx.grad.numpy())


def _assert_same_state(ours, theirs):
    ts = theirs.state_dict()
    assert list(ours.state_dict()) == list(ts)
    for (key, value), tvalue in zip(ours.state_dict().items(), ts.values()):
        assert value.shape == tuple(tvalue.shape), key
        np.testing.assert_allclose(value, tvalue.numpy(), rtol=1e-12, atol=1e-14,
                                   err_msg=key)


def _assert_same_grads(ours, theirs):
    named = list(ours.named_parameters())
    assert [n for n, _ in named] == [n for n, _ in theirs.named_parameters()]
    for (name, p), tp in zip(named, theirs.parameters()):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


# ------------------------------------------------------------------------ BatchNorm
@pytest.mark.parametrize("cls,tcls,shape", BN_CASES, ids=BN_IDS)
@pytest.mark.parametrize("momentum", [0.1, 0.5, None])
@pytest.mark.parametrize("kw", AFFINE, ids=["affine", "no-affine", "no-bias"])
def test_batchnorm_train_then_eval_vs_torch(cls, tcls, shape, momentum, kw):
    ours, theirs = _twins(cls, tcls, shape[1], momentum=momentum, **kw)
    assert repr(ours) == repr(theirs)
    rng = np.random.default_rng(zlib.crc32(repr((shape, momentum)).encode()))
    for step in range(4):                       # batches with different statistics
        x = rng.uniform(0.5, 3) * rng.standard_normal(shape) + rng.uniform(-2, 2)
        g = rng.standard_normal(shape)
        (y, gx), (ty, tgx) = _step(ours, theirs, x, g)
        np.testing.assert_allclose(y, ty, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gx, tgx, rtol=1e-10, atol=1e-12)
        _assert_same_grads(ours, theirs)        # accumulated over the steps, as torch
        _assert_same_state(ours, theirs)        # running stats, num_batches_tracked
    assert int(ours.num_batches_tracked) == 4
    assert ours.num_batches_tracked.dtype == np.int64
    ours.eval(), theirs.eval()
    for _ in range(2):                          # eval: running stats, no update
        x = 2 * rng.standard_normal(shape) + 1
        g = rng.standard_normal(shape)
        (y, gx), (ty, tgx) = _step(ours, theirs, x, g)
        np.testing.assert_allclose(y, ty, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gx, tgx, rtol=1e-10, atol=1e-12)
        _assert_same_grads(ours, theirs)
        _assert_same_state(ours, theirs)
    assert int(ours.num_batches_tracked) == 4


@pytest.mark.parametrize("cls,tcls,shape", BN_CASES, ids=BN_IDS)
def test_batchnorm_without_running_stats_vs_torch(cls, tcls, shape):
    ours, theirs = _twins(cls, tcls, shape[1], track_running_stats=False)
    assert ours.running_mean is None and ours.running_var is None
    assert ours.num_batches_tracked is None
    assert repr(ours) == repr(theirs)
    _assert_same_state(ours, theirs)            # weight and bias only
    rng = np.random.default_rng(1)
    for mode in ("train", "eval"):              # batch statistics in both modes
        ours.train(mode == "train"), theirs.train(mode == "train")
        x = 3 * rng.standard_normal(shape) - 1
        g = rng.standard_normal(shape)
        (y, gx), (ty, tgx) = _step(ours, theirs, x, g)
        np.testing.assert_allclose(y, ty, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gx, tgx, rtol=1e-10, atol=1e-12)
        _assert_same_grads(ours, theirs)


def test_batchnorm_state_dict_and_load_from_trained_torch():
    torch.manual_seed(0)
    theirs = torch.nn.BatchNorm2d(3).double()
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 2), theirs.bias.uniform_(-1, 1)
    for _ in range(3):
        theirs(torch.randn(4, 3, 2, 2, dtype=torch.float64) * 2 + 1)
    ours = nn.BatchNorm2d(3)
    keys = ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert list(ours.state_dict()) == keys == list(theirs.state_dict())
    fresh = ours.state_dict()
    np.testing.assert_array_equal(fresh["weight"], np.ones(3))
    np.testing.assert_array_equal(fresh["bias"], np.zeros(3))
    np.testing.assert_array_equal(fresh["running_mean"], np.zeros(3))
    np.testing.assert_array_equal(fresh["running_var"], np.ones(3))
    assert fresh["num_batches_tracked"].shape == ()
    assert fresh["num_batches_tracked"] == 0
    ours.load_state_dict(theirs.state_dict())
    _assert_same_state(ours, theirs)
    assert ours.num_batches_tracked.dtype == np.int64
    assert "running_mean" in dict(ours.named_buffers())   # still registered buffers
    ours.eval(), theirs.eval()
    x = np.random.default_rng(2).standard_normal((5, 3, 2, 2))
    np.testing.assert_allclose(ours(x), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12, atol=1e-14)


def test_batchnorm_defaults_and_dtype():
    m = nn.BatchNorm1d(4)
    assert (m.eps, m.momentum, m.affine) == (1e-5, 0.1, True)
    assert m.track_running_stats is True
    assert m.weight.dtype == m.running_mean.dtype == np.float64
    m32 = nn.BatchNorm2d(2, dtype=np.float32)
    assert m32.weight.dtype == m32.running_var.dtype == np.float32
    x = np.random.default_rng(0).standard_normal((3, 2, 2, 2)).astype(np.float32)
    y = m32(x)
    assert y.dtype == np.float32 and m32.backward(np.ones_like(y)).dtype == np.float32
    assert m32.running_mean.dtype == np.float32 and m32.weight.grad.dtype == np.float32
    with pytest.raises(TypeError, match="BatchNorm2d: input has dtype float64"):
        m32(x.astype(np.float64))
    m32.to(np.float64)
    assert m32.running_mean.dtype == np.float64
    assert m32.num_batches_tracked.dtype == np.int64    # integer buffers keep theirs
    with pytest.raises(TypeError, match="BatchNorm1d"):  # no weight: the buffers' dtype
        nn.BatchNorm1d(2, affine=False)(np.ones((3, 2), np.float32))
    bare = nn.BatchNorm1d(2, affine=False, track_running_stats=False)
    assert bare(np.ones((3, 2), np.float32)).dtype == np.float32    # nothing to match


def test_batchnorm_no_grad_updates_running_stats_like_torch():
    ours, theirs = _twins(nn.BatchNorm1d, torch.nn.BatchNorm1d, 3)
    x = np.random.default_rng(3).standard_normal((6, 3))
    with nnlib.no_grad():
        ours(x)
    with torch.no_grad():
        theirs(torch.tensor(x))
    assert ours.pending_backward == 0
    _assert_same_state(ours, theirs)


@pytest.mark.parametrize("cls,tcls,shape", BN_CASES, ids=BN_IDS)
def test_batchnorm_called_twice_then_backward_twice(cls, tcls, shape):
    """LIFO: the second call's backward first; parameter grads are the sum of both."""
    ours, theirs = _twins(cls, tcls, shape[1], momentum=None)
    rng = np.random.default_rng(4)
    x1, x2 = rng.standard_normal(shape), 2 * rng.standard_normal(shape) + 1
    g1, g2 = rng.standard_normal(shape), rng.standard_normal(shape)
    tx1, tx2 = (torch.tensor(v, requires_grad=True) for v in (x1, x2))
    loss = ((theirs(tx1) * torch.tensor(g1)).sum()
            + (theirs(tx2) * torch.tensor(g2)).sum())
    loss.backward()
    ours(x1), ours(x2)
    gx2 = ours.backward(g2)
    gx1 = ours.backward(g1)
    np.testing.assert_allclose(gx1, tx1.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(gx2, tx2.grad.numpy(), rtol=1e-10, atol=1e-12)
    _assert_same_grads(ours, theirs)
    _assert_same_state(ours, theirs)
    with pytest.raises(RuntimeError, match=f"{cls.__name__}.backward"):
        ours.backward(g1)


@pytest.mark.parametrize("cls,tcls,shape", BN_CASES, ids=BN_IDS)
@pytest.mark.parametrize("kw", AFFINE, ids=["affine", "no-affine", "no-bias"])
def test_batchnorm_finite_differences(cls, tcls, shape, kw):
    # check_module's finite-difference calls run the layer again and again: in training
    # mode with tracking they would move the running statistics, so the training check
    # uses track_running_stats=False, and momentum=0 shows the stats are left unchanged
    rng = np.random.default_rng(5)
    x = 2 * rng.standard_normal(shape) + 0.5
    m, _ = _twins(cls, tcls, shape[1], track_running_stats=False, **kw)
    assert max(check_module(m, x, rng=rng).values()) < 1e-7
    m, _ = _twins(cls, tcls, shape[1], momentum=0.0, **kw)
    before = m.state_dict()
    assert max(check_module(m, x, rng=rng).values()) < 1e-7
    for key in ("running_mean", "running_var"):
        np.testing.assert_array_equal(m.state_dict()[key], before[key])
    m.running_mean[...] = rng.standard_normal(shape[1])
    m.running_var[...] = rng.uniform(0.5, 2, shape[1])
    m.eval()
    assert max(check_module(m, x, rng=rng).values()) < 1e-7


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected a 2-D or 3-D input "
                       r"\(N, C\) or \(N, C, L\), got shape \(2, 3, 4, 5\)"):
        nn.BatchNorm1d(3)(np.ones((2, 3, 4, 5)))
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected a 4-D input "
                       r"\(N, C, H, W\), got shape \(2, 3, 4\)"):
        nn.BatchNorm2d(3)(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"BatchNorm1d: expected input with 3 channels "
                       r"in dim 1 \[num_features=3\], got shape \(5, 4\)"):
        nn.BatchNorm1d(3)(np.ones((5, 4)))
    m = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        m(np.ones((1, 3)))
    assert int(m.num_batches_tracked) == 0 and m.pending_backward == 0
    np.testing.assert_array_equal(m.running_var, np.ones(3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm2d(3)(np.ones((1, 3, 1, 1)))
    m.eval()
    assert m(np.ones((1, 3))).shape == (1, 3)     # one sample is fine at evaluation
    with pytest.raises(RuntimeError, match="BatchNorm2d.backward: no forward call"):
        nn.BatchNorm2d(2).backward(np.ones((2, 2, 1, 1)))
    with pytest.raises(ValueError, match="BatchNorm1d: num_features"):
        nn.BatchNorm1d(0)


# ------------------------------------------------------------------------ functional
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 5)])
@pytest.mark.parametrize("training", [True, False])
def test_functional_batch_norm_vs_torch(shape, training):
    rng = np.random.default_rng(6)
    x = 2 * rng.standard_normal(shape) + 1
    g = rng.standard_normal(shape)
    w, b = rng.uniform(0.5, 2, 3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)
    trm, trv = torch.tensor(rm), torch.tensor(rv)
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    ty = TF.batch_norm(tx, trm, trv, tw, tb, training=training, momentum=0.3, eps=1e-3)
    ty.backward(torch.tensor(g))
    y, saved = F.batch_norm_forward(x, rm, rv, w, b, training=training, momentum=0.3,
                                    eps=1e-3)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    y_eval = F.batch_norm(x, rm.copy(), rv.copy(), w, b, False, 0.3, 1e-3)
    ty_eval = TF.batch_norm(tx, trm, trv, tw, tb, eps=1e-3).detach().numpy()
    np.testing.assert_allclose(y_eval, ty_eval, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rm, trm.numpy(), rtol=1e-12)     # updated in place
    np.testing.assert_allclose(rv, trv.numpy(), rtol=1e-12)
    for ours, theirs in zip(F.batch_norm_backward(g, saved, w), (tx, tw, tb)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    # finite differences for input, weight and bias (fresh running stats each call)
    errs = check_function(
        lambda x_, w_, b_: F.batch_norm(x_, rm.copy(), rv.copy(), w_, b_, training),
        lambda r, x_, w_, b_: F.batch_norm_backward(
            r, F.batch_norm_forward(x_, rm.copy(), rv.copy(), w_, b_, training)[1], w_),
        x, w, b, rng=rng)
    assert max(errs) < 1e-7


def test_functional_batch_norm_errors():
    x = np.ones((4, 3))
    with pytest.raises(ValueError, match="batch_norm: running_mean and running_var"):
        F.batch_norm(x, None, None)
    with pytest.raises(ValueError, match=r"expected weight of shape \(3,\)"):
        F.batch_norm(x, None, None, np.ones(4), training=True)
    with pytest.raises(TypeError, match="running_mean must be a numpy array"):
        F.batch_norm(x, [0.0, 0.0, 0.0], np.ones(3), training=True)
    with pytest.raises(ValueError, match="momentum must be a number"):
        F.batch_norm(x, np.zeros(3), np.ones(3), training=True, momentum=None)
    with pytest.raises(ValueError, match="at least 2 dims"):
        F.batch_norm(np.ones(3), None, None, training=True)
    _, saved = F.batch_norm_forward(x, None, None, training=True)
    with pytest.raises(ValueError, match="batch_norm_backward"):
        F.batch_norm_backward(np.ones((4, 2)), saved)


# ------------------------------------------------------------------------ LayerNorm
LN_CASES = [((4,), (5, 4)), (4, (2, 3, 4)), ((3, 4), (2, 3, 4)), ((2, 3, 4), (2, 3, 4)),
            ((6,), (6,))]
LN_KW = [{}, {"elementwise_affine": False}, {"bias": False}, {"eps": 1e-2}]


@pytest.mark.parametrize("normalized_shape,shape", LN_CASES)
@pytest.mark.parametrize("kw", LN_KW, ids=["affine", "no-affine", "no-bias", "eps"])
def test_layernorm_vs_torch(normalized_shape, shape, kw):
    ours = nn.LayerNorm(normalized_shape, **kw)
    theirs = torch.nn.LayerNorm(normalized_shape, **kw).double()
    assert repr(ours) == repr(theirs)
    assert ours.normalized_shape == theirs.normalized_shape
    _assert_same_state(ours, theirs)           # ones and zeros, torch's keys
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(7)
    for mode in (True, False):                 # the same in both modes
        ours.train(mode), theirs.train(mode)
        x = 3 * rng.standard_normal(shape) + 1
        g = rng.standard_normal(shape)
        (y, gx), (ty, tgx) = _step(ours, theirs, x, g)
        np.testing.assert_allclose(y, ty, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(gx, tgx, rtol=1e-10, atol=1e-12)
        _assert_same_grads(ours, theirs)
    assert max(check_module(ours, x, rng=rng).values()) < 1e-7


def test_layernorm_called_twice_then_backward_twice():
    ours = nn.LayerNorm((3, 4))
    theirs = torch.nn.LayerNorm((3, 4)).double()
    with torch.no_grad():
        for p in theirs.parameters():
            p.uniform_(0.5, 1.5)
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(8)
    x1, x2, g1, g2 = (rng.standard_normal((2, 3, 4)) for _ in range(4))
    tx1, tx2 = (torch.tensor(v, requires_grad=True) for v in (x1, x2))
    loss = ((theirs(tx1) * torch.tensor(g1)).sum()
            + (theirs(tx2) * torch.tensor(g2)).sum())
    loss.backward()
    ours(x1), ours(x2)
    np.testing.assert_allclose(ours.backward(g2), tx2.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ours.backward(g1), tx1.grad.numpy(), rtol=1e-10)
    _assert_same_grads(ours, theirs)


@pytest.mark.parametrize("normalized_shape,shape", LN_CASES[:3])
def test_functional_layer_norm_vs_torch(normalized_shape, shape):
    rng = np.random.default_rng(9)
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else normalized_shape
    x, g = rng.standard_normal(shape), rng.standard_normal(shape)
    w, b = rng.uniform(0.5, 2, ns), rng.standard_normal(ns)
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    ty = TF.layer_norm(tx, ns, tw, tb, eps=1e-4)
    ty.backward(torch.tensor(g))
    y, saved = F.layer_norm_forward(x, normalized_shape, w, b, eps=1e-4)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(F.layer_norm(x, normalized_shape, w, b, 1e-4), y)
    for ours, theirs in zip(F.layer_norm_backward(g, saved, w), (tx, tw, tb)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    errs = check_function(
        lambda x_, w_, b_: F.layer_norm(x_, normalized_shape, w_, b_),
        lambda r, x_, w_, b_: F.layer_norm_backward(
            r, F.layer_norm_forward(x_, normalized_shape, w_, b_)[1], w_),
        x, w, b, rng=rng)
    assert max(errs) < 1e-7


def test_layernorm_errors_and_dtype():
    with pytest.raises(ValueError, match=r"LayerNorm: expected input of shape "
                       r"\(\*, 4\) \[normalized_shape=\(4,\)\], got \(2, 3\)"):
        nn.LayerNorm(4)(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"LayerNorm: expected input of shape "
                       r"\(\*, 3, 4\)"):
        nn.LayerNorm((3, 4))(np.ones(4))
    with pytest.raises(ValueError, match="LayerNorm: normalized_shape"):
        nn.LayerNorm((3, 0))
    with pytest.raises(ValueError, match="layer_norm: expected weight of shape"):
        F.layer_norm(np.ones((2, 4)), 4, np.ones(3))
    with pytest.raises(TypeError, match="LayerNorm: input has dtype float32"):
        nn.LayerNorm(4)(np.ones((2, 4), np.float32))
    with pytest.raises(RuntimeError, match="LayerNorm.backward: no forward call"):
        nn.LayerNorm(4).backward(np.ones((2, 4)))
    m = nn.LayerNorm(4, dtype=np.float32)
    y = m(np.ones((2, 4), np.float32))
    assert y.dtype == m.weight.dtype == np.float32
    assert m.backward(np.ones_like(y)).dtype == np.float32


def test_exports():
    assert {"BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout"} <= set(dir(nn))
    assert {"batch_norm", "batch_norm_forward", "batch_norm_backward", "layer_norm",
            "layer_norm_forward", "layer_norm_backward"} <= set(dir(F))
