"""nnlib.jacobian.numerical_jacobian: known Jacobians, torch's layout, no mutation, errors."""
import numpy as np
import pytest
import torch

from nnlib import functional as F
from nnlib.gradcheck import numerical_grad
from nnlib.jacobian import numerical_jacobian


def test_linear_map_gives_the_matrix():
    rng = np.random.default_rng(0)
    W, b = rng.standard_normal((4, 3)), rng.standard_normal(4)
    x = rng.standard_normal(3)
    J = numerical_jacobian(lambda v: W @ v + b, x)
    assert J.shape == (4, 3)
    np.testing.assert_allclose(J, W, rtol=0, atol=1e-9)


def test_softmax_jacobian_formula_and_torch():
    """diag(s) - s s^T, and the same as torch.autograd.functional.jacobian in float64."""
    z = np.array([2.0, 1.0, 0.1, -0.7])
    s = F.softmax(z, 0)
    J = numerical_jacobian(lambda v: F.softmax(v, 0), z)
    np.testing.assert_allclose(J, np.diag(s) - np.outer(s, s), rtol=0, atol=1e-9)
    Jt = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, 0),
                                            torch.tensor(z, dtype=torch.float64))
    np.testing.assert_allclose(J, Jt.numpy(), rtol=0, atol=1e-9)


@pytest.mark.parametrize("in_shape,out_fn", [
    ((2, 3), lambda t: t @ t.T),                     # matrix -> matrix
    ((3,), lambda t: torch.outer(t, t.sin())),       # vector -> matrix
    ((2, 2), lambda t: (t ** 3).sum(dim=0)),         # matrix -> vector
])
def test_layout_matches_torch(in_shape, out_fn):
    x = np.random.default_rng(1).standard_normal(in_shape)

    def f(v):
        return out_fn(torch.tensor(v, dtype=torch.float64)).numpy()

    J = numerical_jacobian(f, x)
    Jt = torch.autograd.functional.jacobian(out_fn, torch.tensor(x, dtype=torch.float64))
    assert J.shape == tuple(Jt.shape)
    np.testing.assert_allclose(J, Jt.numpy(), rtol=1e-7, atol=1e-8)


def test_scalar_function_gives_the_gradient():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])

    def f(z):
        return float(np.sum(np.sin(z) * z))

    J = numerical_jacobian(f, x)
    assert J.shape == x.shape
    np.testing.assert_allclose(J, numerical_grad(f, x), rtol=0, atol=1e-12)


def test_does_not_mutate_accepts_lists_and_checks_eps():
    x = np.array([1.0, 2.0])
    before = x.copy()
    J = numerical_jacobian(lambda v: v ** 2, x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(J, np.diag(2 * x), rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(numerical_jacobian(lambda v: 3 * v, [1.0, 2.0]),
                               3 * np.eye(2), atol=1e-9)
    with pytest.raises(ValueError, match="eps"):
        numerical_jacobian(lambda v: v, x, eps=0)
