"""RNNCell/LSTMCell/GRUCell, RNN/LSTM/GRU and functional.recurrent against torch (float64):
outputs, final states, gradients w.r.t. input, initial state and every parameter;
finite differences; LIFO with several calls; state_dict; init; errors."""
import numpy as np
import pytest
import torch

import nnlib
from nnlib import functional as F
from nnlib import nn
from nnlib.gradcheck import check_module, numerical_grad, rel_error

RTOL, ATOL = 1e-10, 1e-12
KINDS = ["RNN", "RNN_relu", "LSTM", "GRU"]


def close(a, b, what=""):
    b = b.detach().numpy() if hasattr(b, "detach") else b
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=what)


def make_seq(kind, n_in, hidden, num_layers=1, bias=True, batch_first=False, seed=0):
    name, act = (kind.split("_") + ["tanh"])[:2]
    kw = dict(num_layers=num_layers, bias=bias, batch_first=batch_first)
    if name == "RNN":
        kw["nonlinearity"] = act
    ours = getattr(nn, name)(n_in, hidden, rng=np.random.default_rng(seed), **kw)
    theirs = getattr(torch.nn, name)(n_in, hidden, **kw).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return ours, theirs


def make_cell(kind, n_in, hidden, bias=True, seed=0):
    name, act = (kind.split("_") + ["tanh"])[:2]
    kw = dict(bias=bias)
    if name == "RNN":
        kw["nonlinearity"] = act
    ours = getattr(nn, name + "Cell")(n_in, hidden, rng=np.random.default_rng(seed), **kw)
    theirs = getattr(torch.nn, name + "Cell")(n_in, hidden, **kw).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return ours, theirs


def assert_param_grads(ours, theirs):
    named = dict(ours.named_parameters())
    assert list(named) == [n for n, _ in theirs.named_parameters()]
    for name, tp in theirs.named_parameters():
        close(named[name].grad, tp.grad, name)


def t(a, grad=False):
    return torch.tensor(a, requires_grad=grad)


# -- sequence layers against torch ---------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("L", [1, 2, 7])
@pytest.mark.parametrize("N", [1, 3, None])          # None: unbatched (L, D)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("layers,bias", [(1, True), (2, True), (2, False)])
def test_sequence_matches_torch(kind, L, N, batch_first, with_state, layers, bias):
    rng = np.random.default_rng(L * 7 + (N or 0))
    D, H = 3, 4
    lstm = kind == "LSTM"
    ours, theirs = make_seq(kind, D, H, layers, bias, batch_first)
    if N is None:
        x_shape, s_shape, o_shape = (L, D), (layers, H), (L, H)
    elif batch_first:
        x_shape, s_shape, o_shape = (N, L, D), (layers, N, H), (N, L, H)
    else:
        x_shape, s_shape, o_shape = (L, N, D), (layers, N, H), (L, N, H)
    x = rng.standard_normal(x_shape)
    h0, c0 = rng.standard_normal(s_shape), rng.standard_normal(s_shape)
    go, gh, gc = (rng.standard_normal(s) for s in (o_shape, s_shape, s_shape))

    tx, th0, tc0 = t(x, True), t(h0, True), t(c0, True)
    thx = ((th0, tc0) if lstm else th0) if with_state else None
    tout, tfinal = theirs(tx, thx)
    thn, tcn = tfinal if lstm else (tfinal, None)
    loss = (tout * t(go)).sum() + (thn * t(gh)).sum()
    if lstm:
        loss = loss + (tcn * t(gc)).sum()
    loss.backward()

    hx = ((h0, c0) if lstm else h0) if with_state else None
    out, final = ours(x, hx)
    assert out.shape == o_shape
    close(out, tout, "output")
    if lstm:
        assert isinstance(final, tuple) and len(final) == 2
        close(final[0], thn, "h_n")
        close(final[1], tcn, "c_n")
        grads = ours.backward(go, gh, gc)
    else:
        close(final, thn, "h_n")
        grads = ours.backward(go, gh)
    if with_state:
        assert isinstance(grads, tuple) and len(grads) == (3 if lstm else 2)
        close(grads[1], th0.grad, "grad h_0")
        if lstm:
            close(grads[2], tc0.grad, "grad c_0")
        gx = grads[0]
    else:
        assert isinstance(grads, np.ndarray)
        gx = grads
    assert gx.shape == x.shape
    close(gx, tx.grad, "grad input")
    assert_param_grads(ours, theirs)
    assert ours.pending_backward == 0


@pytest.mark.parametrize("kind,which", [(k, w) for k in KINDS for w in ("output", "h_n")]
                         + [("LSTM", "c_n")])
def test_sequence_none_gradients(kind, which):
    """Only one output reaches the loss (e.g. classification from h_n): None for the rest."""
    rng = np.random.default_rng(1)
    ours, theirs = make_seq(kind, 3, 5, num_layers=2)
    x = rng.standard_normal((6, 2, 3))
    tx = t(x, True)
    tout, tfinal = theirs(tx)
    tstate = dict(zip(["h_n", "c_n"], tfinal)) if kind == "LSTM" else {"h_n": tfinal}
    target = {"output": tout, **tstate}[which]
    g = rng.standard_normal(tuple(target.shape))
    (target * t(g)).sum().backward()
    ours(x)
    args = {"output": (g, None, None), "h_n": (None, g, None), "c_n": (None, None, g)}[which]
    gx = ours.backward(*args[:3 if kind == "LSTM" else 2])
    close(gx, tx.grad)
    assert_param_grads(ours, theirs)


# -- cells against torch -------------------------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("N", [1, 3, None])
@pytest.mark.parametrize("with_state", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_cell_matches_torch(kind, N, with_state, bias):
    rng = np.random.default_rng(3)
    D, H = 3, 5
    lstm = kind == "LSTM"
    ours, theirs = make_cell(kind, D, H, bias)
    batch = () if N is None else (N,)
    x = rng.standard_normal(batch + (D,))
    h, c, gh, gc = (rng.standard_normal(batch + (H,)) for _ in range(4))
    tx, th, tc = t(x, True), t(h, True), t(c, True)
    thx = ((th, tc) if lstm else th) if with_state else None
    tres = theirs(tx, thx)
    if lstm:
        loss = (tres[0] * t(gh)).sum() + (tres[1] * t(gc)).sum()
    else:
        loss = (tres * t(gh)).sum()
    loss.backward()

    res = ours(x, ((h, c) if lstm else h) if with_state else None)
    if lstm:
        close(res[0], tres[0], "h'")
        close(res[1], tres[1], "c'")
        grads = ours.backward(gh, gc)
    else:
        assert res.shape == batch + (H,)
        close(res, tres, "h'")
        grads = ours.backward(gh)
    if with_state:
        close(grads[1], th.grad, "grad h")
        if lstm:
            close(grads[2], tc.grad, "grad c")
        grads = grads[0]
    close(grads, tx.grad, "grad input")
    assert_param_grads(ours, theirs)


@pytest.mark.parametrize("kind", KINDS)
def test_cell_unrolled_over_time_equals_sequence_layer(kind):
    """A cell called T times then T backward calls (LIFO) = the sequence layer = torch."""
    rng = np.random.default_rng(4)
    T, N, D, H = 5, 2, 3, 4
    lstm = kind == "LSTM"
    cell, tcell = make_cell(kind, D, H)
    xs = rng.standard_normal((T, N, D))
    gs = rng.standard_normal((T, N, H))
    state = (np.zeros((N, H)), np.zeros((N, H))) if lstm else np.zeros((N, H))
    for step in range(T):
        state = cell(xs[step], state)
    assert cell.pending_backward == T
    grad_x, gh, gc = np.zeros_like(xs), np.zeros((N, H)), np.zeros((N, H))
    for step in reversed(range(T)):
        if lstm:
            grad_x[step], gh, gc = cell.backward(gh + gs[step], gc)
        else:
            grad_x[step], gh = cell.backward(gh + gs[step])
    txs = t(xs, True)
    tstate, loss = None, 0
    for step in range(T):
        tstate = tcell(txs[step], tstate)
        loss = loss + ((tstate[0] if lstm else tstate) * t(gs[step])).sum()
    loss.backward()
    close(grad_x, txs.grad)
    assert_param_grads(cell, tcell)
    # the sequence layer with the same weights gives the same gradients
    seq = getattr(nn, kind.split("_")[0])(D, H, **({} if kind != "RNN_relu" else
                                                     {"nonlinearity": "relu"}))
    seq.load_state_dict({k + "_l0": v for k, v in cell.state_dict().items()})
    seq(xs)
    close(seq.backward(gs), txs.grad)


@pytest.mark.parametrize("kind", KINDS)
def test_layer_called_twice_before_backward(kind):
    """Two chunks of a sequence: the second starts from the first's final state; LIFO."""
    rng = np.random.default_rng(5)
    ours, theirs = make_seq(kind, 3, 4, num_layers=2)
    x1, x2 = rng.standard_normal((4, 2, 3)), rng.standard_normal((3, 2, 3))
    g1, g2 = rng.standard_normal((4, 2, 4)), rng.standard_normal((3, 2, 4))
    tx1, tx2 = t(x1, True), t(x2, True)
    o1, s1 = theirs(tx1)
    o2, _ = theirs(tx2, s1)
    ((o1 * t(g1)).sum() + (o2 * t(g2)).sum()).backward()

    _, state = ours(x1)
    out2, _ = ours(x2, state)
    close(out2, o2)
    assert ours.pending_backward == 2
    gx2, *gstate = ours.backward(g2)              # the second call first
    gx1 = ours.backward(g1, *gstate)
    close(gx2, tx2.grad)
    close(gx1, tx1.grad)
    assert_param_grads(ours, theirs)             # summed over both calls
    with pytest.raises(RuntimeError, match=f"{kind.split('_')[0]}.backward"):
        ours.backward(g1)


# -- finite differences --------------------------------------------------------------------
class OutputAndState(nn.Module):
    """``output`` and every final state concatenated into one array, for check_module."""

    def __init__(self, rnn):
        super().__init__()
        self.rnn = rnn

    def forward(self, x):
        out, final = self.rnn(x)
        arrays = [out] + list(final if isinstance(final, tuple) else (final,))
        self.shapes = [a.shape for a in arrays]
        return np.concatenate([a.reshape(-1) for a in arrays])

    def backward(self, grad):
        cuts = np.cumsum([np.prod(s) for s in self.shapes])[:-1]
        return self.rnn.backward(*(p.reshape(s) for p, s in zip(np.split(grad, cuts), self.shapes)))


@pytest.mark.parametrize("kind", KINDS)
def test_sequence_finite_differences(kind):
    rng = np.random.default_rng(6)
    name, act = (kind.split("_") + ["tanh"])[:2]
    kw = {"nonlinearity": act} if name == "RNN" else {}
    rnn = getattr(nn, name)(2, 3, num_layers=2, rng=rng, **kw)
    errors = check_module(OutputAndState(rnn), rng.standard_normal((4, 2, 2)), rng=rng)
    assert set(errors) == {"input"} | {"rnn." + n for n, _ in rnn.named_parameters()}
    assert max(errors.values()) < 1e-7, errors


@pytest.mark.parametrize("kind", KINDS)
def test_cell_finite_differences_including_state(kind):
    rng = np.random.default_rng(7)
    lstm = kind == "LSTM"
    cell, _ = make_cell(kind, 3, 4)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    R, Rc = rng.standard_normal((2, 4)), rng.standard_normal((2, 4))

    def loss(x, h, c):
        with nnlib.no_grad():
            res = cell(x, (h, c) if lstm else h)
        return np.sum(res[0] * R) + np.sum(res[1] * Rc) if lstm else np.sum(res * R)

    cell(x, (h, c) if lstm else h)
    grads = cell.backward(R, Rc) if lstm else cell.backward(R)
    numeric = [numerical_grad(lambda z: loss(z, h, c), x),
               numerical_grad(lambda z: loss(x, z, c), h)]
    if lstm:
        numeric.append(numerical_grad(lambda z: loss(x, h, z), c))
    for g, n in zip(grads, numeric, strict=True):
        assert rel_error(g, n) < 1e-7


@pytest.mark.parametrize("mode", ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"])
def test_functional_recurrent_finite_differences(mode):
    """recurrent_backward against central differences of every array argument."""
    rng = np.random.default_rng(8)
    L, N, D, H = 3, 2, 2, 3
    G = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}[mode]
    args = dict(x=rng.standard_normal((L, N, D)), h=rng.standard_normal((N, H)),
                c=rng.standard_normal((N, H)), w_ih=rng.standard_normal((G * H, D)),
                w_hh=rng.standard_normal((G * H, H)) * 0.5, b_ih=rng.standard_normal(G * H),
                b_hh=rng.standard_normal(G * H))
    R = [rng.standard_normal(s) for s in ((L, N, H), (N, H), (N, H))]

    def run(a):
        hx = (a["h"], a["c"]) if mode == "LSTM" else a["h"]
        return F.recurrent_forward(a["x"], hx, a["w_ih"], a["w_hh"], a["b_ih"], a["b_hh"],
                                   mode=mode)

    def loss(a):
        (out, final), _ = run(a)
        states = final if mode == "LSTM" else (final,)
        return np.sum(out * R[0]) + sum(np.sum(s * r) for s, r in zip(states, R[1:]))

    _, saved = run(args)
    grads = F.recurrent_backward(R[0], R[1], R[2] if mode == "LSTM" else None, saved,
                                 args["w_ih"], args["w_hh"], args["b_ih"], args["b_hh"])
    for name, g in zip(["x", "h", "c", "w_ih", "w_hh", "b_ih", "b_hh"], grads):
        if name == "c" and mode != "LSTM":
            assert g is None
            continue

        def f(z, name=name):
            return loss(dict(args, **{name: z}))

        assert rel_error(g, numerical_grad(f, args[name])) < 1e-7, name


def test_functional_cells_match_torch():
    rng = np.random.default_rng(9)
    x, h, c = rng.standard_normal((3, 2)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for fn, G in [("rnn_tanh_cell", 1), ("rnn_relu_cell", 1), ("lstm_cell", 4), ("gru_cell", 3)]:
        w_ih, w_hh = rng.standard_normal((G * 4, 2)), rng.standard_normal((G * 4, 4))
        b_ih, b_hh = rng.standard_normal(G * 4), rng.standard_normal(G * 4)
        hx = (h, c) if fn == "lstm_cell" else h
        ours = getattr(F, fn)(x, hx, w_ih, w_hh, b_ih, b_hh)
        if fn == "lstm_cell":
            assert isinstance(ours, tuple) and len(ours) == 2      # (h', c') as torch
        thx = tuple(map(t, hx)) if fn == "lstm_cell" else t(hx)
        theirs = getattr(torch, fn)(t(x), thx, *map(t, (w_ih, w_hh, b_ih, b_hh)))
        for a, b in zip(ours if fn == "lstm_cell" else [ours],
                        theirs if fn == "lstm_cell" else [theirs]):
            close(a, b, fn)
        assert getattr(F, fn)(x, hx, w_ih, w_hh) is not None      # biases are optional


@pytest.mark.parametrize("step,G,torch_cell", [
    ("rnn_step", 1, torch.rnn_tanh_cell), ("lstm_step", 4, torch.lstm_cell),
    ("gru_step", 3, torch.gru_cell)])
def test_step_pairs_match_torch_cells(step, G, torch_cell):
    """The step functions on their own: input projection in, state and gradients out."""
    rng = np.random.default_rng(10)
    N, D, H = 3, 2, 4
    x, h, c = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    w_ih, w_hh = rng.standard_normal((G * H, D)), rng.standard_normal((G * H, H))
    b_ih, b_hh = rng.standard_normal(G * H), rng.standard_normal(G * H)
    lstm = step == "lstm_step"
    tx, th, tc, tw_hh, tb_hh = t(x, True), t(h, True), t(c, True), t(w_hh, True), t(b_hh, True)
    res = torch_cell(tx, (th, tc) if lstm else th, t(w_ih), tw_hh, t(b_ih), tb_hh)
    res = res if lstm else (res,)
    grads_out = [rng.standard_normal((N, H)) for _ in res]
    sum((r * t(g)).sum() for r, g in zip(res, grads_out)).backward()
    xi = x @ w_ih.T + b_ih
    *state, saved = getattr(F, step)(xi, *((h, c) if lstm else (h,)), w_hh, b_hh)
    for ours, theirs in zip(state, res, strict=True):
        close(ours, theirs)
    grad_xi, grad_hh, *grad_state = getattr(F, step + "_backward")(*grads_out, saved, w_hh)
    close(grad_xi @ w_ih, tx.grad)
    close(grad_hh.T @ h, tw_hh.grad)
    close(grad_hh.sum(0), tb_hh.grad)
    close(grad_state[0], th.grad)
    if lstm:
        close(grad_state[1], tc.grad)


# -- parameters, state_dict, init, repr -----------------------------------------------------
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bias", [True, False])
def test_state_dict_keys_shapes_and_repr_match_torch(kind, bias):
    ours, theirs = make_seq(kind, 3, 4, num_layers=2, bias=bias, batch_first=True)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    assert all(sd[k].shape == tuple(tsd[k].shape) for k in sd)
    assert repr(ours) == repr(theirs)
    cell, tcell = make_cell(kind, 3, 4, bias=bias)
    assert list(cell.state_dict()) == list(tcell.state_dict())
    assert all(v.shape == tuple(tcell.state_dict()[k].shape) for k, v in cell.state_dict().items())
    assert repr(cell) == repr(tcell)


@pytest.mark.parametrize("kind", KINDS)
def test_load_torch_state_dict(kind):
    theirs = getattr(torch.nn, kind.split("_")[0])(3, 4, num_layers=2).double()
    ours = getattr(nn, kind.split("_")[0])(3, 4, num_layers=2)
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    close(ours(x)[0], theirs(t(x))[0])


@pytest.mark.parametrize("cls", [nn.RNN, nn.LSTM, nn.GRU, nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_init_is_torch_uniform(cls):
    H = 200
    m = cls(50, H, rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(H)
    values = np.concatenate([p.data.reshape(-1) for p in m.parameters()])
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound
    assert abs(values.mean()) < 0.01 * bound
    np.testing.assert_allclose(values.var(), bound ** 2 / 3, rtol=0.02)   # Var U(-a, a) = a²/3
    again = cls(50, H, rng=np.random.default_rng(0))
    assert all(np.array_equal(a.data, b.data) for a, b in zip(m.parameters(), again.parameters()))
    tm = getattr(torch.nn, cls.__name__)(50, H)
    assert [(n, p.shape) for n, p in m.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in tm.named_parameters()]


def test_float32_and_no_grad():
    lstm = nn.LSTM(3, 4, dtype=np.float32)
    x = np.ones((5, 2, 3), dtype=np.float32)
    with nnlib.no_grad():
        out, (h, c) = lstm(x)
    assert lstm.pending_backward == 0
    assert out.dtype == h.dtype == c.dtype == np.float32
    out, _ = lstm(x)
    gx = lstm.backward(np.ones_like(out))
    assert gx.dtype == np.float32 and all(p.grad.dtype == np.float32 for p in lstm.parameters())
    cell = nn.GRUCell(3, 4).to(np.float32)
    assert cell(x[0]).dtype == np.float32


# -- errors --------------------------------------------------------------------------------
def test_sequence_errors():
    lstm = nn.LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM: expected input of shape \(L, N, 3\).*\(5, 2, 4\)"):
        lstm(np.zeros((5, 2, 4)))
    with pytest.raises(ValueError, match="LSTM"):
        lstm(np.zeros((1, 5, 2, 3)))
    with pytest.raises(ValueError, match=r"LSTM: expected h_0 of shape \(2, 2, 4\), got \(1, 2, 4\)"):
        lstm(np.zeros((5, 2, 3)), (np.zeros((1, 2, 4)), np.zeros((2, 2, 4))))
    with pytest.raises(TypeError, match="LSTM: hx must be a tuple"):
        lstm(np.zeros((5, 2, 3)), np.zeros((2, 2, 4)))
    with pytest.raises(ValueError, match=r"GRU: expected hx of shape \(1, 4\)"):
        nn.GRU(3, 4)(np.zeros((5, 3)), np.zeros((1, 2, 4)))   # unbatched input, batched state
    with pytest.raises(TypeError, match="LSTM: input has dtype float32"):
        lstm(np.zeros((5, 2, 3), dtype=np.float32))
    with pytest.raises(RuntimeError, match="LSTM.backward"):
        lstm.backward(np.zeros((5, 2, 4)))
    out, _ = lstm(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match=r"LSTM.backward: grad_output .* \(5, 2, 4\), got \(5, 2, 3\)"):
        lstm.backward(np.zeros((5, 2, 3)))
    rnn = nn.RNN(3, 4, batch_first=True)
    rnn(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"RNN.backward: grad_h_n .* \(1, 2, 4\)"):
        rnn.backward(np.zeros((2, 5, 4)), np.zeros((2, 4)))


@pytest.mark.parametrize("kwargs,match", [
    (dict(dropout=0.5), "only dropout=0"), (dict(bidirectional=True), "only bidirectional=False"),
    (dict(num_layers=0), "num_layers must be a positive integer"),
    (dict(batch_first=1), "batch_first must be a bool"), (dict(bias="yes"), "bias must be a bool")])
def test_sequence_constructor_errors(kwargs, match):
    for cls in (nn.RNN, nn.LSTM, nn.GRU):
        with pytest.raises((ValueError, TypeError), match=f"{cls.__name__}: {match}"):
            cls(3, 4, **kwargs)


def test_cell_and_nonlinearity_errors():
    with pytest.raises(ValueError, match="RNN: unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="RNNCell: unknown nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="gelu")
    with pytest.raises(ValueError, match="LSTMCell: input_size must be a positive integer"):
        nn.LSTMCell(0, 4)
    cell = nn.LSTMCell(3, 4)
    with pytest.raises(ValueError, match=r"LSTMCell: expected input of shape \(N, 3\) or \(3,\), got \(2, 2\)"):
        cell(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"LSTMCell: expected c_0 of shape \(2, 4\), got \(4,\)"):
        cell(np.zeros((2, 3)), (np.zeros((2, 4)), np.zeros(4)))
    with pytest.raises(ValueError, match=r"GRUCell: expected hx of shape \(4,\)"):
        nn.GRUCell(3, 4)(np.zeros(3), np.zeros((1, 4)))
    cell(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"LSTMCell.backward: grad_c .* \(2, 4\), got \(2, 3\)"):
        cell.backward(np.zeros((2, 4)), np.zeros((2, 3)))


def test_functional_errors():
    x, h = np.zeros((5, 2, 3)), np.zeros((2, 4))
    w_ih, w_hh = np.zeros((16, 3)), np.zeros((16, 4))
    with pytest.raises(ValueError, match="recurrent_forward: mode must be one of"):
        F.recurrent_forward(x, h, w_ih, w_hh, mode="LSTM2")
    with pytest.raises(ValueError, match=r"recurrent_forward: w_hh of mode GRU must have shape \(3·H, H\)"):
        F.recurrent_forward(x, h, w_ih, w_hh, mode="GRU")
    with pytest.raises(ValueError, match=r"recurrent_forward: w_ih must have shape \(16, 3\)"):
        F.recurrent_forward(x, (h, h), w_ih[:, :2], w_hh, mode="LSTM")
    with pytest.raises(ValueError, match="recurrent_forward: an LSTM state is a pair"):
        F.recurrent_forward(x, (h,), w_ih, w_hh, mode="LSTM")
    with pytest.raises(ValueError, match=r"recurrent_forward: c must have shape \(2, 4\)"):
        F.recurrent_forward(x, (h, h[:1]), w_ih, w_hh, mode="LSTM")
    with pytest.raises(ValueError, match=r"recurrent_forward: b_hh must have shape \(16,\)"):
        F.recurrent_forward(x, (h, h), w_ih, w_hh, None, np.zeros(4), mode="LSTM")
    with pytest.raises(ValueError, match=r"recurrent_forward: expected input of shape \(L, N"):
        F.recurrent_forward(x[0], (h, h), w_ih, w_hh, mode="LSTM")
    with pytest.raises(ValueError, match=r"recurrent_cell_forward: expected input of shape \(N"):
        F.lstm_cell(x, (h, h), w_ih, w_hh)
