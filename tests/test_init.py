"""nnlib.init vs torch.nn.init: the same gains, fans, bounds and standard deviations.

Arrays are passed wrapped in ``Parameter``; plain numpy arrays are covered by
``test_fills_plain_numpy_arrays``.

The random streams differ (numpy vs torch), so the distributions are compared through
their parameters (exact) and through large samples (within a few standard errors).
"""
import math

import numpy as np
import pytest
import torch

import nnlib
from nnlib import init
from nnlib.nn import Linear, Parameter

NONLINEARITIES = [("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
                  ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
                  ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
                  ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None)]

SHAPES = [(5, 3), (64, 32, 3, 3), (6, 2, 5), (4, 3, 2, 2, 2), (1, 7),
          (16, 1, 7), (8, 4, 3, 5), (2, 3, 1, 1), (6, 2, 1, 3, 4)]   # Conv1d/2d/3d weights
BIG = [(300, 400), (128, 64, 3, 3),            # 120000 and 73728 samples
       (256, 128, 5), (32, 16, 5, 5, 5)]       # Conv1d and Conv3d: 163840 and 64000


@pytest.mark.parametrize("name, param", NONLINEARITIES)
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param),
                                                             rel=1e-15)


def test_calculate_gain_unknown():
    with pytest.raises(ValueError):
        init.calculate_gain("softsign_typo")


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_match_torch(shape):
    ours = init._calculate_fan_in_and_fan_out(Parameter(np.empty(shape)))
    theirs = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert ours == theirs


def test_fans_need_two_dims():
    with pytest.raises(ValueError):
        init.xavier_uniform_(Parameter(np.empty(5)))


def _sample(fill, shape, **kw):
    return fill(Parameter(np.empty(shape)), rng=np.random.default_rng(0), **kw).data


def _torch_sample(fill, shape, **kw):
    torch.manual_seed(0)
    return fill(torch.empty(shape, dtype=torch.float64), **kw).numpy()


def _check_uniform(ours, theirs, bound):
    """U(-b, b): all samples inside, the extremes close to b, std = b/sqrt(3) within 2%."""
    for w in (ours, theirs):
        assert np.max(np.abs(w)) <= bound
        assert np.max(np.abs(w)) > 0.995 * bound
        assert abs(w.std() / (bound / math.sqrt(3)) - 1) < 0.02
        assert abs(w.mean()) < 0.02 * bound


def _check_normal(ours, theirs, std):
    for w in (ours, theirs):
        assert abs(w.std() / std - 1) < 0.02
        assert abs(w.mean()) < 0.02 * std


@pytest.mark.parametrize("shape", BIG)
@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier(shape, gain):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(Parameter(np.empty(shape)))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    _check_uniform(_sample(init.xavier_uniform_, shape, gain=gain),
                   _torch_sample(torch.nn.init.xavier_uniform_, shape, gain=gain), math.sqrt(3) * std)
    _check_normal(_sample(init.xavier_normal_, shape, gain=gain),
                  _torch_sample(torch.nn.init.xavier_normal_, shape, gain=gain), std)


@pytest.mark.parametrize("shape", BIG)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity, a", [("relu", 0), ("leaky_relu", 0), ("leaky_relu", 0.2),
                                             ("leaky_relu", math.sqrt(5)), ("tanh", 0), ("linear", 0)])
def test_kaiming(shape, mode, nonlinearity, a):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    fan = fan_in if mode == "fan_in" else fan_out
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    kw = dict(a=a, mode=mode, nonlinearity=nonlinearity)
    assert init._kaiming_std(Parameter(np.empty(shape)), a, mode, nonlinearity) == pytest.approx(std, rel=1e-15)
    _check_uniform(_sample(init.kaiming_uniform_, shape, **kw),
                   _torch_sample(torch.nn.init.kaiming_uniform_, shape, **kw), math.sqrt(3) * std)
    _check_normal(_sample(init.kaiming_normal_, shape, **kw),
                  _torch_sample(torch.nn.init.kaiming_normal_, shape, **kw), std)


def test_kaiming_bad_mode():
    with pytest.raises(ValueError):
        init.kaiming_uniform_(Parameter(np.empty((3, 3))), mode="fan_avg")


def test_uniform_and_normal_arguments():
    shape = (400, 300)
    _check_uniform(_sample(init.uniform_, shape, a=-0.3, b=0.3),
                   _torch_sample(torch.nn.init.uniform_, shape, a=-0.3, b=0.3), 0.3)
    w = _sample(init.uniform_, shape, a=2.0, b=5.0)
    assert w.min() >= 2.0 and w.max() <= 5.0 and abs(w.mean() - 3.5) < 0.01
    w = _sample(init.normal_, shape, mean=1.5, std=0.2)
    assert abs(w.mean() - 1.5) < 0.005 and abs(w.std() / 0.2 - 1) < 0.02


def test_constant_fills_match_torch():
    def e(*shape):
        return Parameter(np.empty(shape))
    for ours, theirs in [(init.zeros_(e(3, 4)), torch.nn.init.zeros_(torch.empty(3, 4))),
                         (init.ones_(e(3, 4)), torch.nn.init.ones_(torch.empty(3, 4))),
                         (init.constant_(e(2, 5), 0.25), torch.nn.init.constant_(torch.empty(2, 5), 0.25))]:
        np.testing.assert_array_equal(ours.data, theirs.numpy())


def test_fills_in_place_parameters_and_arrays():
    p = Parameter(np.zeros((20, 10)))
    view = p.data
    assert init.kaiming_normal_(p, rng=np.random.default_rng(0)) is p
    assert p.data is view and np.any(view != 0)
    with pytest.raises(TypeError):
        init.zeros_([[0.0, 0.0]])


def test_fills_plain_numpy_arrays():
    a = np.zeros((20, 10))
    assert init.xavier_uniform_(a, rng=np.random.default_rng(0)) is a
    assert np.any(a != 0)


def test_reproducible_rng_and_manual_seed():
    a = init.normal_(Parameter(np.empty(50)), rng=np.random.default_rng(7)).data
    b = init.normal_(Parameter(np.empty(50)), rng=np.random.default_rng(7)).data
    np.testing.assert_array_equal(a, b)
    nnlib.manual_seed(3)
    c = init.uniform_(Parameter(np.empty(50))).data
    nnlib.manual_seed(3)
    d = init.uniform_(Parameter(np.empty(50))).data
    np.testing.assert_array_equal(c, d)


@pytest.mark.parametrize("fan_in, fan_out", [(50, 400), (784, 256), (3, 2000)])
def test_linear_default_init_bound_is_one_over_sqrt_fan_in(fan_in, fan_out):
    """torch's Linear: kaiming_uniform_(a=sqrt(5)) gives the bound 1/sqrt(fan_in); bias U(±1/sqrt(fan_in))."""
    bound = 1 / math.sqrt(fan_in)
    gain = torch.nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    assert gain * math.sqrt(3 / fan_in) == pytest.approx(bound, rel=1e-14)
    layer = Linear(fan_in, fan_out, rng=np.random.default_rng(0))
    tl = torch.nn.Linear(fan_in, fan_out)
    for w in (layer.weight.data, tl.weight.detach().numpy()):
        assert np.max(np.abs(w)) <= bound and np.max(np.abs(w)) > 0.99 * bound
        assert abs(w.std() / (bound / math.sqrt(3)) - 1) < 0.03
    for b in (layer.bias.data, tl.bias.detach().numpy()):
        assert np.max(np.abs(b)) <= bound


@pytest.mark.parametrize("shape", SHAPES)
def test_fans_are_channels_times_kernel(shape):
    """fan_in = C_in * prod(kernel), fan_out = C_out * prod(kernel): the number of terms
    in one output of the forward pass (and of one input's gradient at stride 1)."""
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(np.empty(shape))
    kernel = math.prod(shape[2:])
    assert (fan_in, fan_out) == (shape[1] * kernel, shape[0] * kernel)


CONV_LAYERS = [(nnlib.nn.Conv1d, torch.nn.Conv1d, (64, 128, 5), {}),
               (nnlib.nn.Conv2d, torch.nn.Conv2d, (32, 64, 3), dict(groups=2)),
               (nnlib.nn.Conv2d, torch.nn.Conv2d, (16, 32, (3, 5)), {}),
               (nnlib.nn.Conv3d, torch.nn.Conv3d, (8, 16, 3), {})]


@pytest.mark.parametrize("cls, tcls, args, kw", CONV_LAYERS)
def test_conv_default_init_statistics_match_torch(cls, tcls, args, kw):
    """Conv layers start like torch's: weight U(±1/sqrt(fan_in)) (kaiming_uniform_ with
    a=sqrt(5)), so Var = 1/(3 fan_in) with fan_in = C_in/groups * prod(kernel)."""
    ours = cls(*args, rng=np.random.default_rng(0), **kw)
    torch.manual_seed(0)
    theirs = tcls(*args, **kw)
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(ours.weight)
    assert (fan_in, fan_out) == torch.nn.init._calculate_fan_in_and_fan_out(theirs.weight)
    assert fan_in == args[0] // kw.get("groups", 1) * math.prod(theirs.kernel_size)
    bound = 1 / math.sqrt(fan_in)
    for w in (ours.weight.data, theirs.weight.detach().numpy()):
        assert np.max(np.abs(w)) <= bound and np.max(np.abs(w)) > 0.99 * bound
        assert abs(w.std() / (bound / math.sqrt(3)) - 1) < 0.03
        assert abs(w.mean()) < 0.03 * bound
    for b in (ours.bias.data, theirs.bias.detach().numpy()):
        assert np.max(np.abs(b)) <= bound
