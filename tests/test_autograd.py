"""nnlib.autograd.Value against torch.autograd (float64) and finite differences."""
import math

import matplotlib
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.autograd import Value, draw_graph
from nnlib.gradcheck import numerical_grad

matplotlib.use("Agg")

# Each expression works on nnlib Values and on torch tensors alike.
EXPRESSIONS = {
    "poly": lambda a, b, c: (3 * a + 2) ** 2 + b * c - c / a,
    "reuse": lambda a, b, c: a * a + a,
    "reuse_deep": lambda a, b, c: (a * b + a) * (a - b) + 1 / (c * c + 1),
    "neuron_tanh": lambda a, b, c: (a * 0.5 + b * -1.5 + c).tanh(),
    "sigmoid_log": lambda a, b, c: (a * b).sigmoid().log() - (2 - c).exp() / 10,
    "relu_mix": lambda a, b, c: (a - b).relu() * c + (b - a).relu() ** 3,
    "rsub_rdiv": lambda a, b, c: 1 - a / 2 + 5 / b - (-c),
    "powers": lambda a, b, c: (a * a + 1) ** 0.5 + (b * b + 2) ** -1.5 * c,
    "chain": lambda a, b, c: ((a * b).tanh() * c).exp().log() + a * (b + c * (a - 1)),
}
POINTS = [(1.5, -0.7, 2.0), (-0.3, 1.2, 0.4), (2.2, 0.9, -1.3)]


def _values(point):
    return [Value(v, label=n) for v, n in zip(point, "abc")]


def _torch_grads(expr, point):
    ts = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in point]
    out = expr(*ts)
    out.backward()
    return out.item(), [t.grad.item() if t.grad is not None else 0.0 for t in ts]


@pytest.mark.parametrize("name", EXPRESSIONS)
@pytest.mark.parametrize("point", POINTS)
def test_value_vs_torch(name, point):
    expr = EXPRESSIONS[name]
    vs = _values(point)
    out = expr(*vs)
    out.backward()
    ref, ref_grads = _torch_grads(expr, point)
    assert out.data == pytest.approx(ref, rel=1e-12, abs=1e-14)
    for v, g in zip(vs, ref_grads):
        assert v.grad == pytest.approx(g, rel=1e-12, abs=1e-14)


def test_reused_node_accumulates():
    a = Value(3.0)
    y = a * a + a              # dy/da = 2a + 1 = 7: two paths through *, one through +
    y.backward()
    assert a.grad == 7.0


def test_backward_accumulates_across_calls_and_zero_grad():
    a, b = Value(2.0), Value(-1.0)
    y = a * b + b
    y.backward()
    assert (a.grad, b.grad) == (-1.0, 3.0)
    y.backward()               # like torch: gradients add up if they are not reset
    assert (a.grad, b.grad) == (-2.0, 6.0)
    y.zero_grad()
    assert (a.grad, b.grad, y.grad) == (0.0, 0.0, 0.0)
    y.backward()
    assert (a.grad, b.grad) == (-1.0, 3.0)


def test_guide_chain_rule_example():
    for x0 in (-2.0, 0.0, 1.0, 3.5):
        x = Value(x0)
        y = (3 * x + 2) ** 2
        y.backward()
        assert x.grad == pytest.approx(6 * (3 * x0 + 2), rel=1e-14)


def test_topological_order_and_deep_graph():
    x = Value(0.5)
    y = x
    for _ in range(3000):      # deeper than Python's recursion limit
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad == pytest.approx(1.0001 ** 3000, rel=1e-10)
    order = y.topological_order()
    pos = {id(n): i for i, n in enumerate(order)}
    assert all(pos[id(c)] < pos[id(n)] for n in order for c in n._prev)


def test_activations_at_edges():
    z = Value(0.0)
    r = z.relu()
    r.backward()
    assert z.grad == 0.0       # relu'(0) = 0 as in torch
    for v in (-1000.0, 1000.0):
        s = Value(v).sigmoid()
        assert 0.0 <= s.data <= 1.0
    with pytest.raises(ValueError, match="log"):
        Value(-1.0).log()


def test_type_errors_and_repr():
    with pytest.raises(TypeError):
        Value("1")
    with pytest.raises(TypeError):
        Value(1.0) ** Value(2.0)
    with pytest.raises(TypeError):
        Value(1.0) + "x"
    assert repr(Value(2.0, label="w")) == "Value(label='w', data=2, grad=0)"


@settings(max_examples=40, deadline=None)
@given(st.floats(-3, 3), st.floats(-3, 3), st.floats(0.2, 3))
def test_value_vs_finite_differences(a0, b0, c0):
    def f(p, cls=float):
        a, b, c = p
        if cls is Value:
            return (a * b).tanh() + (c.log() * a) ** 2 - b.sigmoid() * c
        return math.tanh(a * b) + (math.log(c) * a) ** 2 - c / (1 + math.exp(-b))
    vs = [Value(a0), Value(b0), Value(c0)]
    f(vs, Value).backward()
    num = numerical_grad(lambda p: f(p), np.array([a0, b0, c0]))
    np.testing.assert_allclose([v.grad for v in vs], num, rtol=1e-6, atol=1e-7)


def test_draw_graph_runs_and_is_deterministic():
    import matplotlib.pyplot as plt
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    L = (a * b + a).tanh()
    L.label = "L"
    L.backward()
    ax1 = L.draw()
    texts1 = sorted(t.get_text() for t in ax1.texts)
    ax2 = draw_graph(L)
    texts2 = sorted(t.get_text() for t in ax2.texts)
    assert texts1 == texts2
    assert "grad 1.0000" in texts1 and "tanh" in texts1 and "a" in texts1
    assert len(ax1.patches) > 0
    plt.close("all")
