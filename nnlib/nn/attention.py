"""``MultiheadAttention``: torch's constructor, parameters (``in_proj_weight``,
``in_proj_bias``, ``out_proj``), ``state_dict`` keys, initialisation and what
``forward`` returns.

.. math:: \\operatorname{MHA}(Q, K, V) = [\\text{head}_1, \\dots, \\text{head}_h]\\,
          W_O^\\top + b_O, \\qquad
          \\text{head}_j = \\operatorname{Attention}(Q W_{Q,j}^\\top, K W_{K,j}^\\top,
          V W_{V,j}^\\top)

(biases of the projections omitted), with the attention of
:func:`nnlib.functional.scaled_dot_product_attention`, all heads at once.
"""
from __future__ import annotations

import numpy as np

from nnlib import functional as F
from nnlib import init
from nnlib._checks import as_array, check_dtype, check_positive_int
from nnlib.modes import float_dtype, get_default_dtype
from nnlib.nn.linear import Linear
from nnlib.nn.module import Module, Parameter

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    """``MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True,
    add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False)``.

    Parameters (torch's layout and init): ``in_proj_weight`` (3E, E) — the rows of
    :math:`W_Q, W_K, W_V` stacked — from ``xavier_uniform_``; ``in_proj_bias`` (3E,)
    zeros; ``out_proj``, a :class:`Linear` (E, E) (so the keys are
    ``out_proj.weight``, ``out_proj.bias``) with torch's Linear init and a zero bias.
    Only ``dropout=0``, ``add_bias_kv=add_zero_attn=False`` and ``kdim = vdim = E``.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)``: query (L, N, E),
    key and value (S, N, E) ((N, L, E) with ``batch_first``, or unbatched (L, E)) ->
    ``(attn_output, attn_weights)``: the output in the query's layout and the
    attention weights (N, L, S) averaged over the heads, (N, num_heads, L, S) with
    ``average_attn_weights=False``, ``None`` with ``need_weights=False``.
    ``key_padding_mask`` (N, S): ``True`` = ignore that key (float: added);
    ``attn_mask`` (L, S) or (N·num_heads, L, S): ``True`` = **not** allowed (float:
    added) — torch's conventions, the opposite of the boolean mask of
    ``scaled_dot_product_attention``. ``is_causal`` is only a hint, as in torch: it
    needs ``attn_mask`` (the causal mask), which is what is applied. A query whose
    keys are all masked gets output 0 and weights 0 (torch: NaN with
    ``need_weights=True``).

    ``backward(grad_output, grad_weights=None)`` returns
    ``(grad_query, grad_key, grad_value)`` — one gradient per array argument, always
    three. In self-attention (``mha(x, x, x)``) the gradient w.r.t. ``x`` is their
    sum, which is what torch accumulates in ``x.grad``:
    ``dx = sum(mha.backward(g))``.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0,
                 bias: bool = True, add_bias_kv: bool = False,
                 add_zero_attn: bool = False, kdim=None, vdim=None,
                 batch_first: bool = False, *, dtype=None, rng=None):
        super().__init__()
        where = "MultiheadAttention"
        self.embed_dim = check_positive_int(embed_dim, where, "embed_dim")
        self.num_heads = check_positive_int(num_heads, where, "num_heads")
        if embed_dim % num_heads:
            raise ValueError(f"{where}: embed_dim ({embed_dim}) must be divisible by "
                             f"num_heads ({num_heads})")
        for name, value in (("kdim", kdim), ("vdim", vdim)):
            if value is not None and value != embed_dim:
                raise ValueError(f"{where}: only {name} = embed_dim ({embed_dim}) is "
                                 f"implemented, got {value!r}")
        if dropout != 0:
            raise ValueError(f"{where}: only dropout=0 is implemented, got {dropout!r}")
        if add_bias_kv or add_zero_attn:
            raise ValueError(f"{where}: add_bias_kv and add_zero_attn are not "
                             f"implemented (got {add_bias_kv!r}, {add_zero_attn!r})")
        self.kdim = self.vdim = embed_dim
        self.dropout, self.batch_first = 0.0, bool(batch_first)
        self.head_dim = embed_dim // num_heads
        dtype = float_dtype(get_default_dtype() if dtype is None else dtype, where)
        self.in_proj_weight = Parameter(np.empty((3 * embed_dim, embed_dim), dtype))
        init.xavier_uniform_(self.in_proj_weight, rng=rng)
        if bias:
            self.in_proj_bias = Parameter(np.zeros(3 * embed_dim, dtype))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, rng=rng)
        if bias:
            init.zeros_(self.out_proj.bias)

    def _projections(self):
        """``[(W_Q, b_Q), (W_K, b_K), (W_V, b_V)]``: views into the packed
        parameters."""
        E, b = self.embed_dim, self.in_proj_bias
        return [(self.in_proj_weight.data[j * E:(j + 1) * E],
                 None if b is None else b.data[j * E:(j + 1) * E]) for j in range(3)]

    def _mask(self, key_padding_mask, attn_mask, is_causal, N, L, S, dtype):
        """torch's masks -> one additive mask broadcasting to (N, heads, L, S)."""
        where = "MultiheadAttention"
        if is_causal and attn_mask is None:
            raise ValueError(f"{where}: is_causal=True is a hint that attn_mask is "
                             f"causal; it needs attn_mask (the causal (L, S) mask)")
        total = None
        if attn_mask is not None:
            m = np.asarray(attn_mask)
            if m.shape == (N * self.num_heads, L, S):
                m = m.reshape(N, self.num_heads, L, S)
            elif m.shape != (L, S):
                raise ValueError(f"{where}: attn_mask must have shape ({L}, {S}) or "
                                 f"({N * self.num_heads}, {L}, {S}), got {m.shape}")
            total = _additive(m, dtype)
        if key_padding_mask is not None:
            m = np.asarray(key_padding_mask)
            if m.shape != (N, S):
                raise ValueError(f"{where}: key_padding_mask must have shape "
                                 f"(N, S) = ({N}, {S}), got {m.shape}")
            kpm = _additive(m, dtype).reshape(N, 1, 1, S)
            total = kpm if total is None else total + kpm
        return total

    def _heads(self, x):
        """(N, L, E) -> (N, heads, L, head_dim)."""
        N, L, _ = x.shape
        return x.reshape(N, L, self.num_heads, self.head_dim).transpose(0, 2, 1, 3)

    def _merge(self, x):
        """(N, heads, L, head_dim) -> (N, L, E)."""
        N, _, L, _ = x.shape
        return x.transpose(0, 2, 1, 3).reshape(N, L, self.embed_dim)

    def _to_batch_first(self, x, batched):
        """The input's layout -> (N, L, E); also the way back (a transposition)."""
        if not batched:
            return x[None] if x.ndim == 2 else x[0]
        return x if self.batch_first else x.transpose(1, 0, 2)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        where = "MultiheadAttention"
        q, k, v = (as_array(a, where) for a in (query, key, value))
        batched = q.ndim == 3
        E = self.embed_dim
        for name, a in (("query", q), ("key", k), ("value", v)):
            if a.ndim != q.ndim or a.ndim not in (2, 3) or a.shape[-1] != E:
                raise ValueError(f"{where}: query, key and value must all be 3-D "
                                 f"(batched) or 2-D (unbatched) with embed_dim={E} "
                                 f"last, got {name} of shape {a.shape} (query "
                                 f"{q.shape})")
            check_dtype(a, self.in_proj_weight.dtype, where)
        q, k, v = (self._to_batch_first(a, batched) for a in (q, k, v))
        if k.shape != v.shape or k.shape[0] != q.shape[0]:
            raise ValueError(f"{where}: key and value must have the same shape and the "
                             f"query's batch size, got query {query.shape}, key "
                             f"{key.shape}, value {value.shape}")
        (N, L, _), S = q.shape, k.shape[1]
        if key_padding_mask is not None and not batched:
            key_padding_mask = np.asarray(key_padding_mask)[None]
        mask = self._mask(key_padding_mask, attn_mask, is_causal, N, L, S, q.dtype)
        heads = [self._heads(F.linear(a, w, b))
                 for a, (w, b) in zip((q, k, v), self._projections())]
        out, saved = F.scaled_dot_product_attention_forward(*heads, attn_mask=mask)
        output = self.out_proj(self._merge(out))
        self.save_for_backward((q, k, v), saved, batched, need_weights,
                               average_attn_weights)
        weights = None
        if need_weights:
            weights = saved[3].mean(axis=1) if average_attn_weights else saved[3]
            weights = weights if batched else weights[0]
        return self._to_batch_first(output, batched), weights

    def backward(self, grad_output, grad_weights=None):
        inputs, saved, batched, need_weights, average = self.pop_saved()
        where = "MultiheadAttention.backward"
        attn = saved[3]
        N, L, _ = inputs[0].shape
        g = np.asarray(grad_output)
        expected = (N, L, self.embed_dim)
        if not batched:
            expected = expected[1:]
        elif not self.batch_first:
            expected = (L, N, self.embed_dim)
        if g.shape != expected:
            raise ValueError(f"{where}: grad_output must have the output's shape "
                             f"{expected}, got {g.shape}")
        grad_attn = None
        if grad_weights is not None:
            if not need_weights:
                raise ValueError(f"{where}: grad_weights given, but forward returned "
                                 f"no weights (need_weights=False)")
            gw = np.asarray(grad_weights)
            if average:
                shape = (attn.shape[0],) * batched + attn.shape[2:]
            else:
                shape = attn.shape if batched else attn.shape[1:]
            if gw.shape != shape:
                raise ValueError(f"{where}: grad_weights must have the shape of the "
                                 f"weights {shape}, got {gw.shape}")
            gw = gw if batched else gw[None]
            grad_attn = gw[:, None] / self.num_heads if average else gw
        g = self.out_proj.backward(self._to_batch_first(g, batched))
        grads = F.scaled_dot_product_attention_backward(self._heads(g), saved,
                                                        grad_attn)
        grad_inputs, grad_w, grad_b = [], [], []
        for a, gh, (w, b) in zip(inputs, grads, self._projections()):
            gx, gw_, gb = F.linear_backward(self._merge(gh), a, w, b)
            grad_inputs.append(self._to_batch_first(gx, batched))
            grad_w.append(gw_)
            grad_b.append(gb)
        self.in_proj_weight.accumulate_grad(np.concatenate(grad_w))
        if self.in_proj_bias is not None:
            self.in_proj_bias.accumulate_grad(np.concatenate(grad_b))
        return tuple(grad_inputs)


def _additive(mask, dtype):
    """torch's MultiheadAttention masks: boolean ``True`` -> :math:`-\\infty`
    (masked), ``False`` -> 0; a float mask is added as it is."""
    if mask.dtype == bool:
        return np.where(mask, -np.inf, 0.0).astype(dtype)
    return as_array(mask, "MultiheadAttention").astype(dtype, copy=False)
