"""Recurrent layers: the cells ``RNNCell``, ``LSTMCell``, ``GRUCell`` (one time step)
and the sequence layers ``RNN``, ``LSTM``, ``GRU`` (torch's constructors, parameter
names and shapes, ``state_dict`` keys, initialisation and what ``forward`` returns).

All of them are thin wrappers over :mod:`nnlib.functional.recurrent`: a cell calls
``recurrent_cell_forward``, a sequence layer calls ``recurrent_forward`` once per
layer (layer k + 1 reads the outputs of layer k); each saves the ``saved`` it gets,
and ``backward`` runs the matching backward (backpropagation through time).

**Gradients in, gradients out** (docs/nnlib-design.md, "Several inputs and
outputs"): ``backward`` takes one gradient per output of ``forward``, flattened and
in order (``LSTM``: ``grad_output, grad_h_n, grad_c_n``), ``None`` for an output that
did not reach the loss; it returns one gradient per array passed to ``forward``:
``grad_input`` alone when no initial state was given, else
``(grad_input, grad_h_0)``, for LSTM ``(grad_input, grad_h_0, grad_c_0)``.
"""
from __future__ import annotations

import math

import numpy as np

from nnlib import functional as F
from nnlib import init
from nnlib._checks import as_array, check_dtype, check_positive_int
from nnlib.functional.recurrent import MODES
from nnlib.modes import float_dtype, get_default_dtype
from nnlib.nn.module import Module, Parameter

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "RNN", "LSTM", "GRU"]

_NONLINEARITY = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}


def _rnn_mode(nonlinearity, where):
    if nonlinearity not in _NONLINEARITY:
        raise ValueError(f"{where}: unknown nonlinearity {nonlinearity!r}, expected "
                         f"'tanh' or 'relu'")
    return _NONLINEARITY[nonlinearity]


def _check_bool(value, where, name):
    if not isinstance(value, bool):
        raise TypeError(f"{where}: {name} must be a bool, got {value!r}")
    return value


def _new_parameters(module, shapes, dtype, rng):
    """Register ``name -> shape`` parameters (``None`` shape: absent), then fill all
    of them, in order, from torch's :math:`U(-1/\\sqrt{H}, 1/\\sqrt{H})`."""
    for name, shape in shapes.items():
        param = None if shape is None else Parameter(np.empty(shape, dtype=dtype))
        module.register_parameter(name, param)
    bound = 1.0 / math.sqrt(module.hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound, rng=rng)


def _state(hx, mode, shape, dtype, where):
    """The initial state as a tuple of arrays of ``shape``: ``(h,)`` or ``(h, c)``;
    zeros when ``hx`` is None."""
    n = 2 if mode == "LSTM" else 1
    if hx is None:
        return (np.zeros(shape, dtype=dtype),) * n
    if mode == "LSTM" and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
        raise TypeError(f"{where}: hx must be a tuple (h_0, c_0), "
                        f"got {type(hx).__name__}")
    state = tuple(as_array(s, where) for s in (hx if mode == "LSTM" else (hx,)))
    for name, s in zip(("h_0", "c_0") if n == 2 else ("hx",), state):
        if s.shape != shape:
            raise ValueError(f"{where}: expected {name} of shape {shape}, "
                             f"got {tuple(s.shape)}")
        check_dtype(s, dtype, where)
    return state


def _grad(g, shape, where, name):
    if g is None:
        return None
    g = np.asarray(g)
    if g.shape != shape:
        raise ValueError(f"{where}.backward: {name} must have the shape of the "
                         f"output {shape}, got {tuple(g.shape)}")
    return g


# ----------------------------------------------------------------------------- cells
class _RNNCellBase(Module):
    """Shared by the cells: parameters ``weight_ih`` (G·H, I), ``weight_hh``
    (G·H, H), ``bias_ih``, ``bias_hh`` (G·H,), G = 1, 4, 3 gates; input (N, I) or
    unbatched (I,), state (N, H) or (H,)."""

    def __init__(self, input_size, hidden_size, bias, mode, dtype, rng):
        super().__init__()
        where = type(self).__name__
        self.input_size = check_positive_int(input_size, where, "input_size")
        self.hidden_size = check_positive_int(hidden_size, where, "hidden_size")
        self.bias = _check_bool(bias, where, "bias")
        self.mode = mode
        dtype = float_dtype(get_default_dtype() if dtype is None else dtype, where)
        gh = MODES[mode] * hidden_size
        _new_parameters(self, {"weight_ih": (gh, input_size),
                               "weight_hh": (gh, hidden_size),
                               "bias_ih": (gh,) if bias else None,
                               "bias_hh": (gh,) if bias else None}, dtype, rng)

    def _weights(self):
        return tuple(None if p is None else p.data for p in
                     (self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh))

    def forward(self, input, hx=None):
        where = type(self).__name__
        x = as_array(input, where)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{where}: expected input of shape (N, {self.input_size}) "
                             f"or ({self.input_size},), got {tuple(x.shape)}")
        check_dtype(x, self.weight_ih.dtype, where)
        batched = x.ndim == 2
        shape = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        state = _state(hx, self.mode, shape, x.dtype, where)
        if not batched:
            x, state = x[None], tuple(s[None] for s in state)
        out, saved = F.recurrent_cell_forward(x, state if self.mode == "LSTM"
                                              else state[0], *self._weights(),
                                              mode=self.mode)
        self.save_for_backward(saved, batched, hx is not None)
        outs = out if self.mode == "LSTM" else (out,)
        outs = outs if batched else tuple(o[0] for o in outs)
        return outs if self.mode == "LSTM" else outs[0]

    def _backward(self, grad_h, grad_c=None):
        saved, batched, with_state = self.pop_saved()
        shape = saved[3].shape[1:] if batched else saved[3].shape[2:]
        where = type(self).__name__
        grads = [_grad(g, shape, where, name)
                 for g, name in ((grad_h, "grad_h"), (grad_c, "grad_c"))]
        if not batched:
            grads = [None if g is None else g[None] for g in grads]
        gx, gh, gc, *gparams = F.recurrent_cell_backward(*grads, saved,
                                                         *self._weights())
        for p, g in zip((self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh),
                        gparams):
            if p is not None:
                p.accumulate_grad(g)
        result = (gx, gh, gc) if self.mode == "LSTM" else (gx, gh)
        if not batched:
            result = tuple(g[0] for g in result)
        return result if with_state else result[0]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity=relu"
        return s


class RNNCell(_RNNCellBase):
    """``RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh')``:
    :math:`h' = \\tanh(x W_{ih}^\\top + b_{ih} + h W_{hh}^\\top + b_{hh})`
    (or ReLU).

    ``forward(input, hx=None)``: input (N, I) or (I,), ``hx`` (N, H) or (H,),
    zeros when omitted -> :math:`h'`. ``backward(grad_h)`` returns ``grad_input``,
    or ``(grad_input, grad_hx)`` when ``hx`` was given.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", *, dtype=None, rng=None):
        super().__init__(input_size, hidden_size, bias,
                         _rnn_mode(nonlinearity, "RNNCell"), dtype, rng)
        self.nonlinearity = nonlinearity

    def backward(self, grad_h):
        return self._backward(grad_h)


class LSTMCell(_RNNCellBase):
    """``LSTMCell(input_size, hidden_size, bias=True)``: one LSTM step
    (gates i, f, g, o; :func:`nnlib.functional.lstm_step`).

    ``forward(input, hx=None)`` with ``hx = (h, c)`` (zeros when omitted) returns
    ``(h', c')``. ``backward(grad_h, grad_c=None)`` returns ``grad_input``, or
    ``(grad_input, grad_h, grad_c)`` when ``hx`` was given.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *,
                 dtype=None, rng=None):
        super().__init__(input_size, hidden_size, bias, "LSTM", dtype, rng)

    def backward(self, grad_h, grad_c=None):
        return self._backward(grad_h, grad_c)


class GRUCell(_RNNCellBase):
    """``GRUCell(input_size, hidden_size, bias=True)``: one GRU step
    (gates r, z, n; :func:`nnlib.functional.gru_step`).

    ``forward(input, hx=None)`` -> :math:`h'`. ``backward(grad_h)`` returns
    ``grad_input``, or ``(grad_input, grad_hx)`` when ``hx`` was given.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, *,
                 dtype=None, rng=None):
        super().__init__(input_size, hidden_size, bias, "GRU", dtype, rng)

    def backward(self, grad_h):
        return self._backward(grad_h)


# ------------------------------------------------------------------- sequence layers
class _RNNBase(Module):
    """Shared by ``RNN``, ``LSTM`` and ``GRU``: ``num_layers`` layers, each
    :func:`nnlib.functional.recurrent_forward` over the whole sequence.

    Parameters per layer k (torch's names): ``weight_ih_l{k}`` (G·H, I for k = 0,
    else H), ``weight_hh_l{k}`` (G·H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (G·H,).
    Input (L, N, I), (N, L, I) with ``batch_first``, or unbatched (L, I); initial state
    (num_layers, N, H) or (num_layers, H) (LSTM: a pair), zeros when omitted.
    ``forward`` returns ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``), output
    (L, N, H) in the input's layout, ``h_n`` (num_layers, N, H).
    """

    def __init__(self, mode, input_size, hidden_size, num_layers, bias, batch_first,
                 dropout, bidirectional, dtype, rng):
        super().__init__()
        where = type(self).__name__
        self.mode = mode
        self.input_size = check_positive_int(input_size, where, "input_size")
        self.hidden_size = check_positive_int(hidden_size, where, "hidden_size")
        self.num_layers = check_positive_int(num_layers, where, "num_layers")
        self.bias = _check_bool(bias, where, "bias")
        self.batch_first = _check_bool(batch_first, where, "batch_first")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
                or dropout != 0:
            raise ValueError(f"{where}: only dropout=0 is implemented, got {dropout!r}")
        if bidirectional is not False:
            raise ValueError(f"{where}: only bidirectional=False is implemented, "
                             f"got {bidirectional!r}")
        self.dropout, self.bidirectional = float(dropout), False
        dtype = float_dtype(get_default_dtype() if dtype is None else dtype, where)
        gh = MODES[mode] * hidden_size
        shapes = {}
        for k in range(num_layers):
            n_in = input_size if k == 0 else hidden_size
            shapes.update({f"weight_ih_l{k}": (gh, n_in),
                           f"weight_hh_l{k}": (gh, hidden_size),
                           f"bias_ih_l{k}": (gh,) if bias else None,
                           f"bias_hh_l{k}": (gh,) if bias else None})
        _new_parameters(self, shapes, dtype, rng)

    def _layer(self, k):
        """``(w_ih, w_hh, b_ih, b_hh)`` Parameters (or None) of layer ``k``."""
        return tuple(getattr(self, f"{name}_l{k}")
                     for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def _weights(self, k):
        return tuple(None if p is None else p.data for p in self._layer(k))

    def forward(self, input, hx=None):
        where = type(self).__name__
        x = as_array(input, where)
        if x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            layout = "(N, L, {0})" if self.batch_first else "(L, N, {0})"
            raise ValueError(f"{where}: expected input of shape "
                             f"{layout.format(self.input_size)} or "
                             f"(L, {self.input_size}), got {tuple(x.shape)}")
        check_dtype(x, self.weight_ih_l0.dtype, where)
        batched = x.ndim == 3
        if not batched:
            x = x[:, None]
        elif self.batch_first:
            x = x.transpose(1, 0, 2)
        n = x.shape[1]
        shape = (self.num_layers, n, self.hidden_size) if batched else \
            (self.num_layers, self.hidden_size)
        state = _state(hx, self.mode, shape, x.dtype, where)
        if not batched:
            state = tuple(s[:, None] for s in state)
        finals, saved = [], []
        for k in range(self.num_layers):
            hx_k = tuple(s[k] for s in state)
            (x, h_n), saved_k = F.recurrent_forward(
                x, hx_k if self.mode == "LSTM" else hx_k[0], *self._weights(k),
                mode=self.mode)
            finals.append(h_n if self.mode == "LSTM" else (h_n,))
            saved.append(saved_k)
        self.save_for_backward(saved, batched, hx is not None)
        output = self._to_layout(x, batched)
        h_n = tuple(np.stack(f) if batched else np.stack(f)[:, 0] for f in zip(*finals))
        return output, (h_n if self.mode == "LSTM" else h_n[0])

    def _to_layout(self, seq, batched):
        """(L, N, ·) -> the input's layout (and back: the map is its own inverse)."""
        if not batched:
            return seq[:, 0]
        return seq.transpose(1, 0, 2) if self.batch_first else seq

    def _backward(self, grad_output, grad_h_n=None, grad_c_n=None):
        saved, batched, with_state = self.pop_saved()
        where = type(self).__name__
        L, N, _ = saved[0][0].shape
        H, layers = self.hidden_size, self.num_layers
        if batched:
            out_shape = (N, L, H) if self.batch_first else (L, N, H)
            state_shape = (layers, N, H)
        else:
            out_shape, state_shape = (L, H), (layers, H)
        g = _grad(grad_output, out_shape, where, "grad_output")
        g = None if g is None else (g[:, None] if not batched else
                                    self._to_layout(g, batched))
        finals = [_grad(s, state_shape, where, name)
                  for s, name in ((grad_h_n, "grad_h_n"), (grad_c_n, "grad_c_n"))]
        if not batched:
            finals = [None if s is None else s[:, None] for s in finals]
        grad_h_0, grad_c_0 = [], []
        for k in reversed(range(layers)):
            gh, gc = (None if s is None else s[k] for s in finals)
            g, gh0, gc0, *gparams = F.recurrent_backward(g, gh, gc, saved[k],
                                                         *self._weights(k))
            for p, gp in zip(self._layer(k), gparams):
                if p is not None:
                    p.accumulate_grad(gp)
            grad_h_0.append(gh0)
            grad_c_0.append(gc0)
        grad_input = self._to_layout(g, batched)
        if not with_state:
            return grad_input
        states = (grad_h_0, grad_c_0) if self.mode == "LSTM" else (grad_h_0,)
        states = tuple(np.stack(s[::-1]) if batched else np.stack(s[::-1])[:, 0]
                       for s in states)
        return (grad_input,) + states

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        return s


class RNN(_RNNBase):
    """``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``: Elman RNN,
    :math:`h_t = \\tanh(x_t W_{ih}^\\top + b_{ih} + h_{t-1} W_{hh}^\\top + b_{hh})`
    per layer (only ``dropout=0`` and ``bidirectional=False``).

    ``forward(input, hx=None)`` -> ``(output, h_n)``.
    ``backward(grad_output, grad_h_n=None)`` (backpropagation through time) returns
    ``grad_input``, or ``(grad_input, grad_h_0)`` when ``hx`` was given.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, *, dtype=None, rng=None):
        super().__init__(_rnn_mode(nonlinearity, "RNN"), input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional,
                         dtype, rng)
        self.nonlinearity = nonlinearity

    def backward(self, grad_output, grad_h_n=None):
        return self._backward(grad_output, grad_h_n)


class LSTM(_RNNBase):
    """``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``: gates i, f, g, o
    (:func:`nnlib.functional.lstm_step`) per layer.

    ``forward(input, hx=None)``, ``hx = (h_0, c_0)`` -> ``(output, (h_n, c_n))``.
    ``backward(grad_output, grad_h_n=None, grad_c_n=None)`` returns ``grad_input``,
    or ``(grad_input, grad_h_0, grad_c_0)`` when ``hx`` was given.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, *, dtype=None, rng=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, dtype, rng)

    def backward(self, grad_output, grad_h_n=None, grad_c_n=None):
        return self._backward(grad_output, grad_h_n, grad_c_n)


class GRU(_RNNBase):
    """``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
    dropout=0.0, bidirectional=False)``: gates r, z, n
    (:func:`nnlib.functional.gru_step`) per layer.

    ``forward(input, hx=None)`` -> ``(output, h_n)``.
    ``backward(grad_output, grad_h_n=None)`` returns ``grad_input``, or
    ``(grad_input, grad_h_0)`` when ``hx`` was given.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, *, dtype=None, rng=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, dtype, rng)

    def backward(self, grad_output, grad_h_n=None):
        return self._backward(grad_output, grad_h_n)
