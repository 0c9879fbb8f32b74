"""Recurrent cells (Elman RNN, LSTM, GRU) and one recurrent layer over a sequence.

Each cell's formula lives once, as a *step*: ``<cell>_step(xi, *state, w_hh, b_hh)``
takes the input projection :math:`x_t W_{ih}^\\top + b_{ih}` (computed for all time
steps at once by the caller) and the previous state, does **one** matrix product
:math:`h_{t-1} W_{hh}^\\top + b_{hh}` for all gates and returns the new state and
what its backward needs. ``<cell>_step_backward`` returns the gradients w.r.t. the
input projection (``grad_xi``), the hidden projection (``grad_hh``) and the previous
state. The gate equations and layouts are torch's (rows of ``w_ih``/``w_hh``
stacked as the gates):

* RNN (1 gate): :math:`h' = \\tanh(x W_{ih}^\\top + b_{ih} + h W_{hh}^\\top + b_{hh})`
  (or ReLU);
* LSTM (gates i, f, g, o): :math:`i, f, o = \\sigma(\\cdot)`,
  :math:`g = \\tanh(\\cdot)`, :math:`c' = f \\odot c + i \\odot g`,
  :math:`h' = o \\odot \\tanh c'`;
* GRU (gates r, z, n): :math:`r, z = \\sigma(\\cdot)`,
  :math:`n = \\tanh(W_{in} x + b_{in} + r \\odot (W_{hn} h + b_{hn}))`,
  :math:`h' = (1 - z) \\odot n + z \\odot h`.

:func:`recurrent_forward`/:func:`recurrent_backward` run one layer over a sequence
(L, N, I): the input projection of all L steps is one matrix product, the time loop
calls the step, and backpropagation through time runs the step backwards, then forms
:math:`\\partial L/\\partial W_{ih}` and :math:`\\partial L/\\partial W_{hh}` with one
product each after the loop. A cell (:func:`recurrent_cell_forward`) is that layer
with L = 1. ``mode`` is torch's name: ``'RNN_TANH'``, ``'RNN_RELU'``, ``'LSTM'``,
``'GRU'``.
"""
from __future__ import annotations

import numpy as np

from nnlib._checks import as_array, check_choice
from nnlib.functional.activations import (relu, relu_backward, sigmoid_backward,
                                          tanh_backward)

__all__ = ["rnn_step", "rnn_step_backward", "lstm_step", "lstm_step_backward",
           "gru_step", "gru_step_backward",
           "recurrent_forward", "recurrent_backward",
           "recurrent_cell_forward", "recurrent_cell_backward",
           "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell"]

MODES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}   # mode -> number of gates


def _sigmoid_(a):
    """:math:`\\sigma(a) = 1/(1 + e^{-a})` in place (the hot loop: no temporaries).

    The same function as :func:`nnlib.functional.sigmoid`; where :math:`e^{-a}`
    overflows (a < -88 in float32) it gives 1/inf = 0, the right limit.
    """
    with np.errstate(over="ignore"):
        np.exp(np.negative(a, out=a), out=a)
    a += 1.0
    return np.divide(1.0, a, out=a)


def _hidden_projection(h, w_hh, b_hh):
    """:math:`h W_{hh}^\\top + b_{hh}`: one product for all gates, (N, G·H)."""
    hh = h @ w_hh.T
    if b_hh is not None:
        hh += b_hh
    return hh


# ------------------------------------------------------------------------- the steps
def rnn_step(xi, h, w_hh, b_hh=None, nonlinearity="tanh"):
    """Elman step :math:`h' = \\tanh(x_i + h W_{hh}^\\top + b_{hh})` (or ReLU).

    ``xi`` (N, H) is the input projection, ``h`` (N, H) the previous state.
    Returns ``(h', saved)``; ``saved = (h',)`` (both derivatives need the output).
    """
    a = xi + _hidden_projection(h, w_hh, b_hh)
    h_new = np.tanh(a, out=a) if nonlinearity == "tanh" else relu(a)
    return h_new, (h_new,)


def rnn_step_backward(grad_h, saved, w_hh, nonlinearity="tanh"):
    """Backward of :func:`rnn_step`; ``grad_h`` = dL/dh'.

    With :math:`\\delta = \\partial L/\\partial h' \\odot f'` (:math:`1 - h'^2` for
    tanh, :math:`[h' > 0]` for ReLU), both projections get :math:`\\delta` and
    :math:`\\partial L/\\partial h = \\delta W_{hh}`.
    Returns ``(grad_xi, grad_hh, grad_h)``.
    """
    (h_new,) = saved
    if nonlinearity == "tanh":
        delta = tanh_backward(grad_h, h_new)
    else:
        delta = relu_backward(grad_h, h_new)
    return delta, delta, delta @ w_hh


def lstm_step(xi, h, c, w_hh, b_hh=None):
    """LSTM step; ``xi`` (N, 4H) the input projection, ``h``, ``c`` (N, H) the state.

    Gates (torch's order i, f, g, o along the 4H axis):
    :math:`[i, f, g, o] = [\\sigma, \\sigma, \\tanh, \\sigma](x_i + h W_{hh}^\\top
    + b_{hh})`, :math:`c' = f \\odot c + i \\odot g`, :math:`h' = o \\odot \\tanh c'`.
    Returns ``(h', c', saved)``, ``saved = (gates, c, tanh c')`` with the gates
    after their nonlinearities.
    """
    H = h.shape[-1]
    gates = _hidden_projection(h, w_hh, b_hh)
    gates += xi
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
    _sigmoid_(gates[:, :2 * H])                  # i, f
    np.tanh(g, out=g)
    _sigmoid_(o)
    c_new = f * c + i * g
    tanh_c = np.tanh(c_new)
    return o * tanh_c, c_new, (gates, c, tanh_c)


def lstm_step_backward(grad_h, grad_c, saved, w_hh):
    """Backward of :func:`lstm_step` from ``grad_h`` = dL/dh', ``grad_c`` = dL/dc'.

    :math:`\\delta c = \\partial L/\\partial c' + \\partial L/\\partial h' \\odot o
    \\odot (1 - \\tanh^2 c')`, then :math:`\\delta i = \\delta c \\odot g`,
    :math:`\\delta f = \\delta c \\odot c`, :math:`\\delta g = \\delta c \\odot i`,
    :math:`\\delta o = \\partial L/\\partial h' \\odot \\tanh c'`, each through its
    nonlinearity's derivative; :math:`\\partial L/\\partial c = \\delta c \\odot f`,
    :math:`\\partial L/\\partial h = \\delta_{gates} W_{hh}`.
    Returns ``(grad_xi, grad_hh, grad_h, grad_c)`` (the two projections get the
    same gradient).
    """
    gates, c, tanh_c = saved
    H = c.shape[-1]
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
    dc = grad_c + tanh_backward(grad_h * o, tanh_c)
    d_act = np.concatenate([dc * g, dc * c, dc * i, grad_h * tanh_c], axis=1)
    d_gates = sigmoid_backward(d_act, gates)       # right for i, f, o ...
    d_gates[:, 2 * H:3 * H] = tanh_backward(d_act[:, 2 * H:3 * H], g)   # ... and g
    return d_gates, d_gates, d_gates @ w_hh, dc * f


def gru_step(xi, h, w_hh, b_hh=None):
    """GRU step; ``xi`` (N, 3H) the input projection, ``h`` (N, H) the state.

    With :math:`h_p = h W_{hh}^\\top + b_{hh}` (gates r, z, n along 3H):
    :math:`r, z = \\sigma(x_{i,rz} + h_{p,rz})`,
    :math:`n = \\tanh(x_{i,n} + r \\odot h_{p,n})`,
    :math:`h' = (1 - z) \\odot n + z \\odot h = n + z \\odot (h - n)`.
    Returns ``(h', saved)``, ``saved = (h, rz, n, h_{p,n})``.
    """
    H = h.shape[-1]
    hh = _hidden_projection(h, w_hh, b_hh)
    rz = _sigmoid_(xi[:, :2 * H] + hh[:, :2 * H])
    r, z = rz[:, :H], rz[:, H:]
    hh_n = hh[:, 2 * H:]
    n = np.tanh(xi[:, 2 * H:] + r * hh_n)
    return n + z * (h - n), (h, rz, n, hh_n)


def gru_step_backward(grad_h, saved, w_hh):
    """Backward of :func:`gru_step`; ``grad_h`` = dL/dh'.

    :math:`\\delta n = \\partial L/\\partial h' \\odot (1 - z) \\odot (1 - n^2)`,
    :math:`\\delta z = \\partial L/\\partial h' \\odot (h - n) \\odot z(1 - z)`,
    :math:`\\delta r = \\delta n \\odot h_{p,n} \\odot r(1 - r)`; the input
    projection gets :math:`[\\delta r, \\delta z, \\delta n]`, the hidden one
    :math:`\\delta_{hh} = [\\delta r, \\delta z, r \\odot \\delta n]`, and
    :math:`\\partial L/\\partial h = \\delta_{hh} W_{hh}
    + z \\odot \\partial L/\\partial h'`.
    Returns ``(grad_xi, grad_hh, grad_h)``.
    """
    h, rz, n, hh_n = saved
    H = h.shape[-1]
    r, z = rz[:, :H], rz[:, H:]
    dn = tanh_backward(grad_h * (1.0 - z), n)
    d_rz = sigmoid_backward(np.concatenate([dn * hh_n, grad_h * (h - n)], axis=1), rz)
    grad_xi = np.concatenate([d_rz, dn], axis=1)
    grad_hh = np.concatenate([d_rz, dn * r], axis=1)
    return grad_xi, grad_hh, grad_hh @ w_hh + grad_h * z


def _steps(mode):
    """The step pair of ``mode`` (looked up at call time, so a patched step is used)."""
    if mode == "LSTM":
        return lstm_step, lstm_step_backward
    if mode == "GRU":
        return gru_step, gru_step_backward
    act = "tanh" if mode == "RNN_TANH" else "relu"
    return (lambda xi, h, w, b: rnn_step(xi, h, w, b, act),
            lambda g, s, w: rnn_step_backward(g, s, w, act))


# ------------------------------------------------------------------ one layer, L steps
def _check_weights(mode, input_size, w_ih, w_hh, b_ih, b_hh, where):
    check_choice(mode, tuple(MODES), where, "mode")
    w_hh = as_array(w_hh, where)
    gh, H = w_hh.shape if w_hh.ndim == 2 else (None, None)
    if gh != MODES[mode] * H:
        raise ValueError(f"{where}: w_hh of mode {mode} must have shape "
                         f"({MODES[mode]}·H, H), got {tuple(w_hh.shape)}")
    if tuple(np.shape(w_ih)) != (gh, input_size):
        raise ValueError(f"{where}: w_ih must have shape ({gh}, {input_size}) "
                         f"[gates·hidden_size, input_size], got {np.shape(w_ih)}")
    for name, b in (("b_ih", b_ih), ("b_hh", b_hh)):
        if b is not None and np.shape(b) != (gh,):
            raise ValueError(f"{where}: {name} must have shape ({gh},), "
                             f"got {np.shape(b)}")
    return H


def _check_state(hx, mode, shape, where):
    """``hx`` as a tuple of arrays of ``shape``: (h,) or, for LSTM, (h, c)."""
    state = tuple(hx) if mode == "LSTM" else (hx,)
    if mode == "LSTM" and len(state) != 2:
        raise ValueError(f"{where}: an LSTM state is a pair (h, c), got {len(state)} "
                         f"array(s)")
    for name, s in zip(("h", "c"), state):
        if np.shape(s) != shape:
            raise ValueError(f"{where}: {name} must have shape {shape} "
                             f"(batch, hidden_size), got {np.shape(s)}")
    return state


def recurrent_forward(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, mode="LSTM"):
    """One recurrent layer over a sequence: ``((output, h_n), saved)``.

    Shapes: ``input`` (L, N, I); ``hx`` (N, H), for LSTM a pair ``(h_0, c_0)``;
    ``w_ih`` (G·H, I), ``w_hh`` (G·H, H), ``b_ih``, ``b_hh`` (G·H,) or None
    (G = 1, 4, 3 gates for RNN, LSTM, GRU). ``output`` (L, N, H) holds
    :math:`h_1, \\dots, h_L`; ``h_n`` is :math:`h_L` (N, H), for LSTM
    :math:`(h_L, c_L)` — what torch returns.

    The input projection :math:`X W_{ih}^\\top + b_{ih}` of all steps is one (L·N, I)
    matrix product; each step adds one product with :math:`W_{hh}`.
    """
    where = "recurrent_forward"
    x = as_array(input, where)
    if x.ndim != 3:
        raise ValueError(f"{where}: expected input of shape (L, N, input_size), "
                         f"got {tuple(x.shape)}")
    L, N, n_in = x.shape
    H = _check_weights(mode, n_in, w_ih, w_hh, b_ih, b_hh, where)
    state = _check_state(hx, mode, (N, H), where)
    step, _ = _steps(mode)
    xi = (x.reshape(L * N, n_in) @ w_ih.T).reshape(L, N, -1)
    if b_ih is not None:
        xi += b_ih
    output = np.empty((L, N, H), dtype=xi.dtype)
    steps = []
    for t in range(L):
        *state, saved_t = step(xi[t], *state, w_hh, b_hh)
        output[t] = state[0]
        steps.append(saved_t)
    h_n = tuple(state) if mode == "LSTM" else state[0]
    return (output, h_n), (x, mode, hx, output, steps)


def recurrent_backward(grad_output, grad_h_n, grad_c_n, saved, w_ih, w_hh, b_ih=None,
                       b_hh=None):
    """Backpropagation through time for :func:`recurrent_forward`.

    ``grad_output`` (L, N, H), ``grad_h_n`` and ``grad_c_n`` (N, H): one gradient per
    output, ``None`` for one that did not reach the loss (``grad_c_n`` only for LSTM).
    Going from t = L down to 1, the state gradient is
    :math:`\\partial L/\\partial h_t` = ``grad_output[t]`` + what step t + 1 sends back.
    Then, with :math:`\\Delta_{xi}, \\Delta_{hh}` (L·N, G·H) the stacked projection
    gradients and :math:`H_{prev} = (h_0, \\dots, h_{L-1})`:
    :math:`\\partial L/\\partial X = \\Delta_{xi} W_{ih}`,
    :math:`\\partial L/\\partial W_{ih} = \\Delta_{xi}^\\top X`,
    :math:`\\partial L/\\partial W_{hh} = \\Delta_{hh}^\\top H_{prev}` (one product
    each), the biases the column sums.

    Returns ``(grad_input, grad_h_0, grad_c_0, grad_w_ih, grad_w_hh, grad_b_ih, ...)``
    — the last is ``grad_b_hh``; ``grad_c_0`` is None unless LSTM, the bias gradients
    None without biases.
    """
    x, mode, hx, output, steps = saved
    L, N, n_in = x.shape
    H = output.shape[-1]
    _, step_backward = _steps(mode)
    zeros = np.zeros((N, H), dtype=output.dtype)
    grads = [grad_h_n, grad_c_n] if mode == "LSTM" else [grad_h_n]
    for k, (name, g) in enumerate(zip(("grad_h_n", "grad_c_n"), grads)):
        if g is not None and np.shape(g) != (N, H):
            raise ValueError(f"recurrent_backward: {name} must have shape {(N, H)}, "
                             f"got {np.shape(g)}")
        grads[k] = zeros if g is None else np.asarray(g)
    if grad_output is not None and np.shape(grad_output) != (L, N, H):
        raise ValueError(f"recurrent_backward: grad_output must have shape "
                         f"{(L, N, H)}, got {np.shape(grad_output)}")
    grad_state = grads
    grad_xi = np.empty((L, N, w_hh.shape[0]), dtype=output.dtype)
    grad_hh = np.empty_like(grad_xi) if mode == "GRU" else grad_xi
    for t in reversed(range(L)):
        if grad_output is not None:
            grad_state[0] = grad_state[0] + grad_output[t]
        gxi_t, ghh_t, *grad_state = step_backward(*grad_state, steps[t], w_hh)
        grad_xi[t] = gxi_t
        if grad_hh is not grad_xi:          # GRU: the projections get different ones
            grad_hh[t] = ghh_t
    h_0 = hx[0] if mode == "LSTM" else hx
    h_prev = np.concatenate([h_0[None], output[:-1]]).reshape(L * N, H)
    gxi, ghh = grad_xi.reshape(L * N, -1), grad_hh.reshape(L * N, -1)
    grad_input = (gxi @ w_ih).reshape(L, N, n_in)
    grad_w_ih = gxi.T @ x.reshape(L * N, n_in)
    grad_w_hh = ghh.T @ h_prev
    grad_b_ih = None if b_ih is None else gxi.sum(axis=0)
    grad_b_hh = None if b_hh is None else ghh.sum(axis=0)
    grad_c_0 = grad_state[1] if mode == "LSTM" else None
    return (grad_input, grad_state[0], grad_c_0, grad_w_ih, grad_w_hh, grad_b_ih,
            grad_b_hh)


# ------------------------------------------------------------------------ one cell
def recurrent_cell_forward(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, mode="LSTM"):
    """One step of a cell, ``(h', saved)`` (LSTM: ``((h', c'), saved)``):
    :func:`recurrent_forward` with L = 1.

    Shapes: ``input`` (N, I), ``hx`` (N, H) or for LSTM ``(h, c)``; weights as in
    :func:`recurrent_forward`.
    """
    x = as_array(input, "recurrent_cell_forward")
    if x.ndim != 2:
        raise ValueError(f"recurrent_cell_forward: expected input of shape "
                         f"(N, input_size), got {tuple(x.shape)}")
    (_, h_new), saved = recurrent_forward(x[None], hx, w_ih, w_hh, b_ih, b_hh, mode)
    return h_new, saved


def recurrent_cell_backward(grad_h, grad_c, saved, w_ih, w_hh, b_ih=None, b_hh=None):
    """Gradients of :func:`recurrent_cell_forward` from ``grad_h`` = dL/dh' and, for
    LSTM, ``grad_c`` = dL/dc' (N, H) (``None``: did not reach the loss).

    Returns ``(grad_input, grad_h, grad_c, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh)``
    (``grad_c`` None unless LSTM).
    """
    gx, *rest = recurrent_backward(None, grad_h, grad_c, saved, w_ih, w_hh, b_ih, b_hh)
    return (gx[0], *rest)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """:math:`h' = \\tanh(x W_{ih}^\\top + b_{ih} + h W_{hh}^\\top + b_{hh})`
    (torch's ``rnn_tanh_cell``)."""
    return recurrent_cell_forward(input, hx, w_ih, w_hh, b_ih, b_hh, "RNN_TANH")[0]


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """:math:`h' = \\max(0, x W_{ih}^\\top + b_{ih} + h W_{hh}^\\top + b_{hh})`."""
    return recurrent_cell_forward(input, hx, w_ih, w_hh, b_ih, b_hh, "RNN_RELU")[0]


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step, ``hx = (h, c)`` -> ``(h', c')`` (see :func:`lstm_step`)."""
    return recurrent_cell_forward(input, hx, w_ih, w_hh, b_ih, b_hh, "LSTM")[0]


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step, ``hx`` -> ``h'`` (see :func:`gru_step`)."""
    return recurrent_cell_forward(input, hx, w_ih, w_hh, b_ih, b_hh, "GRU")[0]
