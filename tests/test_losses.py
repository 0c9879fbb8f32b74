"""nnlib.functional losses and nnlib.nn loss modules vs torch (float64 values and autograd gradients)
and vs central finite differences; extreme logits; error messages; property tests."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnlib import functional as F
from nnlib.gradcheck import numerical_grad as numeric_grad  # tested on its own in test_gradcheck.py
from nnlib import nn

RTOL = 1e-10
REDUCTIONS = ["mean", "sum", "none"]


# -- helpers ----------------------------------------------------------------------------------


def _t(v):
    if v is None or isinstance(v, str) or type(v) in (int, float):
        return v
    return torch.tensor(np.asarray(v))


def torch_loss(name, x, target, g, **kw):
    """torch's value and d(loss)/d(input) (with upstream gradient ``g``)."""
    xt = torch.tensor(x, requires_grad=True)
    out = getattr(TF, name)(xt, _t(target), **{k: _t(v) for k, v in kw.items()})
    out.backward(torch.tensor(np.asarray(g, dtype=np.float64)).reshape(out.shape))
    return out.detach().numpy(), xt.grad.numpy()


def upstream(reduction, shape, rng):
    return rng.normal(size=shape) if reduction == "none" else np.array(0.7)


def backward_of(name):
    """``(grad, input, target, **kw) -> grad_input``; cross-entropy's backward takes the
    probabilities that its forward saves, the other losses take the input."""
    if name != "cross_entropy":
        return getattr(F, f"{name}_backward")

    def bwd(g, x, target, **kw):
        _, probs = F.cross_entropy_forward(x, target, **kw)
        return F.cross_entropy_backward(g, probs, target, **kw)
    return bwd


def ce_grad(x, t, **kw):
    return backward_of("cross_entropy")(1.0, x, t, **kw)


def check_against_torch(name, x, target, reduction, rng, rtol=RTOL, atol=1e-14, **kw):
    fwd, bwd = getattr(F, name), backward_of(name)
    val = fwd(x, target, reduction=reduction, **kw)
    g = upstream(reduction, np.shape(val), rng)
    ref, ref_grad = torch_loss(name, x, target, g, reduction=reduction, **kw)
    np.testing.assert_allclose(val, ref, rtol=rtol, atol=atol)
    np.testing.assert_allclose(bwd(g, x, target, reduction=reduction, **kw), ref_grad, rtol=rtol, atol=atol)
    if reduction != "none":
        assert np.ndim(val) == 0 and val.dtype == x.dtype
    return val, g


def check_finite_differences(name, x, target, reduction, g, **kw):
    fwd, bwd = getattr(F, name), backward_of(name)
    num = numeric_grad(lambda z: float(np.sum(g * fwd(z, target, reduction=reduction, **kw))), x)
    np.testing.assert_allclose(bwd(g, x, target, reduction=reduction, **kw), num, rtol=1e-6, atol=1e-8)


# -- regression losses ---------------------------------------------------------------------------
SHAPES = [(), (5,), (3, 4), (2, 3, 2)]
REGRESSION = [("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {}),
              ("huber_loss", {"delta": 0.5}), ("huber_loss", {"delta": 2.5})]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name,kw", REGRESSION)
def test_regression_losses(name, kw, shape):
    rng = np.random.default_rng(0)
    x, y = np.asarray(2 * rng.normal(size=shape)), np.asarray(2 * rng.normal(size=shape))
    for reduction in REDUCTIONS:
        _, g = check_against_torch(name, x, y, reduction, rng, **kw)
        check_finite_differences(name, x, y, reduction, g, **kw)


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0])
def test_huber_at_the_kink_and_l1_at_zero(delta):
    rng = np.random.default_rng(1)
    y = np.array([0.0, 1.0, -2.0, 3.0, 0.25])
    x = y + np.array([delta, -delta, 0.0, 10 * delta, -0.1 * delta])     # |d| = delta exactly, 0, far, near
    check_against_torch("huber_loss", x, y, "none", rng, delta=delta)
    check_against_torch("l1_loss", x, y, "none", rng)
    # the quadratic and the linear piece meet: value and slope continuous at |d| = delta
    d = np.array([delta * (1 - 1e-9), delta * (1 + 1e-9)])
    v = F.huber_loss(d, np.zeros(2), reduction="none", delta=delta)
    assert abs(v[0] - v[1]) < 1e-8 and abs(v[1] - 0.5 * delta**2) < 1e-8


# -- binary cross-entropy ----------------------------------------------------------------------------
@pytest.mark.parametrize("shape,wshape", [((6,), None), ((3, 4), None), ((3, 4), (4,)),
                                          ((3, 4), (3, 1)), ((2, 3, 2), (2, 3, 2))])
@pytest.mark.parametrize("soft", [False, True])
def test_bce(shape, wshape, soft):
    rng = np.random.default_rng(2)
    p = rng.uniform(0.05, 0.95, size=shape)
    y = rng.uniform(0, 1, size=shape) if soft else rng.integers(0, 2, size=shape).astype(np.float64)
    w = None if wshape is None else rng.uniform(0.5, 2, size=wshape)
    for reduction in REDUCTIONS:
        _, g = check_against_torch("binary_cross_entropy", p, y, reduction, rng, weight=w)
        check_finite_differences("binary_cross_entropy", p, y, reduction, g, weight=w)


def test_bce_clamps_log_like_torch():
    rng = np.random.default_rng(3)
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-10, 1 - 1e-10, 1e-50, 0.5])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.3])
    for reduction in REDUCTIONS:
        val, _ = check_against_torch("binary_cross_entropy", p, y, reduction, rng)
        assert np.all(np.isfinite(val))
    assert F.binary_cross_entropy(p[:2], y[:2], reduction="none").tolist() == [100.0, 100.0]


@pytest.mark.parametrize("shape,wshape,pwshape", [((6,), None, None), ((3, 4), None, (4,)),
                                                  ((3, 4), (3, 1), None), ((3, 4), (4,), (4,)),
                                                  ((2, 3, 2), None, (2,))])
def test_bce_with_logits(shape, wshape, pwshape):
    rng = np.random.default_rng(4)
    z = 3 * rng.normal(size=shape)
    y = rng.uniform(0, 1, size=shape)
    w = None if wshape is None else rng.uniform(0.5, 2, size=wshape)
    pw = None if pwshape is None else rng.uniform(0.5, 3, size=pwshape)
    for reduction in REDUCTIONS:
        _, g = check_against_torch("binary_cross_entropy_with_logits", z, y, reduction, rng,
                                   weight=w, pos_weight=pw)
        check_finite_differences("binary_cross_entropy_with_logits", z, y, reduction, g,
                                 weight=w, pos_weight=pw)


@pytest.mark.parametrize("scale", [1000.0, 1e4])
def test_bce_with_logits_extreme(scale):
    rng = np.random.default_rng(5)
    z = np.array([scale, -scale, scale, -scale, 0.0, 30.0, -40.0])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    for reduction in REDUCTIONS:
        val, _ = check_against_torch("binary_cross_entropy_with_logits", z, y, reduction, rng)
        assert np.all(np.isfinite(val))
        check_against_torch("binary_cross_entropy_with_logits", z, y, reduction, rng,
                            pos_weight=np.array(2.0))
    per = F.binary_cross_entropy_with_logits(z, y, reduction="none")
    assert per[0] == 0.0 and per[1] == 0.0 and per[2] == scale and per[3] == scale


def test_bce_with_logits_equals_bce_of_sigmoid():
    z = np.linspace(-5, 5, 11)
    y = (z > 0.3).astype(float)
    p = 1 / (1 + np.exp(-z))
    assert abs(F.binary_cross_entropy_with_logits(z, y) - F.binary_cross_entropy(p, y)) < 1e-12
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits_backward(1.0, z, y),
                               F.binary_cross_entropy_backward(1.0, p, y) * p * (1 - p), rtol=1e-10)


# -- NLL and cross-entropy ----------------------------------------------------------------------------
CLASS_SHAPES = [(5,), (4, 5), (3, 4, 2), (2, 3, 2, 2)]


def class_targets(shape, rng, ignore_index=None):
    cdim = 0 if len(shape) == 1 else 1
    tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
    t = rng.integers(0, shape[cdim], size=tshape)
    if ignore_index is not None and t.ndim:
        t.flat[::3] = ignore_index
    return np.asarray(t, dtype=np.int64)


@pytest.mark.parametrize("shape", CLASS_SHAPES)
@pytest.mark.parametrize("weighted,ignore", [(False, None), (True, None), (True, 1), (False, -100)])
def test_nll_loss(shape, weighted, ignore):
    rng = np.random.default_rng(6)
    cdim = 0 if len(shape) == 1 else 1
    x = rng.normal(size=shape)
    t = class_targets(shape, rng, ignore)
    kw = {"weight": rng.uniform(0.5, 2, size=shape[cdim]) if weighted else None}
    if ignore is not None:
        kw["ignore_index"] = ignore
    for reduction in REDUCTIONS:
        val, g = check_against_torch("nll_loss", x, t, reduction, rng, **kw)
        if reduction != "sum" and np.all(np.isfinite(val)):   # all targets ignored: 'mean' is nan
            check_finite_differences("nll_loss", x, t, reduction, g, **kw)


@pytest.mark.parametrize("shape", CLASS_SHAPES)
@pytest.mark.parametrize("weighted,ignore,smoothing", [(False, None, 0.0), (True, None, 0.0),
                                                       (True, 2, 0.0), (False, None, 0.1),
                                                       (True, 1, 0.2)])
def test_cross_entropy_class_indices(shape, weighted, ignore, smoothing):
    rng = np.random.default_rng(7)
    cdim = 0 if len(shape) == 1 else 1
    x = 2 * rng.normal(size=shape)
    t = class_targets(shape, rng, ignore)
    kw = {"weight": rng.uniform(0.5, 2, size=shape[cdim]) if weighted else None,
          "label_smoothing": smoothing}
    if ignore is not None:
        kw["ignore_index"] = ignore
    for reduction in REDUCTIONS:
        val, g = check_against_torch("cross_entropy", x, t, reduction, rng, **kw)
        if reduction == "none" or (reduction == "mean" and len(shape) < 3 and np.isfinite(val)):
            check_finite_differences("cross_entropy", x, t, reduction, g, **kw)


@pytest.mark.parametrize("shape", CLASS_SHAPES)
@pytest.mark.parametrize("weighted,smoothing", [(False, 0.0), (True, 0.0), (True, 0.15)])
def test_cross_entropy_probabilities(shape, weighted, smoothing):
    rng = np.random.default_rng(8)
    cdim = 0 if len(shape) == 1 else 1
    x = 2 * rng.normal(size=shape)
    q = F.softmax(rng.normal(size=shape), cdim)
    kw = {"weight": rng.uniform(0.5, 2, size=shape[cdim]) if weighted else None,
          "label_smoothing": smoothing}
    for reduction in REDUCTIONS:
        _, g = check_against_torch("cross_entropy", x, q, reduction, rng, **kw)
        if reduction == "none":
            check_finite_differences("cross_entropy", x, q, reduction, g, **kw)


@pytest.mark.parametrize("scale", [1000.0, 1e4])
def test_cross_entropy_extreme_logits(scale):
    rng = np.random.default_rng(9)
    x = np.array([[scale, -scale, 0.0], [-scale, scale, 0.0], [scale, scale, -scale], [0.0, 0.0, 0.0]])
    t = np.array([0, 0, 2, 1])
    for reduction in REDUCTIONS:
        val, _ = check_against_torch("cross_entropy", x, t, reduction, rng, atol=1e-15)
        assert np.all(np.isfinite(val))
        check_against_torch("cross_entropy", x, t, reduction, rng, atol=1e-15, label_smoothing=0.1)
    per = F.cross_entropy(x, t, reduction="none")
    assert per[0] == 0.0 and per[1] == 2 * scale


def test_cross_entropy_is_log_softmax_plus_nll_and_softmax_minus_onehot():
    rng = np.random.default_rng(10)
    x, t = rng.normal(size=(6, 4)), rng.integers(0, 4, size=6)
    logp = F.log_softmax(x, 1)
    assert F.cross_entropy(x, t) == F.nll_loss(logp, t)
    onehot = np.eye(4)[t]
    np.testing.assert_allclose(ce_grad(x, t), (F.softmax(x, 1) - onehot) / 6, rtol=1e-12)
    chain = F.log_softmax_backward(F.nll_loss_backward(1.0, logp, t), logp, 1)
    np.testing.assert_allclose(ce_grad(x, t), chain, rtol=1e-12, atol=1e-16)
    # probability targets that are one-hot give the class-index result
    assert abs(F.cross_entropy(x, onehot) - F.cross_entropy(x, t)) < 1e-12


def test_all_targets_ignored_gives_nan_mean_and_zero_grad_like_torch():
    x = np.zeros((3, 4))
    t = np.full(3, -100)
    assert np.isnan(F.cross_entropy(x, t)) and np.isnan(F.nll_loss(x, t))
    assert np.all(ce_grad(x, t) == 0)
    assert np.all(F.nll_loss_backward(1.0, x, t) == 0)


def test_float32_follows_input():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(4, 3)).astype(np.float32)
    t = rng.integers(0, 3, size=4)
    v = F.cross_entropy(x, t)
    assert v.dtype == np.float32 and ce_grad(x, t).dtype == np.float32
    ref = TF.cross_entropy(torch.tensor(x), torch.tensor(t)).item()
    assert abs(float(v) - ref) < 1e-6
    assert F.mse_loss(x, x + 1).dtype == np.float32


# -- modules -------------------------------------------------------------------------------------------
def module_cases(rng):
    x = rng.normal(size=(4, 3))
    y = rng.normal(size=(4, 3))
    p = rng.uniform(0.05, 0.95, size=(4, 3))
    b = rng.integers(0, 2, size=(4, 3)).astype(float)
    t = np.array([0, 2, 1, 2])
    w = np.array([0.5, 1.0, 2.0])
    return [
        (nn.MSELoss(), torch.nn.MSELoss(), x, y),
        (nn.L1Loss(reduction="sum"), torch.nn.L1Loss(reduction="sum"), x, y),
        (nn.HuberLoss(delta=0.7), torch.nn.HuberLoss(delta=0.7), x, y),
        (nn.HuberLoss(), torch.nn.HuberLoss(), x, y),
        (nn.BCELoss(), torch.nn.BCELoss(), p, b),
        (nn.BCELoss(weight=w), torch.nn.BCELoss(weight=torch.tensor(w)), p, b),
        (nn.BCEWithLogitsLoss(pos_weight=w), torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(w)), x, b),
        (nn.NLLLoss(weight=w), torch.nn.NLLLoss(weight=torch.tensor(w)), F.log_softmax(x, 1), t),
        (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), x, t),
        (nn.CrossEntropyLoss(weight=w, ignore_index=1, label_smoothing=0.1),
         torch.nn.CrossEntropyLoss(weight=torch.tensor(w), ignore_index=1, label_smoothing=0.1), x, t),
        (nn.CrossEntropyLoss(reduction="none"), torch.nn.CrossEntropyLoss(reduction="none"), x, t),
    ]


def test_modules_match_torch():
    rng = np.random.default_rng(12)
    for ours, theirs, x, t in module_cases(rng):
        xt = torch.tensor(x, requires_grad=True)
        ref = theirs(xt, torch.tensor(t))
        val = ours(x, t)
        np.testing.assert_allclose(val, ref.detach().numpy(), rtol=RTOL, err_msg=repr(ours))
        if ours.reduction == "none":
            g = rng.normal(size=val.shape)
            ref.backward(torch.tensor(g))
            grad = ours.backward(g)
        else:
            ref.backward()
            grad = ours.backward()
        np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=RTOL, atol=1e-15, err_msg=repr(ours))


def test_module_state_and_repr():
    w = np.array([1.0, 2.0])
    assert list(nn.CrossEntropyLoss(weight=w).state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    assert list(nn.BCEWithLogitsLoss(pos_weight=w).state_dict()) == ["pos_weight"]
    assert repr(nn.HuberLoss(delta=2.0)) == "HuberLoss(reduction='mean', delta=2.0)"
    assert repr(nn.MSELoss()) == "MSELoss(reduction='mean')"


# -- errors ---------------------------------------------------------------------------------------------
def test_errors_name_the_loss_and_the_shapes():
    x = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"mse_loss: expected target of the input's shape \(3, 4\), got \(4, 3\)"):
        F.mse_loss(x, np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"mse_loss: expected target of the input's shape \(3, 4\), got \(3,\)"):
        nn.MSELoss()(x, np.zeros(3))
    with pytest.raises(ValueError, match=r"l1_loss: reduction must be one of \('none', 'mean', 'sum'\), got 'avg'"):
        F.l1_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"L1Loss: reduction must be one of"):
        nn.L1Loss(reduction="average")
    with pytest.raises(ValueError, match=r"huber_loss: delta must be in \(0, inf\], got 0"):
        F.huber_loss(x, x, delta=0)
    with pytest.raises(ValueError, match=r"binary_cross_entropy: expected input values in \[0, 1\].*got 1.5"):
        F.binary_cross_entropy(np.array([0.5, 1.5]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: expected target values in \[0, 1\].*got 2.0"):
        nn.BCELoss()(np.array([0.5, 0.5]), np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: weight of shape \(3,\) cannot be broadcast .*\(3, 4\)"):
        F.binary_cross_entropy(np.full((3, 4), 0.5), np.zeros((3, 4)), weight=np.ones(3))
    with pytest.raises(ValueError, match=r"nll_loss: target values must be class indices in \[0, 3\].*got 5"):
        F.nll_loss(x, np.array([0, 5, 1]))
    with pytest.raises(ValueError, match=r"nll_loss: expected target of shape \(3,\) for input of shape \(3, 4\), got \(3, 1\)"):
        nn.NLLLoss()(x, np.zeros((3, 1), dtype=int))
    with pytest.raises(TypeError, match=r"nll_loss: expected a target of integer class indices, got dtype float64"):
        F.nll_loss(x, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"cross_entropy: expected target of shape \(3,\) \(class indices.*\(3, 4\) "
                                         r"\(class probabilities.*got a float64 target of shape \(3,\)"):
        F.cross_entropy(x, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"cross_entropy: expected weight of shape \(4,\) \(one per class\), got \(3,\)"):
        nn.CrossEntropyLoss(weight=np.ones(3))(x, np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"cross_entropy: label_smoothing must be in \[0.0, 1.0\], got 1.5"):
        F.cross_entropy(x, np.array([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"cross_entropy: expected input of shape \(C,\), \(N, C\) or \(N, C, d1, \.\.\.\), got \(\)"):
        F.cross_entropy(np.array(1.0), np.array(0))
    with pytest.raises(ValueError, match=r"mse_loss_backward: with reduction='none' grad_output must have the loss's shape \(3, 4\), got \(\)"):
        F.mse_loss_backward(1.0, x, x, reduction="none")
    with pytest.raises(ValueError, match=r"cross_entropy_backward: with reduction='mean' grad_output must be a scalar, got shape \(3,\)"):
        crit = nn.CrossEntropyLoss()
        crit(x, np.array([0, 1, 2]))
        crit.backward(np.ones(3))
    with pytest.raises(RuntimeError, match="MSELoss.backward: no forward call is waiting"):
        nn.MSELoss().backward()


# -- properties -----------------------------------------------------------------------------------------
logits = arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(2, 6)),
                elements=st.floats(-1e4, 1e4, allow_nan=False))


@settings(max_examples=50, deadline=None)
@given(logits, st.data())
def test_cross_entropy_properties(x, data):
    n, c = x.shape
    t = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    per = F.cross_entropy(x, t, reduction="none")
    assert np.all(np.isfinite(per)) and np.all(per >= 0)                         # CE >= 0
    grad = ce_grad(x, t)
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-12)                 # rows of p - onehot sum to 0
    np.testing.assert_allclose(F.cross_entropy(x + 123.0, t, reduction="none"), per, rtol=1e-9, atol=1e-9)


@settings(max_examples=50, deadline=None)
@given(arrays(np.float64, st.integers(1, 8), elements=st.floats(-50, 50)),
       arrays(np.float64, st.integers(1, 8), elements=st.floats(-50, 50)))
def test_regression_properties(a, b):
    if a.shape != b.shape:
        b = np.resize(b, a.shape)
    mse, mae, hub = F.mse_loss(a, b), F.l1_loss(a, b), F.huber_loss(a, b)
    assert mse >= 0 and mae >= 0 and hub >= 0
    assert hub <= 0.5 * mse + 1e-9 and hub <= mae + 1e-9                          # Huber below both
    assert F.mse_loss(a, a) == 0 and F.l1_loss(a, a) == 0 and F.huber_loss(a, a) == 0
