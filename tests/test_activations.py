"""Activations (functional pairs and modules) vs torch float64, finite differences and math.erf."""
import math
import zlib

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlib
from nnlib import functional as F
from nnlib import nn
from nnlib.gradcheck import check_function, check_module, numerical_grad, rel_error

SHAPES = [(), (7,), (3, 4), (2, 3, 4, 5)]

# name -> (nnlib forward, backward as a function of (grad, input), torch function, kwargs).
# The backward pairs take what the forward saves (the output, or an intermediate); the
# lambdas produce it the way the layers do.
def _from_output(f, fb):
    return lambda g, x, **kw: fb(g, f(x, **kw), **kw)


CASES = {
    "relu": (F.relu, _from_output(F.relu, F.relu_backward), TF.relu, {}),
    "sigmoid": (F.sigmoid, _from_output(F.sigmoid, F.sigmoid_backward), torch.sigmoid, {}),
    "tanh": (F.tanh, _from_output(F.tanh, F.tanh_backward), torch.tanh, {}),
    "leaky_relu": (F.leaky_relu, F.leaky_relu_backward, TF.leaky_relu, {}),
    "leaky_relu_0.2": (F.leaky_relu, F.leaky_relu_backward, TF.leaky_relu,
                       {"negative_slope": 0.2}),
    "elu": (F.elu, lambda g, x, **kw: F.elu_backward(g, x, F.elu(x, **kw), **kw), TF.elu, {}),
    "elu_1.7": (F.elu, lambda g, x, **kw: F.elu_backward(g, x, F.elu(x, **kw), **kw), TF.elu,
                {"alpha": 1.7}),
    "gelu": (F.gelu, lambda g, x, **kw: F.gelu_backward(g, x, F.gelu_forward(x, **kw)[1], **kw),
             TF.gelu, {}),
    "gelu_tanh": (F.gelu,
                  lambda g, x, **kw: F.gelu_backward(g, x, F.gelu_forward(x, **kw)[1], **kw),
                  TF.gelu, {"approximate": "tanh"}),
    "silu": (F.silu, lambda g, x: F.silu_backward(g, x, F.silu_forward(x)[1]), TF.silu, {}),
    "softplus": (F.softplus, F.softplus_backward, TF.softplus, {}),
    "softplus_b2_t5": (F.softplus, F.softplus_backward, TF.softplus,
                       {"beta": 2.0, "threshold": 5.0}),
}
#: derivatives computed from a saturating output (y(1-y), 1-y^2, s(1-s), y+alpha), as torch does:
#: accurate absolutely (~1e-16), not relatively, where they are tiny
FROM_OUTPUT = {"sigmoid", "tanh", "gelu_tanh", "silu", "elu"}
KINKS = np.array([0.0, -0.0, 1e-300, -1e-300, 2.5, 10.0, -1000.0, 1000.0, 20.0, 20.000001, 2.5000001])


def torch_value_and_grad(tfun, x, g, kwargs):
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ty = tfun(tx, **kwargs)
    ty.backward(torch.tensor(g, dtype=torch.float64))
    return ty.detach().numpy(), tx.grad.numpy()


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("shape", SHAPES)
def test_activation_vs_torch(name, shape):
    f, fb, tfun, kw = CASES[name]
    rng = np.random.default_rng(zlib.crc32(repr((name, shape)).encode()))
    x = 3 * rng.standard_normal(shape)
    if x.ndim:
        x.reshape(-1)[0] = 0.0                      # always include the kink
    g = rng.standard_normal(shape)
    y_ref, gx_ref = torch_value_and_grad(tfun, x, g, kw)
    y, gx = f(x, **kw), fb(g, x, **kw)
    assert y.shape == x.shape and gx.shape == x.shape and y.dtype == np.float64
    # torch computes 1 - tanh^2, 1 - sigmoid, ... directly and loses digits for large |x|;
    # nnlib avoids those cancellations (checked against mpmath below), hence rtol 1e-7 here.
    np.testing.assert_allclose(y, y_ref, rtol=1e-7, atol=1e-14)
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-7, atol=1e-14)


@pytest.mark.parametrize("name", CASES)
def test_activation_kinks_and_extremes(name):
    f, fb, tfun, kw = CASES[name]
    x = np.concatenate([KINKS, -KINKS])
    g = np.ones_like(x)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # no overflow at +-1000
        y, gx = f(x, **kw), fb(g, x, **kw)
    y_ref, gx_ref = torch_value_and_grad(tfun, x, g, kw)
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(gx))
    np.testing.assert_allclose(y, y_ref, rtol=1e-7, atol=1e-15)
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-7, atol=1e-15)


def _mp_reference():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    c = mp.sqrt(2 / mp.pi)
    sig = lambda z: 1 / (1 + mp.exp(-z))                                       # noqa: E731
    phi = lambda z: mp.erfc(-z / mp.sqrt(2)) / 2                               # noqa: E731
    u = lambda z: c * (z + mp.mpf("0.044715") * z ** 3)                        # noqa: E731
    return mp, {
        "sigmoid": (sig, lambda z: sig(z) * sig(-z)),
        "tanh": (mp.tanh, lambda z: 1 / mp.cosh(z) ** 2),
        "gelu": (lambda z: z * phi(z), lambda z: phi(z) + z * mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)),
        # 1 + tanh(u) = 2 sigmoid(2u) and 1 - tanh(u)^2 = 1/cosh(u)^2, exact identities that
        # keep the 40-digit reference accurate where 1 + tanh(u) ~ 1e-800
        "gelu_tanh": (lambda z: z * sig(2 * u(z)),
                      lambda z: sig(2 * u(z)) + z / mp.cosh(u(z)) ** 2 / 2
                      * c * (1 + 3 * mp.mpf("0.044715") * z * z)),
        "silu": (lambda z: z * sig(z), lambda z: sig(z) * (1 + z * sig(-z))),
        "softplus": (lambda z: mp.log(1 + mp.exp(z)), sig),
        "elu": (lambda z: z if z > 0 else mp.expm1(z), lambda z: 1 if z > 0 else mp.exp(z)),
    }


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "gelu", "gelu_tanh", "silu", "softplus", "elu"])
def test_activation_accuracy_vs_mpmath(name):
    """Values to 1e-12 relative error, also in the tails (|x| up to 30); derivatives too,
    except that those computed from a saturated output are accurate to 1e-15 absolutely."""
    mp, ref = _mp_reference()
    f, fb, _, kw = CASES[name]
    x = np.concatenate([np.linspace(-30, 30, 121), [-1e-8, 1e-8, 0.5, -0.5]])
    fr, dr = ref[name]
    y_ref = np.array([float(fr(mp.mpf(float(v)))) for v in x])
    d_ref = np.array([float(dr(mp.mpf(float(v)))) for v in x])
    if name == "softplus":                 # torch's threshold rule: softplus(x) = x for x > 20
        y_ref = np.where(x > 20, x, y_ref)
        d_ref = np.where(x > 20, 1.0, d_ref)
    np.testing.assert_allclose(f(x, **kw), y_ref, rtol=1e-12, atol=1e-300)
    atol = 1e-15 if name in FROM_OUTPUT else 1e-300
    np.testing.assert_allclose(fb(np.ones_like(x), x, **kw), d_ref, rtol=1e-12, atol=atol)


@pytest.mark.parametrize("name", CASES)
def test_activation_finite_differences(name):
    f, fb, _, kw = CASES[name]
    rng = np.random.default_rng(1)
    x = rng.uniform(-4, 4, size=(3, 5))
    x[np.abs(x) < 1e-3] = 0.5                    # stay away from the kinks
    (err,) = check_function(f, fb, x, rng=rng, **kw)
    assert err < 1e-8


def test_float32_keeps_dtype():
    x = np.linspace(-3, 3, 11, dtype=np.float32)
    for name, (f, fb, _, kw) in CASES.items():
        assert f(x, **kw).dtype == np.float32, name
        assert fb(np.ones_like(x), x, **kw).dtype == np.float32, name


def test_sigmoid_stable_and_symmetric():
    x = np.array([-1000.0, -745.0, -50.0, 0.0, 50.0, 745.0, 1000.0])
    with np.errstate(over="raise", invalid="raise"):
        s = F.sigmoid(x)
    assert s[0] == 0.0 and s[-1] == 1.0 and s[3] == 0.5
    np.testing.assert_allclose(s + F.sigmoid(-x), 1.0, rtol=0, atol=1e-16)


# ------------------------------------------------------------------------------ erf
def test_erf_matches_math_erf():
    x = np.concatenate([np.linspace(-7, 7, 4001), np.geomspace(1e-300, 30, 500),
                        [2.5, np.nextafter(2.5, 3), 5.9, 6.0, 26.0, 27.0]])
    ref = np.array([math.erf(v) for v in x])
    err = np.abs(F.erf(x) - ref) / np.maximum(np.abs(ref), 1e-300)
    assert err.max() < 1e-14
    np.testing.assert_allclose(F.erf(-x), -F.erf(x), rtol=0, atol=0)


def test_erfc_tail_matches_math_erfc():
    x = np.concatenate([np.linspace(-5, 26, 3101), [np.inf, -np.inf]])
    ref = np.array([math.erfc(v) for v in x])
    ok = ref > 0
    err = np.abs(F.erfc(x)[ok] - ref[ok]) / ref[ok]
    assert err.max() < 1e-12
    assert F.erfc(np.array([np.inf]))[0] == 0.0 and F.erfc(np.array([-np.inf]))[0] == 2.0


def test_erf_special_values_and_torch():
    out = F.erf(np.array([0.0, np.inf, -np.inf, np.nan]))
    assert out[0] == 0.0 and out[1] == 1.0 and out[2] == -1.0 and np.isnan(out[3])
    x = np.random.default_rng(0).standard_normal(1000) * 3
    np.testing.assert_allclose(F.erf(x), torch.erf(torch.from_numpy(x)).numpy(), rtol=1e-13, atol=1e-16)


@settings(max_examples=60, deadline=None)
@given(st.floats(-40, 40, allow_nan=False))
def test_erf_property(v):
    e = float(F.erf(np.array([v]))[0])
    assert abs(e - math.erf(v)) <= 1e-14 * max(abs(math.erf(v)), 1e-300)


@settings(max_examples=40, deadline=None)
@given(st.floats(-30, 30, allow_nan=False).filter(lambda v: abs(v) > 1e-4),
       st.sampled_from(sorted(CASES)))
def test_derivative_property(v, name):
    f, fb, _, kw = CASES[name]
    x = np.array([v])
    num = numerical_grad(lambda z: f(z, **kw).sum(), x, eps=1e-6)
    ana = fb(np.ones(1), x, **kw)
    assert abs(num[0] - ana[0]) <= 1e-6 * max(1.0, abs(ana[0]))


# ------------------------------------------------------------------------------ PReLU
@pytest.mark.parametrize("shape,channels", [((5,), 1), ((4, 3), 1), ((4, 3), 3), ((2, 3, 4, 5), 3),
                                            ((2, 4, 6), 4), ((2, 3, 4, 5), 1)])
def test_prelu_vs_torch(shape, channels):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(shape)
    x.reshape(-1)[:2] = 0.0
    w = rng.uniform(0.05, 0.5, channels)
    g = rng.standard_normal(shape)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    TF.prelu(tx, tw).backward(torch.tensor(g))
    np.testing.assert_allclose(F.prelu(x, w), TF.prelu(tx, tw).detach().numpy(), rtol=1e-13)
    gx, gw = F.prelu_backward(g, x, w)
    assert gw.shape == w.shape
    np.testing.assert_allclose(gx, tx.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(gw, tw.grad.numpy(), rtol=1e-12)
    errs = check_function(F.prelu, F.prelu_backward, x + (x == 0) * 0.3, w, rng=rng)
    assert max(errs) < 1e-8


def test_prelu_bad_weight():
    with pytest.raises(ValueError, match="prelu"):
        F.prelu(np.zeros((2, 3)), np.ones(4))
    with pytest.raises(ValueError, match="prelu"):
        F.prelu(np.zeros((2, 3)), np.ones((3, 1)))


def test_grad_shape_mismatch_raises():
    with pytest.raises(ValueError, match="relu_backward"):
        F.relu_backward(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="gelu"):
        F.gelu(np.ones(3), approximate="fast")


# ------------------------------------------------------------------------------ modules
MODULES = [
    (lambda: nn.ReLU(), lambda: torch.nn.ReLU(), "ReLU()"),
    (lambda: nn.Sigmoid(), lambda: torch.nn.Sigmoid(), "Sigmoid()"),
    (lambda: nn.Tanh(), lambda: torch.nn.Tanh(), "Tanh()"),
    (lambda: nn.LeakyReLU(), lambda: torch.nn.LeakyReLU(), "LeakyReLU(negative_slope=0.01)"),
    (lambda: nn.LeakyReLU(0.3), lambda: torch.nn.LeakyReLU(0.3), "LeakyReLU(negative_slope=0.3)"),
    (lambda: nn.ELU(), lambda: torch.nn.ELU(), "ELU(alpha=1.0)"),
    (lambda: nn.ELU(alpha=0.5), lambda: torch.nn.ELU(alpha=0.5), "ELU(alpha=0.5)"),
    (lambda: nn.GELU(), lambda: torch.nn.GELU(), "GELU(approximate='none')"),
    (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh"), "GELU(approximate='tanh')"),
    (lambda: nn.SiLU(), lambda: torch.nn.SiLU(), "SiLU()"),
    (lambda: nn.Softplus(), lambda: torch.nn.Softplus(), "Softplus(beta=1.0, threshold=20.0)"),
    (lambda: nn.Softplus(beta=2.0, threshold=3.0), lambda: torch.nn.Softplus(beta=2.0, threshold=3.0),
     "Softplus(beta=2.0, threshold=3.0)"),
    (lambda: nn.PReLU(), lambda: torch.nn.PReLU(), "PReLU(num_parameters=1)"),
    (lambda: nn.PReLU(3, init=0.1), lambda: torch.nn.PReLU(3, init=0.1), "PReLU(num_parameters=3)"),
]


@pytest.mark.parametrize("make,make_torch,rep", MODULES, ids=[m[2] for m in MODULES])
def test_module_vs_torch(make, make_torch, rep):
    m, tm = make(), make_torch().double()
    assert repr(m) == rep == repr(tm)
    assert list(m.state_dict()) == list(tm.state_dict())
    m.load_state_dict(tm.state_dict())       # PReLU: torch's init=0.1 is a float32 0.1
    rng = np.random.default_rng(3)
    x = 2 * rng.standard_normal((4, 3, 5))
    g = rng.standard_normal(x.shape)
    tx = torch.tensor(x, requires_grad=True)
    ty = tm(tx)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(m(x), ty.detach().numpy(), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(m.backward(g), tx.grad.numpy(), rtol=1e-9, atol=1e-15)
    for (name, p), (tname, tp) in zip(m.named_parameters(), tm.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12)
    errors = check_module(m, x, rng=rng)
    assert max(errors.values()) < 1e-8, errors


def test_prelu_module_accumulates_and_loads_state():
    m = nn.PReLU(2)
    m.load_state_dict({"weight": np.array([0.1, -0.2])})
    x = np.array([[-1.0, -2.0], [3.0, -4.0]])
    m(x)
    m(x)
    m.backward(np.ones_like(x))
    m.backward(np.ones_like(x))
    with pytest.raises(RuntimeError, match="PReLU.backward"):   # two forwards, two backwards
        m.backward(np.ones_like(x))
    np.testing.assert_allclose(m.weight.grad, 2 * np.array([-1.0, -6.0]))
    m.zero_grad()
    assert m.weight.grad is None


def test_module_errors():
    with pytest.raises(RuntimeError, match="ReLU.backward: no forward call is waiting"):
        nn.ReLU().backward(np.ones(3))
    with pytest.raises(ValueError, match="inplace"):
        nn.ReLU(inplace=True)
    with pytest.raises(ValueError, match="GELU"):
        nn.GELU("exact")
    with pytest.raises(ValueError, match="PReLU"):
        nn.PReLU(0)


def test_sequential_with_activations_is_exported():
    assert {"ReLU", "Sigmoid", "Tanh", "LeakyReLU", "PReLU", "ELU", "GELU", "SiLU", "Softplus"} <= set(dir(nnlib.nn))
    net = nn.Sequential(nn.Linear(3, 4, rng=np.random.default_rng(0)), nn.GELU(), nn.Linear(4, 2, rng=np.random.default_rng(2)))
    errs = check_module(net, np.random.default_rng(1).standard_normal((5, 3)))
    assert max(errs.values()) < 1e-8
    assert rel_error(np.zeros(2), np.zeros(2)) == 0.0
