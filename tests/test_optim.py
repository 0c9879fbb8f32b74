"""nnlib.optim vs torch.optim (float64): identical trajectories over many steps.

The gradient comes from a fixed non-quadratic loss
:math:`L = \\sum_k \\sum a_k(\\theta_k - c_k)^2 + 0.1\\,\\theta_k^4` — numpy for nnlib,
autograd for torch — on parameters of different shapes. One parameter has no gradient
on odd steps, so "skip params whose grad is None" (and per-parameter step counts) is
exercised too.
"""
import numpy as np
import pytest
import torch

from nnlib import optim
from nnlib.nn import Linear, Parameter

SHAPES = [(3,), (2, 4), (2, 3, 2)]
STEPS = 15
RTOL = 1e-10


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    thetas = [rng.normal(size=s) for s in SHAPES]
    a = [rng.uniform(0.5, 3.0, size=s) for s in SHAPES]
    c = [rng.normal(size=s) for s in SHAPES]
    return thetas, a, c


def _grad_np(theta, a, c):
    return 2 * a * (theta - c) + 0.4 * theta ** 3


def _run_pair(nn_cls, torch_cls, kwargs, groups=None, steps=STEPS):
    thetas, a, c = _problem()
    nn_params = [Parameter(t) for t in thetas]
    t_params = [torch.tensor(t, dtype=torch.float64, requires_grad=True) for t in thetas]
    if groups is None:
        nn_opt, t_opt = nn_cls(nn_params, **kwargs), torch_cls(t_params, **kwargs)
    else:
        nn_opt = nn_cls([dict(g, params=[nn_params[i] for i in g["params"]]) for g in groups], **kwargs)
        t_opt = torch_cls([dict(g, params=[t_params[i] for i in g["params"]]) for g in groups], **kwargs)
    worst = 0.0
    for step in range(steps):
        skip = 2 if step % 2 else None         # parameter 2 gets no gradient on odd steps
        nn_opt.zero_grad()
        t_opt.zero_grad()
        loss = 0
        for k, (p, tp) in enumerate(zip(nn_params, t_params)):
            if k == skip:
                continue
            p.accumulate_grad(_grad_np(p.data, a[k], c[k]))
            ak, ck = torch.from_numpy(a[k]), torch.from_numpy(c[k])
            loss = loss + (ak * (tp - ck) ** 2).sum() + 0.1 * (tp ** 4).sum()
        loss.backward()
        nn_opt.step()
        t_opt.step()
        for p, tp in zip(nn_params, t_params):
            np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=RTOL, atol=1e-13)
            worst = max(worst, float(np.max(np.abs(p.data - tp.detach().numpy()))))
    # the parameters really moved (a test of nothing would also "agree")
    assert all(np.max(np.abs(p.data - t)) > 1e-3 for p, t in zip(nn_params, _problem()[0]))
    return worst


CASES = [
    (optim.SGD, torch.optim.SGD, dict(lr=0.05)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.1)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05)),
    (optim.Adagrad, torch.optim.Adagrad, dict(lr=0.1)),
    (optim.Adagrad, torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.1,
                                              initial_accumulator_value=0.3, eps=1e-6)),
    (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01)),
    (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, centered=True)),
    (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.7, weight_decay=0.1)),
    (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.05)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.05)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.05, amsgrad=True, weight_decay=0.05, eps=1e-6)),
    (optim.AdamW, torch.optim.AdamW, dict(lr=0.05)),
    (optim.AdamW, torch.optim.AdamW, dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
]


@pytest.mark.parametrize("nn_cls, torch_cls, kwargs", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_matches_torch(nn_cls, torch_cls, kwargs):
    _run_pair(nn_cls, torch_cls, kwargs)


@pytest.mark.parametrize("nn_cls, torch_cls, kwargs", [
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.05)),
    (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.3)),
])
def test_param_groups_with_own_hyperparameters(nn_cls, torch_cls, kwargs):
    groups = [{"params": [0, 2], "lr": 0.2}, {"params": [1]}]
    if nn_cls is optim.SGD:
        groups[1]["momentum"] = 0.5
    _run_pair(nn_cls, torch_cls, kwargs, groups=groups)


def test_param_groups_keep_defaults_and_overrides():
    a, b = Parameter(np.zeros(2)), Parameter(np.zeros(3))
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]
    assert opt.param_groups[0]["params"] == [a]
    c = Parameter(np.zeros(1))
    opt.add_param_group({"params": c, "lr": 0.01})
    assert opt.param_groups[2]["params"] == [c] and opt.param_groups[2]["lr"] == 0.01


def test_tiny_model_with_autograd_gradients():
    """Linear(3, 2) + MSE: nnlib's backward and torch's autograd feed the two Adams."""
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    layer = Linear(3, 2, rng=np.random.default_rng(2))
    tl = torch.nn.Linear(3, 2).double()
    with torch.no_grad():
        tl.weight.copy_(torch.from_numpy(layer.weight.data))
        tl.bias.copy_(torch.from_numpy(layer.bias.data))
    nn_opt = optim.Adam(layer.parameters(), lr=0.05, weight_decay=0.01)
    t_opt = torch.optim.Adam(tl.parameters(), lr=0.05, weight_decay=0.01)
    for _ in range(12):
        nn_opt.zero_grad()
        t_opt.zero_grad()
        out = layer(X)
        layer.backward(2 * (out - Y) / out.size)
        torch.nn.functional.mse_loss(tl(torch.from_numpy(X)), torch.from_numpy(Y)).backward()
        nn_opt.step()
        t_opt.step()
    np.testing.assert_allclose(layer.weight.data, tl.weight.detach().numpy(), rtol=RTOL)
    np.testing.assert_allclose(layer.bias.data, tl.bias.detach().numpy(), rtol=RTOL)


def test_state_uses_torchs_keys():
    p = Parameter(np.ones(3))
    p.grad = np.ones(3)
    for opt, keys in [(optim.SGD([p], lr=0.1, momentum=0.9), {"momentum_buffer"}),
                      (optim.Adam([p], amsgrad=True), {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
                      (optim.RMSprop([p], momentum=0.1, centered=True),
                       {"step", "square_avg", "grad_avg", "momentum_buffer"}),
                      (optim.Adagrad([p]), {"step", "sum"})]:
        opt.step()
        assert set(opt.state[p]) == keys


def test_zero_grad_sets_none_and_step_skips():
    p, q = Parameter(np.ones(2)), Parameter(np.ones(2))
    opt = optim.Adam([p, q], lr=0.1)
    p.grad = np.array([1.0, -1.0])
    opt.step()
    assert np.allclose(p.data, [0.9, 1.1]) and np.array_equal(q.data, [1.0, 1.0])
    assert q not in opt.state
    opt.zero_grad()
    assert p.grad is None and q.grad is None
    before = p.data.copy()
    opt.step()                                  # nothing has a gradient: nothing moves
    assert np.array_equal(p.data, before) and opt.state[p]["step"] == 1


def test_updates_in_place_and_keeps_dtype():
    p = Parameter(np.ones(3, dtype=np.float32))
    view = p.data
    p.grad = np.ones(3, dtype=np.float32)
    optim.Adam([p], lr=0.1).step()
    assert p.data is view and p.data.dtype == np.float32


def test_defaults_match_torch():
    import inspect
    for name in ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]:
        ours = inspect.signature(getattr(optim, name)).parameters
        theirs = inspect.signature(getattr(torch.optim, name)).parameters
        for arg, par in ours.items():
            if arg in ("params", "decoupled_weight_decay"):
                continue
            assert arg in theirs, f"{name}: torch has no argument {arg}"
            assert par.default == theirs[arg].default, f"{name}.{arg}: {par.default} != {theirs[arg].default}"
    assert optim.SGD([Parameter(np.zeros(1))]).defaults["lr"] == 1e-3


@pytest.mark.parametrize("make", [
    lambda p: optim.SGD(p, lr=-0.1),
    lambda p: optim.SGD(p, lr=0.1, momentum=-0.5),
    lambda p: optim.SGD(p, lr=0.1, weight_decay=-1),
    lambda p: optim.SGD(p, lr=0.1, nesterov=True),
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
    lambda p: optim.Adam(p, lr=-1e-3),
    lambda p: optim.Adam(p, betas=(1.0, 0.999)),
    lambda p: optim.Adam(p, betas=(0.9, -0.1)),
    lambda p: optim.Adam(p, betas=(0.9,)),
    lambda p: optim.Adam(p, eps=-1e-8),
    lambda p: optim.AdamW(p, weight_decay=-0.01),
    lambda p: optim.RMSprop(p, alpha=-0.5),
    lambda p: optim.RMSprop(p, eps=-1.0),
    lambda p: optim.Adagrad(p, lr_decay=-0.1),
    lambda p: optim.Adagrad(p, initial_accumulator_value=-1),
    lambda p: optim.SGD([{"params": p, "lr": -1.0}], lr=0.1),
])
def test_bad_hyperparameters_raise_value_error(make):
    with pytest.raises(ValueError):
        make([Parameter(np.zeros(2))])


def test_bad_params_raise():
    p = Parameter(np.zeros(2))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError):
        optim.SGD(p, lr=0.1)                    # a single Parameter, not an iterable
    with pytest.raises(TypeError):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="twice"):
        optim.SGD([p, p], lr=0.1)
    p.grad = np.zeros(3)
    with pytest.raises(ValueError, match="shape"):
        optim.SGD([p], lr=0.1).step()


@pytest.mark.parametrize("nn_cls, torch_cls, kwargs", [
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
    (optim.SGD, torch.optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (optim.Adagrad, torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.05)),
    (optim.RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (optim.Adam, torch.optim.Adam, dict(lr=0.05, weight_decay=0.1)),
    (optim.AdamW, torch.optim.AdamW, dict(lr=0.05, weight_decay=0.3)),
], ids=["SGD-momentum-wd", "SGD-nesterov", "Adagrad", "RMSprop", "Adam-L2", "AdamW"])
def test_lr_schedule_and_zero_gradient_match_torch(nn_cls, torch_cls, kwargs):
    """A learning rate changed in ``param_groups`` between steps (what a scheduler does) is
    read at the next step, as in torch: the momentum buffer is *not* rescaled (torch's form
    ``b = mu b + g, theta -= lr b``), AdamW's decay uses the new lr. A step with an all-zero
    gradient still updates the state (it is not skipped like ``grad is None``)."""
    thetas, a, c = _problem(3)
    nn_params = [Parameter(t) for t in thetas]
    t_params = [torch.tensor(t, dtype=torch.float64, requires_grad=True) for t in thetas]
    nn_opt, t_opt = nn_cls(nn_params, **kwargs), torch_cls(t_params, **kwargs)
    for step in range(30):
        lr = kwargs["lr"] * (0.1 if step >= 10 else 1.0) * (1 + 0.05 * step)
        for group in (*nn_opt.param_groups, *t_opt.param_groups):
            group["lr"] = lr
        for k, (p, tp) in enumerate(zip(nn_params, t_params)):
            g = _grad_np(p.data, a[k], c[k]) if step != 5 else np.zeros_like(p.data)
            p.grad = g
            tp.grad = torch.from_numpy(_grad_np(tp.detach().numpy(), a[k], c[k])
                                       if step != 5 else np.zeros(p.shape))
        nn_opt.step()
        t_opt.step()
        for p, tp in zip(nn_params, t_params):
            np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=RTOL, atol=1e-13)
    assert all(np.max(np.abs(p.data - t)) > 1e-3 for p, t in zip(nn_params, _problem(3)[0]))


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"])
def test_float32_trajectories_stay_float32_and_match_torch(name):
    """float32 parameters: nnlib keeps float32 state and agrees with torch's float32
    optimizer to float32 rounding."""
    kwargs = dict(lr=0.01, weight_decay=0.05)
    if name in ("SGD", "RMSprop"):
        kwargs["momentum"] = 0.9
    rng = np.random.default_rng(4)
    theta = rng.normal(size=(4, 3)).astype(np.float32)
    p = Parameter(theta.copy())
    tp = torch.tensor(theta.copy(), requires_grad=True)
    nn_opt = getattr(optim, name)([p], **kwargs)
    t_opt = getattr(torch.optim, name)([tp], **kwargs)
    for _ in range(25):
        p.grad = (2 * (p.data - 1) + 0.4 * p.data ** 3).astype(np.float32)
        tnp = tp.detach().numpy()
        tp.grad = torch.from_numpy((2 * (tnp - 1) + 0.4 * tnp ** 3).astype(np.float32))
        nn_opt.step()
        t_opt.step()
    assert p.data.dtype == np.float32
    assert all(v.dtype == np.float32 for v in nn_opt.state[p].values()
               if isinstance(v, np.ndarray))
    np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-5, atol=1e-6)
