"""nnlib.gradcheck: finite differences against known derivatives, and check_module on real layers."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib import functional as F
from nnlib import nn
from nnlib.gradcheck import check_function, check_module, numerical_grad, rel_error


def test_numerical_grad_known_derivatives():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])
    np.testing.assert_allclose(numerical_grad(lambda z: np.sum(z ** 2), x), 2 * x, rtol=1e-8)
    np.testing.assert_allclose(numerical_grad(lambda z: np.sum(np.sin(z)), x), np.cos(x), rtol=1e-8)
    np.testing.assert_allclose(numerical_grad(lambda z: np.prod(z), x),
                               np.prod(x) / x, rtol=1e-8)
    # the guide's example: y = (3x + 2)^2, dy/dx = 6(3x + 2)
    for v in (-1.0, 0.0, 0.5, 2.0):
        g = numerical_grad(lambda z: float((3 * z[0] + 2) ** 2), np.array([v]))
        assert abs(g[0] - 6 * (3 * v + 2)) < 1e-7


def test_numerical_grad_does_not_mutate_and_accepts_lists():
    x = np.array([1.0, 2.0, 3.0])
    before = x.copy()
    numerical_grad(lambda z: float(np.sum(z ** 3)), x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(numerical_grad(lambda z: float(z @ z), [1.0, 2.0]), [2.0, 4.0], rtol=1e-9)
    with pytest.raises(ValueError, match="eps"):
        numerical_grad(lambda z: 0.0, x, eps=0)


def test_central_difference_error_is_second_order():
    """Halving eps divides the error by about 4 (O(eps^2)); a one-sided difference only by 2."""
    x = np.array([0.7])
    f = lambda z: float(np.exp(z[0]))                                          # noqa: E731
    exact = np.exp(0.7)
    e1 = abs(numerical_grad(f, x, eps=1e-2)[0] - exact)
    e2 = abs(numerical_grad(f, x, eps=5e-3)[0] - exact)
    assert 3.9 < e1 / e2 < 4.1
    assert abs(e1 - exact * 1e-4 / 6) < 1e-8          # leading term eps^2/6 f'''
    one_sided = lambda h: abs((np.exp(0.7 + h) - np.exp(0.7)) / h - exact)     # noqa: E731
    assert 1.9 < one_sided(1e-2) / one_sided(5e-3) < 2.1


def test_rel_error():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error([1.0, 0.0], [1.0, 1e-11]) == pytest.approx(1e-11)
    assert rel_error([2.0], [1.0]) == 0.5
    assert rel_error([1.0, 3.0], [1.0, 2.0]) == rel_error([1.0, 2.0], [1.0, 3.0])
    with pytest.raises(ValueError, match="rel_error"):
        rel_error(np.zeros(2), np.zeros(3))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=6),
       st.floats(0.1, 10))
def test_rel_error_properties(values, scale):
    a = np.array(values)
    b = a + 1e-3
    e = rel_error(a, b)
    assert 0 <= e <= 2              # |a - b| <= |a| + |b| <= 2 max
    assert rel_error(a * scale, b * scale) == pytest.approx(e, rel=1e-9)   # scale invariant


def test_check_module_linear():
    rng = np.random.default_rng(0)
    lin = nn.Linear(4, 3, rng=rng)
    x = rng.standard_normal((5, 4))
    w_before = lin.weight.data.copy()
    errs = check_module(lin, x, rng=rng)
    assert set(errs) == {"input", "weight", "bias"}
    assert max(errs.values()) < 1e-8
    np.testing.assert_array_equal(lin.weight.data, w_before)
    assert lin.weight.grad is None                       # previous (absent) grads restored


def test_check_module_mlp_restores_grads():
    rng = np.random.default_rng(1)
    net = nn.Sequential(nn.Linear(3, 5, rng=rng), nn.Tanh(), nn.Linear(5, 2, rng=rng))
    x = rng.standard_normal((4, 3))
    net(x)
    net.backward(np.ones((4, 2)))
    g0 = net[0].weight.grad.copy()
    errs = check_module(net, x, rng=rng)
    assert set(errs) == {"input", "0.weight", "0.bias", "2.weight", "2.bias"}
    assert max(errs.values()) < 1e-8, errs
    np.testing.assert_array_equal(net[0].weight.grad, g0)


class _BrokenTanh(nn.Tanh):
    """Uses a = tanh(z) where tanh'(z) = 1 - a^2 is needed: a typical mistake."""

    def backward(self, grad_output):
        (output,) = self.pop_saved()
        return grad_output * output


def test_check_module_catches_a_wrong_backward():
    rng = np.random.default_rng(2)
    net = nn.Sequential(nn.Linear(3, 4, rng=rng), _BrokenTanh(), nn.Linear(4, 1, rng=rng))
    errs = check_module(net, rng.standard_normal((2, 3)), rng=rng)
    assert errs["input"] > 1e-2 and errs["0.weight"] > 1e-2
    assert errs["2.weight"] < 1e-8                     # the layer after the bug is still right


def test_check_function_on_linear_and_skips_none():
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    errs = check_function(F.linear, F.linear_backward, x, w, b, rng=rng)
    assert len(errs) == 3 and max(errs) < 1e-8
    errs = check_function(F.linear, F.linear_backward, x, w, None, rng=rng)
    assert len(errs) == 2 and max(errs) < 1e-8
