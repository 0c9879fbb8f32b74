"""nnlib.utils: gradient clipping vs torch.nn.utils, and the mini-batch iterator."""
import math

import numpy as np
import pytest
import torch

from nnlib import utils
from nnlib.nn import Parameter

SHAPES = [(3,), (2, 4), (2, 3, 2)]


def _pair(scale=1.0, seed=0, none_at=None):
    rng = np.random.default_rng(seed)
    grads = [scale * rng.normal(size=s) for s in SHAPES]
    ours, theirs = [], []
    for k, g in enumerate(grads):
        p = Parameter(np.zeros(g.shape))
        t = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        if k != none_at:
            p.grad = g.copy()
            t.grad = torch.from_numpy(g.copy())
        ours.append(p)
        theirs.append(t)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("none_at", [None, 1])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, none_at):
    ours, theirs = _pair(scale=2.0, none_at=none_at)
    total = utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, float)
    assert total == pytest.approx(float(t_total), rel=1e-12)
    for p, t in zip(ours, theirs):
        if t.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=1e-12)
    if max_norm < total:                        # the clipped gradient has norm max_norm
        assert utils.clip_grad_norm_(ours, 1e9, norm_type) == pytest.approx(max_norm, rel=1e-5)


def test_clip_grad_norm_keeps_direction_and_single_parameter():
    p = Parameter(np.zeros(2))
    p.grad = np.array([3.0, 4.0])
    assert utils.clip_grad_norm_(p, 1.0) == 5.0
    np.testing.assert_allclose(p.grad, np.array([0.6, 0.8]) * 5 / (5 + 1e-6), rtol=1e-12)


def test_clip_grad_norm_edge_cases():
    p = Parameter(np.zeros(2))
    assert utils.clip_grad_norm_([p], 1.0) == 0.0            # no gradients at all
    p.grad = np.array([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError):
        utils.clip_grad_norm_([p], -1.0)
    with pytest.raises(TypeError):
        utils.clip_grad_norm_([np.zeros(2)], 1.0)


@pytest.mark.parametrize("clip_value", [0.1, 0.7, 10.0])
def test_clip_grad_value_matches_torch(clip_value):
    ours, theirs = _pair(scale=1.5, none_at=2)
    assert utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, t in zip(ours, theirs):
        if t.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_array_equal(p.grad, t.grad.numpy())
    with pytest.raises(ValueError):
        utils.clip_grad_value_(ours, -1.0)


@pytest.mark.parametrize("n, bs, drop_last", [(10, 3, False), (10, 3, True), (12, 4, False),
                                              (5, 10, False), (7, 1, False), (10000, 100, False)])
def test_batches_cover_every_example_once_per_epoch(n, bs, drop_last):
    X = np.arange(2 * n, dtype=float).reshape(n, 2)
    y = np.arange(n)
    rng = np.random.default_rng(0)
    orders = []
    for _ in range(2):
        seen, sizes = [], []
        for xb, yb in utils.batches(X, y, bs, drop_last=drop_last, rng=rng):
            np.testing.assert_array_equal(xb[:, 0], 2 * yb)        # rows stay paired with targets
            seen.extend(yb.tolist())
            sizes.append(len(yb))
        assert len(sizes) == utils.num_batches(n, bs, drop_last)
        assert all(s == bs for s in sizes[:-1]) and 0 < sizes[-1] <= bs
        if drop_last:
            assert len(seen) == n - n % bs and len(set(seen)) == len(seen)
        else:
            assert sorted(seen) == list(range(n))
        orders.append(seen)
    if n > 3 and not drop_last:
        assert orders[0] != orders[1]                             # a new permutation each epoch


def test_batches_without_shuffle_and_without_y():
    X = np.arange(7)
    out = list(utils.batches(X, batch_size=3, shuffle=False))
    assert [b.tolist() for b in out] == [[0, 1, 2], [3, 4, 5], [6]]


def test_batches_reproducible_with_seed():
    X = np.arange(20)
    a = [b.tolist() for b in utils.batches(X, batch_size=6, rng=np.random.default_rng(3))]
    b = [b.tolist() for b in utils.batches(X, batch_size=6, rng=np.random.default_rng(3))]
    assert a == b


def test_epochs_vs_iterations_of_the_guide():
    assert utils.num_batches(10000, 100) == 100
    assert utils.num_batches(10001, 100) == 101 and utils.num_batches(10001, 100, drop_last=True) == 100


def test_batches_errors():
    with pytest.raises(ValueError, match="same number of examples"):
        utils.batches(np.zeros((4, 2)), np.zeros(3), 2)
    with pytest.raises(ValueError, match="batch_size"):
        utils.batches(np.zeros((4, 2)), np.zeros(4), 0)
    with pytest.raises(ValueError):
        utils.batches(np.float64(1.0), None, 1)


def test_by_device_picks_the_gpu_size_only_on_cuda():
    sizes = dict(cpu="small", gpu="full")
    assert utils.by_device(torch.device("cpu"), **sizes) == "small"
    assert utils.by_device(torch.device("cuda", 0), **sizes) == "full"
    assert utils.by_device("cuda:1", **sizes) == "full"
    assert utils.by_device("mps", **sizes) == "small"
    with pytest.raises(ValueError, match="by_device"):
        utils.by_device("tpu", **sizes)
