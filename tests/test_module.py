"""Parameter, Module and Sequential against torch.nn: registration, names, state, modes, printing."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

from nnlib.nn import Flatten, Identity, Linear, Module, Parameter, Sequential


def twins():
    """The same architecture in nnlib and torch (float64), nnlib's weights copied into torch."""
    ours = Sequential(Linear(3, 4), Linear(4, 2, bias=False))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2, bias=False)).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return ours, theirs


class WithBuffer(Module):
    """A module with a parameter, a buffer and a child: state_dict order is tested against torch."""

    def __init__(self):
        super().__init__()
        self.scale = Parameter(np.ones(2))
        self.register_buffer("running", np.zeros(2))
        self.inner = Linear(2, 2)


class TorchWithBuffer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(2))
        self.register_buffer("running", torch.zeros(2))
        self.inner = torch.nn.Linear(2, 2)


# -- Parameter ----------------------------------------------------------------------------------
def test_parameter_holds_a_float_copy():
    src = np.arange(6).reshape(2, 3)
    p = Parameter(src)
    assert p.dtype == np.float64 and p.shape == (2, 3) and p.numel() == 6 and p.size == 6
    p.data[0, 0] = 100.0
    assert src[0, 0] == 0, "Parameter must copy its data"
    assert p.grad is None
    assert Parameter(np.ones(3, dtype=np.float32)).dtype == np.float32
    assert "shape=(2, 3)" in repr(p)


def test_accumulate_grad_adds_and_copies():
    p = Parameter(np.zeros((2, 2)))
    g = np.ones((2, 2))
    p.accumulate_grad(g)
    g[0, 0] = 50.0  # the first gradient is copied, not aliased
    p.accumulate_grad(2 * np.ones((2, 2)))
    np.testing.assert_array_equal(p.grad, 3 * np.ones((2, 2)))


def test_accumulate_grad_keeps_the_parameter_dtype():
    p = Parameter(np.zeros(3, dtype=np.float32))
    p.accumulate_grad(np.ones(3))
    assert p.grad.dtype == np.float32


def test_accumulate_grad_shape_error():
    p = Parameter(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"Parameter.*\(3, 2\).*\(2, 3\)"):
        p.accumulate_grad(np.zeros((3, 2)))
    with pytest.raises(ValueError):
        p.accumulate_grad(np.zeros(6))  # no silent reshape
    assert p.grad is None


# -- registration ---------------------------------------------------------------------------------
def test_attributes_are_registered_like_torch():
    m = WithBuffer()
    assert list(m._parameters) == ["scale"]
    assert list(m._modules) == ["inner"]
    assert list(m._buffers) == ["running"]
    with pytest.raises(TypeError, match="cannot assign ndarray as parameter 'scale'"):
        m.scale = np.zeros(2)  # torch: "cannot assign 'torch.FloatTensor' as parameter"
    m.scale = None             # None marks an absent parameter (torch's rule)
    assert m._parameters["scale"] is None
    assert [n for n, _ in m.named_parameters()] == ["inner.weight", "inner.bias"]


def test_assignment_before_super_init_is_an_error():
    class Broken(Module):
        def __init__(self):
            self.w = Parameter(np.zeros(1))

    with pytest.raises(RuntimeError, match="super"):
        Broken()


def test_register_parameter_checks_type():
    m = Module()
    with pytest.raises(TypeError, match="register_parameter"):
        m.register_parameter("w", np.zeros(2))
    m.register_parameter("b", None)  # an absent parameter (bias=False)
    assert list(m.named_parameters()) == [] and m.b is None


def test_named_parameters_match_torch():
    ours, theirs = twins()
    ours_np = [(n, p.shape) for n, p in ours.named_parameters()]
    theirs_np = [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert ours_np == theirs_np == [("0.weight", (4, 3)), ("0.bias", (4,)), ("1.weight", (2, 4))]
    assert ours.num_parameters() == sum(p.numel() for p in theirs.parameters()) == 12 + 4 + 8
    assert [n for n, _ in ours.named_parameters(recurse=False)] == []


def test_nested_names_match_torch():
    ours = Sequential(Linear(2, 3), Sequential(Flatten(), Linear(3, 1)))
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3),
                                 torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3, 1)))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]


def test_shared_parameters_listed_once_like_torch():
    lin = Linear(2, 2)
    ours = Sequential(lin, lin)
    tlin = torch.nn.Linear(2, 2)
    theirs = torch.nn.Sequential(tlin, tlin)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_state_dict_keys_shapes_and_order_match_torch():
    ours, theirs = twins()
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert isinstance(sd, OrderedDict)
    assert [(k, v.shape) for k, v in sd.items()] == [(k, tuple(v.shape)) for k, v in tsd.items()]
    # buffers: each module's parameters, then its buffers, then its children (torch's order)
    assert list(WithBuffer().state_dict()) == list(TorchWithBuffer().state_dict()) == \
        ["scale", "running", "inner.weight", "inner.bias"]


def test_state_dict_returns_copies():
    ours, _ = twins()
    sd = ours.state_dict()
    sd["0.weight"][...] = 0.0
    assert not np.all(ours[0].weight.data == 0.0)


def test_load_state_dict_from_torch_tensors():
    ours = Sequential(Linear(3, 4), Linear(4, 2, bias=False))
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2, bias=False)).double()
    result = ours.load_state_dict(theirs.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (name, p), (tname, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert name == tname and p.dtype == np.float64
        np.testing.assert_array_equal(p.data, tp.detach().numpy())
    x = np.random.default_rng(0).standard_normal((5, 3))
    np.testing.assert_allclose(ours(x), theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-12, atol=1e-14)


def test_load_state_dict_float32_tensors_cast_to_parameter_dtype():
    ours = Linear(2, 2)
    ours.load_state_dict(torch.nn.Linear(2, 2).state_dict())  # float32 tensors
    assert ours.weight.dtype == np.float64


def test_load_state_dict_buffers():
    ours = WithBuffer()
    src = TorchWithBuffer().double()
    src.running.fill_(7.0)
    ours.load_state_dict(src.state_dict())
    np.testing.assert_array_equal(ours.running, [7.0, 7.0])
    assert ours.state_dict()["running"].tolist() == [7.0, 7.0]


def test_load_state_dict_strict_errors():
    ours, theirs = twins()
    sd = ours.state_dict()
    missing = OrderedDict((k, v) for k, v in sd.items() if k != "0.bias")
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "0\.bias"'):
        ours.load_state_dict(missing)
    extra = OrderedDict(sd, **{"2.weight": np.zeros((1, 2))})
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "2\.weight"'):
        ours.load_state_dict(extra)
    # strict=False: loads what matches, ignores the rest
    before = ours[0].bias.data.copy()
    missing["0.weight"] = np.zeros((4, 3))
    assert ours.load_state_dict(missing, strict=False).missing_keys == ["0.bias"]
    np.testing.assert_array_equal(ours[0].weight.data, 0.0)
    np.testing.assert_array_equal(ours[0].bias.data, before)
    ours.load_state_dict(extra, strict=False)


def test_load_state_dict_shape_error():
    ours, _ = twins()
    sd = ours.state_dict()
    sd["0.weight"] = np.zeros((3, 4))
    with pytest.raises(RuntimeError, match=r"size mismatch for 0\.weight.*\(3, 4\).*\(4, 3\)"):
        ours.load_state_dict(sd)
    with pytest.raises(RuntimeError, match=r"size mismatch"):   # also when not strict
        ours.load_state_dict(sd, strict=False)


# -- modes, gradients, dtype ---------------------------------------------------------------------------
def test_train_eval_propagate():
    ours = Sequential(Linear(2, 2), Sequential(Identity(), Linear(2, 1)))
    assert all(m.training for m in ours.modules())
    assert ours.eval() is ours
    assert not any(m.training for m in ours.modules())
    assert ours.train() is ours and all(m.training for m in ours.modules())
    ours[1].train(False)
    assert ours.training and not ours[1].training and not ours[1][1].training


def test_zero_grad_sets_none():
    ours, _ = twins()
    x = np.ones((2, 3))
    ours(x)
    ours.backward(np.ones((2, 2)))
    assert all(p.grad is not None for p in ours.parameters())
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())


def test_to_float32():
    ours, _ = twins()
    ours(np.ones((1, 3)))
    ours.backward(np.ones((1, 2)))
    assert ours.to(np.float32) is ours
    assert all(p.dtype == np.float32 and p.grad.dtype == np.float32 for p in ours.parameters())
    assert ours(np.ones((5, 3), dtype=np.float32)).dtype == np.float32
    m = WithBuffer().to(np.float32)
    assert m.running.dtype == np.float32 and m.state_dict()["running"].dtype == np.float32


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="Linear.backward: no forward call is waiting"):
        Linear(2, 3).backward(np.ones(3))
    with pytest.raises(RuntimeError, match="Identity.backward: no forward"):
        Sequential(Linear(2, 3), Identity()).backward(np.ones(3))
    with pytest.raises(RuntimeError, match="Flatten.backward: no forward"):
        Flatten().backward(np.ones((2, 3)))


def test_base_module_forward_backward_not_implemented():
    with pytest.raises(NotImplementedError, match="Module"):
        Module()(np.ones(2))
    with pytest.raises(NotImplementedError):
        Module().backward(np.ones(2))


# -- printing ----------------------------------------------------------------------------------------
def test_repr_matches_torch():
    ours = Sequential(Linear(3, 4), Sequential(Flatten(), Identity()), Linear(4, 2, bias=False))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4),
                                 torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Identity()),
                                 torch.nn.Linear(4, 2, bias=False))
    assert repr(ours) == repr(theirs)
    assert repr(Flatten(0, 2)) == repr(torch.nn.Flatten(0, 2))


# -- Sequential ---------------------------------------------------------------------------------------
def test_sequential_indexing_slicing_len():
    layers = [Linear(2, 3), Identity(), Linear(3, 1)]
    ours = Sequential(*layers)
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Identity(), torch.nn.Linear(3, 1))
    assert len(ours) == len(theirs) == 3
    assert ours[0] is layers[0] and ours[-1] is layers[2]
    assert list(ours) == layers
    tail = ours[1:]
    assert isinstance(tail, Sequential) and len(tail) == 2 and tail[0] is layers[1]
    assert list(tail.state_dict()) == list(theirs[1:].state_dict()) == ["2.weight", "2.bias"]
    assert repr(tail) == repr(theirs[1:])
    assert len(ours[::2]) == 2 and len(ours[5:]) == 0
    with pytest.raises(IndexError):
        ours[3]


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="Sequential: argument 1"):
        Sequential(Linear(2, 2), np.ones(2))


def test_sequential_forward_backward_match_torch():
    ours, theirs = twins()
    x = np.random.default_rng(1).standard_normal((6, 3))
    g = np.random.default_rng(2).standard_normal((6, 2))
    tx = torch.from_numpy(x).requires_grad_()
    y = theirs(tx)
    y.backward(torch.from_numpy(g))
    np.testing.assert_allclose(ours(x), y.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.backward(g), tx.grad.numpy(), rtol=1e-12, atol=1e-14)
    for (name, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12, atol=1e-14, err_msg=name)
