"""State semantics as torch has them: buffers, ``None`` entries, strict loading, optimizer
checkpoints that resume training exactly, and gradient clipping with NaN/inf."""
import copy

import numpy as np
import pytest
import torch

from nnlib import nn, optim, utils


class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(np.ones(2))
        self.register_buffer("running", np.zeros(2))
        self.register_buffer("absent", None)
        self.register_buffer("scratch", np.zeros(3), persistent=False)


class TorchWithBuffers(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
        self.register_buffer("running", torch.zeros(2, dtype=torch.float64))
        self.register_buffer("absent", None)
        self.register_buffer("scratch", torch.zeros(3, dtype=torch.float64), persistent=False)


def test_cross_entropy_state_round_trip():
    """The issue's example: a None weight buffer must not count as missing."""
    for ours, theirs in [(nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()),
                         (nn.CrossEntropyLoss(weight=np.array([1.0, 2.0])),
                          torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0])))]:
        sd = ours.state_dict()
        assert list(sd) == list(theirs.state_dict())
        assert tuple(ours.load_state_dict(sd)) == ([], [])
        ours.load_state_dict(theirs.state_dict())


def test_buffers_none_and_non_persistent_like_torch():
    ours, theirs = WithBuffers(), TorchWithBuffers()
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["w", "running"]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()] \
        == ["running", "scratch"]
    assert len(list(ours.buffers())) == 2


def test_reassigned_buffer_stays_registered():
    ours = WithBuffers()
    ours.running = np.full(2, 5.0)               # BatchNorm does this every step
    assert ours.state_dict()["running"].tolist() == [5.0, 5.0]
    ours.absent = np.ones(1)                      # a None buffer filled in later
    assert list(ours.state_dict()) == ["w", "running", "absent"]
    with pytest.raises(TypeError, match="cannot assign int as buffer 'running'"):
        ours.running = 3


def test_register_buffer_errors():
    m = nn.Module()
    with pytest.raises(KeyError, match="without '.'"):
        m.register_buffer("a.b", np.zeros(1))
    with pytest.raises(TypeError, match="numpy array or None"):
        m.register_buffer("x", [1.0, 2.0])
    m.register_parameter("p", nn.Parameter(np.zeros(1)))
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("p", np.zeros(1))


def test_buffers_follow_to_and_load_state_dict_from_torch():
    ours = WithBuffers().to(np.float32)
    assert ours.running.dtype == np.float32 and ours.scratch.dtype == np.float32
    theirs = TorchWithBuffers()
    theirs.running.fill_(7.0)
    ours.load_state_dict(theirs.state_dict())
    assert ours.running.dtype == np.float32 and ours.running.tolist() == [7.0, 7.0]


def test_load_state_dict_reports_keys_like_torch():
    ours, theirs = nn.Linear(2, 2), torch.nn.Linear(2, 2).double()
    sd = ours.state_dict()
    del sd["bias"]
    sd["extra"] = np.zeros(1)
    with pytest.raises(RuntimeError, match=r'Error\(s\) in loading state_dict for Linear:\n\t'
                                           r'Missing key\(s\) in state_dict: "bias"'):
        ours.load_state_dict(sd)
    tsd = {k: torch.from_numpy(np.asarray(v)) for k, v in sd.items()}
    with pytest.raises(RuntimeError, match="Missing key"):
        theirs.load_state_dict(tsd)
    ours_keys = ours.load_state_dict(sd, strict=False)
    theirs_keys = theirs.load_state_dict(tsd, strict=False)
    assert ours_keys.missing_keys == theirs_keys.missing_keys == ["bias"]
    assert ours_keys.unexpected_keys == theirs_keys.unexpected_keys == ["extra"]


# -- optimizer checkpoints ----------------------------------------------------------------
OPTIMIZERS = [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=1e-2, nesterov=True)),
    ("Adagrad", dict(lr=0.1, weight_decay=1e-2)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=1e-2)),
    ("Adam", dict(lr=0.01, weight_decay=1e-2, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=1e-1)),
]


def _train(model, opt, batches):
    loss_fn = nn.MSELoss()
    for x, y in batches:
        opt.zero_grad()
        loss_fn(model(x), y)
        model.backward(loss_fn.backward())
        opt.step()


def _data(rng, n):
    return [(rng.standard_normal((8, 3)), rng.standard_normal((8, 1))) for _ in range(n)]


@pytest.mark.parametrize("name,kw", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_checkpoint_round_trip_resumes_exactly(name, kw):
    rng = np.random.default_rng(0)
    batches = _data(rng, 10)
    model = nn.Sequential(nn.Linear(3, 4, rng=rng), nn.Tanh(), nn.Linear(4, 1, rng=rng))
    opt = getattr(optim, name)(model.parameters(), **kw)
    _train(model, opt, batches[:5])
    ckpt = {"model": model.state_dict(), "optim": copy.deepcopy(opt.state_dict())}
    _train(model, opt, batches[5:])              # the uninterrupted run

    fresh = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    fresh.load_state_dict(ckpt["model"])
    fresh_opt = getattr(optim, name)(fresh.parameters(), lr=123.0)   # lr comes from the ckpt
    fresh_opt.load_state_dict(ckpt["optim"])
    assert fresh_opt.param_groups[0]["lr"] == kw["lr"]
    _train(fresh, fresh_opt, batches[5:])        # the resumed run
    for a, b in zip(model.parameters(), fresh.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_state_dict_layout_matches_torch():
    rng = np.random.default_rng(1)
    model = nn.Linear(3, 1, rng=rng)
    tmodel = torch.nn.Linear(3, 1).double()
    tmodel.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})
    opt = optim.Adam(model.parameters(), lr=0.01)
    topt = torch.optim.Adam(tmodel.parameters(), lr=0.01)
    _train(model, opt, _data(rng, 1))
    sd, tsd = opt.state_dict(), topt.state_dict()
    assert sd["param_groups"][0]["params"] == [0, 1]
    assert set(sd["state"]) == {0, 1}
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert set(tsd["param_groups"][0]) >= {"params", "lr", "betas", "eps", "weight_decay",
                                           "amsgrad"}
    assert set(sd["param_groups"][0]) - {"decoupled_weight_decay"} <= set(tsd["param_groups"][0])


def test_resume_from_a_torch_checkpoint():
    """torch trains 3 steps, nnlib loads its model and Adam state and continues in step."""
    rng = np.random.default_rng(2)
    batches = _data(rng, 6)
    tmodel = torch.nn.Linear(3, 1).double()
    topt = torch.optim.Adam(tmodel.parameters(), lr=0.05, foreach=False)

    def torch_steps(bs):
        for x, y in bs:
            topt.zero_grad()
            torch.nn.functional.mse_loss(tmodel(torch.from_numpy(x)),
                                         torch.from_numpy(y)).backward()
            topt.step()

    torch_steps(batches[:3])
    model = nn.Linear(3, 1)
    model.load_state_dict(tmodel.state_dict())
    opt = optim.Adam(model.parameters())
    opt.load_state_dict(topt.state_dict())
    assert opt.state[model.weight]["step"] == 3
    torch_steps(batches[3:])
    _train(model, opt, batches[3:])
    np.testing.assert_allclose(model.weight.data, tmodel.weight.detach().numpy(), rtol=1e-12)


def test_optimizer_misuse_errors():
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"got a single Linear \(pass model.parameters\(\)\)"):
        optim.SGD(model, lr=0.1)
    with pytest.raises(TypeError, match=r"got Linear \(pass model.parameters\(\)\)"):
        optim.SGD([model], lr=0.1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="2 parameter group"):
        opt.load_state_dict({"state": {}, "param_groups": [
            {"params": [0], "lr": 0.1}, {"params": [1], "lr": 0.1}]})


# -- gradient clipping -------------------------------------------------------------------------
def _params_with(grads):
    ps, ts = [], []
    for g in grads:
        p = nn.Parameter(np.zeros_like(g))
        p.grad = np.array(g, dtype=float)
        t = torch.nn.Parameter(torch.zeros(len(g), dtype=torch.float64))
        t.grad = torch.tensor(g, dtype=torch.float64)
        ps.append(p)
        ts.append(t)
    return ps, ts


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_clip_grad_norm_non_finite_like_torch(bad):
    ps, ts = _params_with([[1.0, bad], [3.0, 4.0]])
    total = utils.clip_grad_norm_(ps, 1.0)
    t_total = torch.nn.utils.clip_grad_norm_(ts, 1.0)
    assert (np.isnan(total) and t_total.isnan()) or total == t_total.item()
    for p, t in zip(ps, ts):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())   # NaN where torch has NaN
    ps, ts = _params_with([[1.0, bad]])
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(ts, 1.0, error_if_nonfinite=True)


def test_clip_grad_norm_norm_types():
    for norm_type in (1, 2.0, 3, "inf", float("inf")):
        ps, ts = _params_with([[1.0, -2.0], [3.0, 4.0]])
        total = utils.clip_grad_norm_(ps, 1.0, norm_type=norm_type)
        t_total = torch.nn.utils.clip_grad_norm_(ts, 1.0, norm_type=norm_type)
        assert total == pytest.approx(t_total.item(), rel=1e-14)
        for p, t in zip(ps, ts):
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-14)
    ps, _ = _params_with([[1.0]])
    for bad in ("fro", 0, -1, None):
        with pytest.raises(ValueError, match="norm_type must be a positive number or 'inf'"):
            utils.clip_grad_norm_(ps, 1.0, norm_type=bad)
