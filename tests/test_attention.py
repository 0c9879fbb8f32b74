"""scaled_dot_product_attention and MultiheadAttention against torch (float64): outputs,
attention weights, gradients of query/key/value and parameters, masks, LIFO, state_dict,
init, errors, finite differences."""
import numpy as np
import pytest
import torch

import nnlib
from nnlib import functional as F
from nnlib import nn
from nnlib.gradcheck import check_function, check_module

from test_rnn import assert_param_grads, close, t   # float64, rtol 1e-10

TF = torch.nn.functional


# -- scaled_dot_product_attention -----------------------------------------------------------
SHAPES = [((4, 3), (5, 3), (5, 2)),                              # no batch dims
          ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)),            # batch and heads
          ((2, 3, 4, 5), (3, 6, 5), (1, 3, 6, 7)),               # broadcast batch dims
          ((1, 1, 1), (1, 1, 1), (1, 1, 1))]


def mask_for(kind, q_shape, k_shape, rng):
    L, S = q_shape[-2], k_shape[-2]
    if kind == "bool":
        m = rng.random((L, S)) < 0.7
        m[:, 0] = True                               # every query sees a key
        return m
    if kind == "bool_batched":
        m = rng.random(q_shape[:-2] + (L, S)) < 0.6
        m[..., 0] = True
        return m
    if kind == "float":
        return rng.standard_normal((L, S))
    return None


@pytest.mark.parametrize("shapes", SHAPES)
@pytest.mark.parametrize("mask", [None, "bool", "bool_batched", "float", "causal"])
@pytest.mark.parametrize("scale", [None, 0.3])
def test_sdpa_matches_torch(shapes, mask, scale):
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s) for s in shapes)
    m = mask_for(mask, q.shape, k.shape, rng)
    causal = mask == "causal"
    tq, tk, tv = t(q, True), t(k, True), t(v, True)
    tout = TF.scaled_dot_product_attention(tq, tk, tv, attn_mask=None if m is None else t(m),
                                           is_causal=causal, scale=scale)
    g = rng.standard_normal(tuple(tout.shape))
    tout.backward(t(g))
    out, saved = F.scaled_dot_product_attention_forward(q, k, v, attn_mask=m,
                                                        is_causal=causal, scale=scale)
    close(out, tout, "output")
    close(F.scaled_dot_product_attention(q, k, v, m, is_causal=causal, scale=scale), tout)
    np.testing.assert_allclose(saved[3].sum(-1), 1.0, rtol=1e-12)
    grads = F.scaled_dot_product_attention_backward(g, saved)
    for name, ours, theirs in zip("qkv", grads, (tq, tk, tv)):
        assert ours.shape == tuple(theirs.shape)
        close(ours, theirs.grad, "grad " + name)


def test_sdpa_fully_masked_query_gives_zeros_like_torch():
    rng = np.random.default_rng(1)
    q, k, v = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    m = np.ones((3, 5), dtype=bool)
    m[1] = False
    tq = t(q, True)
    tout = TF.scaled_dot_product_attention(tq, t(k), t(v), attn_mask=t(m))
    tout.sum().backward()
    out, saved = F.scaled_dot_product_attention_forward(q, k, v, m)
    close(out, tout)
    assert np.all(out[1] == 0) and np.all(saved[3][1] == 0)
    close(F.scaled_dot_product_attention_backward(np.ones_like(out), saved)[0], tq.grad)


def test_sdpa_causal_mask_is_top_left_and_float_mask_is_added():
    rng = np.random.default_rng(2)
    q, k, v = rng.standard_normal((3, 4)), rng.standard_normal((5, 4)), rng.standard_normal((5, 2))
    _, saved = F.scaled_dot_product_attention_forward(q, k, v, is_causal=True)
    np.testing.assert_array_equal(saved[3] > 0, np.tril(np.ones((3, 5), dtype=bool)))
    bias = rng.standard_normal((3, 5))
    _, s_float = F.scaled_dot_product_attention_forward(q, k, v, attn_mask=bias)
    np.testing.assert_allclose(s_float[3], F.softmax(q @ k.T / 2 + bias, -1), rtol=1e-12)


@pytest.mark.parametrize("mask", [None, "bool", "causal"])
def test_sdpa_finite_differences(mask):
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    m = mask_for(mask, q.shape, k.shape, rng)

    def f(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, m, is_causal=mask == "causal")

    def backward(g, q, k, v):
        _, saved = F.scaled_dot_product_attention_forward(q, k, v, m,
                                                          is_causal=mask == "causal")
        return F.scaled_dot_product_attention_backward(g, saved)

    errors = check_function(f, backward, q, k, v, rng=rng)
    assert len(errors) == 3 and max(errors) < 1e-7, errors


def test_sdpa_gradient_of_the_weights():
    """grad_attn_weights: the weights themselves reach the loss (torch: softmax output)."""
    rng = np.random.default_rng(4)
    q, k, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4)), rng.standard_normal((2, 5, 3))
    g, gw = rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 5))
    tq, tk, tv = t(q, True), t(k, True), t(v, True)
    tw = torch.softmax(tq @ tk.transpose(-1, -2) / 2, -1)
    ((tw @ tv * t(g)).sum() + (tw * t(gw)).sum()).backward()
    _, saved = F.scaled_dot_product_attention_forward(q, k, v)
    grads = F.scaled_dot_product_attention_backward(g, saved, grad_attn_weights=gw)
    for ours, theirs in zip(grads, (tq, tk, tv)):
        close(ours, theirs.grad)


def test_sdpa_errors():
    q, k, v = np.zeros((3, 4)), np.zeros((5, 4)), np.zeros((5, 2))
    with pytest.raises(ValueError, match="scaled_dot_product_attention: only dropout_p=0"):
        F.scaled_dot_product_attention(q, k, v, dropout_p=0.1)
    with pytest.raises(ValueError, match="attn_mask or is_causal=True, not both"):
        F.scaled_dot_product_attention(q, k, v, np.ones((3, 5), bool), is_causal=True)
    with pytest.raises(ValueError, match=r"expected query \(..., L, E\).*\(3, 4\), \(5, 3\)"):
        F.scaled_dot_product_attention(q, k[:, :3], v)
    with pytest.raises(ValueError, match=r"\(5, 4\), \(4, 2\)"):
        F.scaled_dot_product_attention(q, k, v[:4])
    with pytest.raises(ValueError, match=r"at least 2-D"):
        F.scaled_dot_product_attention(q[0], k, v)
    with pytest.raises(ValueError, match=r"do not broadcast"):
        F.scaled_dot_product_attention(q, k, v, np.ones((3, 4), bool))
    with pytest.raises(ValueError, match=r"do not broadcast"):
        F.scaled_dot_product_attention(np.zeros((2, 3, 4)), np.zeros((3, 5, 4)), np.zeros((3, 5, 2)))
    _, saved = F.scaled_dot_product_attention_forward(q, k, v)
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(3, 2\)"):
        F.scaled_dot_product_attention_backward(np.zeros((3, 4)), saved)


# -- MultiheadAttention ---------------------------------------------------------------------
def make_mha(E=8, heads=2, bias=True, batch_first=False, seed=0):
    ours = nn.MultiheadAttention(E, heads, bias=bias, batch_first=batch_first,
                                 rng=np.random.default_rng(seed))
    theirs = torch.nn.MultiheadAttention(E, heads, bias=bias, batch_first=batch_first).double()
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    return ours, theirs


def masks(kind, N, heads, L, S, rng):
    """(key_padding_mask, attn_mask, is_causal) in torch's conventions (True = masked)."""
    kpm = rng.random((N, S)) < 0.4
    kpm[:, 0] = False
    if kind == "kpm_bool":
        return kpm, None, False
    if kind == "kpm_float":
        return rng.standard_normal((N, S)), None, False
    if kind == "attn_bool":
        m = rng.random((L, S)) < 0.4
        m[:, 0] = False
        return None, m, False
    if kind == "attn_float_3d":
        return None, rng.standard_normal((N * heads, L, S)), False
    if kind == "causal":
        return None, ~np.tril(np.ones((L, S), dtype=bool)), True
    if kind == "both":
        return kpm, np.triu(np.ones((L, S), dtype=bool), 1), False
    return None, None, False


LAYOUTS = ["seq_first", "batch_first", "unbatched"]


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("mask", [None, "kpm_bool", "kpm_float", "attn_bool", "attn_float_3d",
                                  "causal", "both"])
@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("bias", [True, False])
def test_mha_matches_torch(layout, mask, need_weights, average, bias):
    rng = np.random.default_rng(5)
    E, heads, L, S = 8, 2, 4, 4 if mask == "causal" else 5
    N = 1 if layout == "unbatched" else 3
    ours, theirs = make_mha(E, heads, bias, layout == "batch_first")
    shape = {"seq_first": lambda n: (n, N, E), "batch_first": lambda n: (N, n, E),
             "unbatched": lambda n: (n, E)}[layout]
    q, k, v = rng.standard_normal(shape(L)), rng.standard_normal(shape(S)), rng.standard_normal(shape(S))
    kpm, am, causal = masks(mask, N, heads, L, S, rng)
    if layout == "unbatched" and kpm is not None:
        kpm = kpm[0]
    kw = dict(need_weights=need_weights, average_attn_weights=average, is_causal=causal)
    tq, tk, tv = t(q, True), t(k, True), t(v, True)
    tout, tw = theirs(tq, tk, tv, key_padding_mask=None if kpm is None else t(kpm),
                      attn_mask=None if am is None else t(am), **kw)
    g = rng.standard_normal(tuple(tout.shape))
    loss = (tout * t(g)).sum()
    gw = None
    if need_weights:
        gw = rng.standard_normal(tuple(tw.shape))
        loss = loss + (tw * t(gw)).sum()
    loss.backward()

    out, w = ours(q, k, v, key_padding_mask=kpm, attn_mask=am, **kw)
    assert out.shape == q.shape
    close(out, tout, "output")
    if need_weights:
        close(w, tw, "weights")
    else:
        assert w is None and tw is None
    grads = ours.backward(g, gw)
    assert isinstance(grads, tuple) and len(grads) == 3
    for name, ours_g, theirs_t in zip(("query", "key", "value"), grads, (tq, tk, tv)):
        close(ours_g, theirs_t.grad, "grad " + name)
    assert_param_grads(ours, theirs)


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_self_attention_gradient_is_the_sum(batch_first):
    rng = np.random.default_rng(6)
    ours, theirs = make_mha(batch_first=batch_first)
    x = rng.standard_normal((4, 3, 8))
    tx = t(x, True)
    tout, _ = theirs(tx, tx, tx, need_weights=False)
    g = rng.standard_normal(tuple(tout.shape))
    tout.backward(t(g))
    out, _ = ours(x, x, x, need_weights=False)
    close(out, tout)
    close(sum(ours.backward(g)), tx.grad)
    assert_param_grads(ours, theirs)


def test_mha_called_twice_before_backward():
    """Two layers of self-attention with shared weights: y = mha(mha(x)); LIFO backward."""
    rng = np.random.default_rng(7)
    ours, theirs = make_mha()
    x = rng.standard_normal((4, 2, 8))
    g = rng.standard_normal((4, 2, 8))
    tx = t(x, True)
    th, _ = theirs(tx, tx, tx)
    ty, _ = theirs(th, th, th)
    ty.backward(t(g))
    h, _ = ours(x, x, x)
    y, _ = ours(h, h, h)
    close(y, ty)
    assert ours.pending_backward == 2 and ours.out_proj.pending_backward == 2
    gh = sum(ours.backward(g))
    gx = sum(ours.backward(gh))
    close(gx, tx.grad)
    assert_param_grads(ours, theirs)
    with pytest.raises(RuntimeError, match="MultiheadAttention.backward"):
        ours.backward(g)


def test_mha_finite_differences():
    rng = np.random.default_rng(8)

    class SelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = nn.MultiheadAttention(4, 2, rng=rng)
            self.mha.in_proj_bias.data[:] = rng.standard_normal(12)   # non-zero biases
            self.mha.out_proj.bias.data[:] = rng.standard_normal(4)

        def forward(self, x):
            return self.mha(x, x, x, need_weights=False)[0]

        def backward(self, g):
            return sum(self.mha.backward(g))

    errors = check_module(SelfAttention(), rng.standard_normal((3, 2, 4)), rng=rng)
    assert set(errors) == {"input", "mha.in_proj_weight", "mha.in_proj_bias",
                           "mha.out_proj.weight", "mha.out_proj.bias"}
    assert max(errors.values()) < 1e-7, errors


def test_mha_state_dict_init_and_dtype():
    ours, theirs = make_mha(E=64, heads=4)
    sd = ours.state_dict()
    assert list(sd) == list(theirs.state_dict())
    assert all(sd[k].shape == tuple(v.shape) for k, v in theirs.state_dict().items())
    bound = np.sqrt(6 / (64 + 3 * 64))                   # xavier_uniform_ on (3E, E)
    w = ours.in_proj_weight.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    np.testing.assert_allclose(w.var(), bound ** 2 / 3, rtol=0.05)
    assert not ours.in_proj_bias.data.any() and not ours.out_proj.bias.data.any()
    assert np.abs(ours.out_proj.weight.data).max() <= 1 / np.sqrt(64)
    fresh = torch.nn.MultiheadAttention(64, 4).double()
    ours.load_state_dict(fresh.state_dict())
    x = np.random.default_rng(0).standard_normal((3, 2, 64))
    close(ours(x, x, x)[0], fresh(t(x), t(x), t(x))[0])
    nobias, tnobias = make_mha(bias=False)
    assert list(nobias.state_dict()) == list(tnobias.state_dict()) == ["in_proj_weight",
                                                                       "out_proj.weight"]
    m32 = nn.MultiheadAttention(8, 2, dtype=np.float32)
    x32 = np.ones((3, 2, 8), np.float32)
    out, w32 = m32(x32, x32, x32)
    assert out.dtype == w32.dtype == np.float32
    assert all(g.dtype == np.float32 for g in m32.backward(np.ones_like(out)))
    with nnlib.no_grad():
        m32(x32, x32, x32)
    assert m32.pending_backward == 0


def test_mha_errors():
    with pytest.raises(ValueError, match=r"MultiheadAttention: embed_dim \(6\) must be divisible"):
        nn.MultiheadAttention(6, 4)
    for kw, match in [(dict(kdim=4), "only kdim = embed_dim"), (dict(vdim=4), "only vdim"),
                      (dict(dropout=0.1), "only dropout=0"),
                      (dict(add_bias_kv=True), "add_bias_kv and add_zero_attn"),
                      (dict(add_zero_attn=True), "add_bias_kv and add_zero_attn")]:
        with pytest.raises(ValueError, match=match):
            nn.MultiheadAttention(8, 2, **kw)
    m = nn.MultiheadAttention(8, 2)
    x = np.zeros((4, 2, 8))
    with pytest.raises(ValueError, match=r"embed_dim=8 last, got key of shape \(4, 2, 7\)"):
        m(x, np.zeros((4, 2, 7)), x)
    with pytest.raises(ValueError, match="3-D"):
        m(x, np.zeros((4, 8)), np.zeros((4, 8)))
    with pytest.raises(ValueError, match="key and value must have the same shape"):
        m(x, np.zeros((5, 2, 8)), x)
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(N, S\) = \(2, 4\)"):
        m(x, x, x, key_padding_mask=np.zeros((4, 2), bool))
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(4, 4\) or \(4, 4, 4\)"):
        m(x, x, x, attn_mask=np.zeros((2, 4, 4), bool))
    with pytest.raises(ValueError, match="is_causal=True is a hint"):
        m(x, x, x, is_causal=True)
    with pytest.raises(TypeError, match="MultiheadAttention: input has dtype float32"):
        m(x.astype(np.float32), x, x)
    m(x, x, x, need_weights=False)
    with pytest.raises(ValueError, match="need_weights=False"):
        m.backward(x, np.zeros((2, 4, 4)))
    m(x, x, x)
    with pytest.raises(ValueError, match=r"grad_weights must have the shape of the weights \(2, 4, 4\)"):
        m.backward(x, np.zeros((2, 2, 4, 4)))
    m(x, x, x)
    with pytest.raises(ValueError, match=r"grad_output must have the output's shape \(4, 2, 8\)"):
        m.backward(x[:, :1])
