"""Convolutions ``conv1d``, ``conv2d``, ``conv3d`` and their backward passes.

What deep-learning libraries call *convolution* is **cross-correlation**: the kernel
is not flipped. For a 2-D input (N, C_in, H, W) and a weight (C_out, C_in/groups, kH,
kW), output channel :math:`o` of group :math:`g` is

.. math::
    y[n, o, i, j] = b[o] + \\sum_{c \\in g} \\sum_{a, b'}
        w[o, c, a, b'] \\; x_p[n, c,\\; s_h i + d_h a,\\; s_w j + d_w b']

with :math:`x_p` the input padded with zeros, :math:`s` the stride and :math:`d` the
dilation. Each spatial size shrinks to :func:`conv_output_size`:
:math:`H_{out} = \\lfloor (H + 2p - d(k - 1) - 1)/s \\rfloor + 1`.

One implementation serves 1, 2 and 3 spatial dims (``_conv_forward``,
``_conv_backward``). It is *im2col*: ``sliding_window_view`` takes every receptive
field of the padded input as a view, one copy lays them out as the columns of a
matrix ``cols`` (one per image and group, rows = input channel × kernel tap), and one
matrix product :math:`W \\cdot \\text{cols}` computes every output pixel at once,
already in the (N, C_out, *spatial) layout. The forward saves ``cols`` (the unfolded
input): the backward multiplies :math:`G \\cdot \\text{cols}^\\top` for
:math:`\\partial L/\\partial W`, and scatters :math:`W^\\top G` back onto the input
(*col2im*) for :math:`\\partial L/\\partial x`. ``_fold`` is col2im as the adjoint of
``_unfold``, the reference; ``_conv_input_grad`` computes the same one kernel tap at
a time without the large matrix :math:`W^\\top G` (the tests check they agree).

The transposed convolution (:func:`conv_transpose2d`) is that input gradient used as
a layer: its forward is col2im of :math:`W^\\top x` (the same ``_conv_input_grad``), and
its backward is a convolution of :math:`G` (the same ``_unfold`` and product).
"""
from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["conv_output_size", "conv_transpose_output_size",
           "conv1d", "conv1d_forward", "conv1d_backward",
           "conv2d", "conv2d_forward", "conv2d_backward",
           "conv3d", "conv3d_forward", "conv3d_backward",
           "conv_transpose2d", "conv_transpose2d_forward",
           "conv_transpose2d_backward"]


def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
    """Output length of a convolution along one axis (or per axis, for tuples):
    :math:`\\lfloor (\\text{size} + 2p - d(k - 1) - 1)/s \\rfloor + 1`.

    ``conv_output_size(28, 5)`` is 24; ``conv_output_size((32, 32), 3, 2, 1)`` is
    ``(16, 16)``.
    """
    args = (size, kernel_size, stride, padding, dilation)
    if all(isinstance(a, (int, np.integer)) for a in args):
        return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    nd = max(len(a) for a in args if isinstance(a, (tuple, list)))
    return tuple(conv_output_size(*vals)
                 for vals in zip(*(_ntuple(a, nd, "conv_output_size", "argument", 0)
                                   for a in args)))


def conv_transpose_output_size(size, kernel_size, stride=1, padding=0,
                               output_padding=0, dilation=1):
    """Output length of a transposed convolution along one axis (or per axis, for
    tuples): :math:`(\\text{size} - 1)s - 2p + d(k - 1) + \\text{output\\_padding}
    + 1`, the largest input size that :func:`conv_output_size` maps to ``size``
    (plus ``output_padding``).

    ``conv_transpose_output_size(16, 4, 2, 1)`` is 32;
    ``conv_transpose_output_size((7, 7), 3, 2, 1, 1)`` is ``(14, 14)``.
    """
    args = (size, kernel_size, stride, padding, output_padding, dilation)
    if all(isinstance(a, (int, np.integer)) for a in args):
        return ((size - 1) * stride - 2 * padding + dilation * (kernel_size - 1)
                + output_padding + 1)
    nd = max(len(a) for a in args if isinstance(a, (tuple, list)))
    return tuple(conv_transpose_output_size(*vals) for vals in zip(
        *(_ntuple(a, nd, "conv_transpose_output_size", "argument", 0) for a in args)))


def _ntuple(value, nd: int, where: str, name: str, minimum: int) -> tuple:
    """``value`` (an int or ``nd`` ints) as a tuple of ``nd`` ints ``>= minimum``."""
    values = (value,) * nd if isinstance(value, (int, np.integer)) else value
    ok = isinstance(values, (tuple, list)) and len(values) == nd and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum
        for v in values)
    if not ok:
        raise ValueError(f"{where}: {name} must be an int >= {minimum} or a tuple of "
                         f"{nd} of them, got {value!r}")
    return tuple(int(v) for v in values)


def _pads(padding, kernel, stride, dilation, where: str) -> tuple:
    """Zeros added before and after each spatial axis: ``((lo, hi), ...)``.
    ``'valid'`` is no padding; ``'same'`` keeps the size (stride 1 only) and, like
    torch, puts the odd one of an even total padding at the end."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * len(kernel)
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{where}: padding='same' is not supported for "
                                 f"strided convolutions, got stride={stride}")
            totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
            return tuple((t // 2, t - t // 2) for t in totals)
        raise ValueError(f"{where}: padding must be 'valid', 'same', an int or a "
                         f"tuple, got {padding!r}")
    return tuple((p, p) for p in _ntuple(padding, len(kernel), where, "padding", 0))


def _geometry(kernel, stride, padding, dilation, where: str) -> tuple:
    """``(stride, pads, dilation)`` as tuples, one entry per spatial axis."""
    nd = len(kernel)
    stride = _ntuple(stride, nd, where, "stride", 1)
    dilation = _ntuple(dilation, nd, where, "dilation", 1)
    return stride, _pads(padding, kernel, stride, dilation, where), dilation


def _batched(input, weight, groups, nd, where, layout):
    """The checks a convolution and a transposed one share: the weight's and the
    input's number of dims, equal dtypes, ``groups`` dividing ``weight.shape[0]``.
    ``layout`` names the weight's first two axes (``("C_out", "C_in")`` for a
    convolution). Returns the input with a batch axis."""
    first, second = layout
    if weight.ndim != nd + 2:
        raise ValueError(f"{where}: weight must be {nd + 2}-D ({first}, "
                         f"{second}/groups, *kernel), got shape {weight.shape}")
    if input.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{where}: expected a {nd + 2}-D input (N, C_in, *spatial) "
                         f"or {nd + 1}-D (C_in, *spatial), got shape {input.shape}")
    if input.dtype != weight.dtype:
        raise TypeError(f"{where}: input has dtype {input.dtype} but weight has "
                        f"{weight.dtype}")
    if not isinstance(groups, (int, np.integer)) or groups < 1 \
            or weight.shape[0] % groups:
        raise ValueError(f"{where}: groups must be a positive divisor of {first}="
                         f"{weight.shape[0]}, got {groups!r}")
    return input if input.ndim == nd + 2 else input[None]


def _arguments(input, weight, bias, stride, padding, dilation, groups, nd, where):
    """Check the shapes; return ``(batched input, stride, pads, dilation)``."""
    x = _batched(input, weight, groups, nd, where, ("C_out", "C_in"))
    if x.shape[1] != weight.shape[1] * groups:
        raise ValueError(f"{where}: expected input with {weight.shape[1] * groups} "
                         f"channels (weight {weight.shape}, groups={groups}), got "
                         f"input of shape {input.shape}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"{where}: bias must have shape ({weight.shape[0]},), "
                         f"got {bias.shape}")
    stride, pads, dilation = _geometry(weight.shape[2:], stride, padding, dilation,
                                       where)
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    span = tuple(d * (k - 1) + 1 for k, d in zip(weight.shape[2:], dilation))
    if any(s > n for s, n in zip(span, padded)):
        raise ValueError(f"{where}: the (dilated) kernel {span} is larger than the "
                         f"padded input {padded} (input {input.shape}, "
                         f"padding {padding!r})")
    return x, stride, pads, dilation


def _pad(x, pads):
    """``x`` (N, C, *S) inside a border of zeros, ``pads[i] = (lo, hi)`` on spatial
    axis i; ``x`` itself when there is none. (One zero-filled array and one copy:
    cheaper than ``np.pad``.)"""
    if not any(map(any, pads)):
        return x
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    xp = np.zeros(x.shape[:2] + padded, dtype=x.dtype)
    xp[_inside(pads, x.shape[2:])] = x
    return xp


def _inside(pads, size) -> tuple:
    """The index of the original ``size`` part of a padded array (N, C, *padded)."""
    return (Ellipsis,) + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, size))


def _unfold(x, kernel, stride, pads, dilation, groups, out_size=None):
    """im2col: every receptive field of ``x`` (N, C, *S) as a column of a matrix.

    Returns ``cols`` (N, G, Cg·K, P) and the output's spatial shape ``out_size``
    (K = prod(kernel) taps, P = prod(out_size) output pixels, Cg = C/G channels per
    group): ``cols[n, g, (c, a), p]`` is the input value that tap ``a`` of output
    pixel ``p`` reads from channel ``c`` of group ``g``. Then one matrix product per
    image and group, ``W_g @ cols[n, g]``, is the whole convolution. ``out_size``
    (default: every window that fits) keeps only the first windows.
    """
    nd, (n, c) = len(kernel), x.shape[:2]
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    win = sliding_window_view(_pad(x, pads), span, axis=tuple(range(2, 2 + nd)))
    if out_size is None:
        out_size = tuple((m - 1) // s + 1 for m, s in zip(win.shape[2:], stride))
    # (N, C, *windows, *span) -> every s-th window, every d-th tap: (N, C, *O, *k)
    win = win[(slice(None),) * 2
              + tuple(slice(0, s * (o - 1) + 1, s) for s, o in zip(stride, out_size))
              + tuple(slice(None, None, d) for d in dilation)]
    win = win.reshape((n, groups, c // groups) + win.shape[2:])
    # (N, G, Cg, *O, *k) -> (N, G, Cg, *k, *O): the one copy
    order = (0, 1, 2, *range(3 + nd, 3 + 2 * nd), *range(3, 3 + nd))
    cols = np.ascontiguousarray(win.transpose(order))
    return cols.reshape(n, groups, -1, math.prod(out_size)), out_size


def _fold(cols, size, kernel, stride, pads, dilation, out_size):
    """col2im, the adjoint of :func:`_unfold`: puts every entry of ``cols``
    (N, G, Cg·K, P) back on the input pixel it was read from, adding up the entries
    of pixels read several times; returns (N, G·Cg, *size).

    The reference implementation (``_conv_input_grad`` is the fast one, tested
    equal). A Python loop over the K kernel taps (not over pixels): tap
    ``a = (a_1, ..., a_nd)`` of output pixel ``i`` read the padded pixel
    ``s*i + d*a``, so its row block of ``cols`` is added to a strided window.
    """
    n, groups, rows, _ = cols.shape
    cg = rows // math.prod(kernel)
    cols = cols.reshape((n, groups, cg) + tuple(kernel) + tuple(out_size))
    padded = tuple(m + lo + hi for m, (lo, hi) in zip(size, pads))
    xp = np.zeros((n, groups, cg) + padded, dtype=cols.dtype)
    every = (slice(None),) * 3
    for tap in np.ndindex(*kernel):
        window = tuple(slice(a * d, a * d + s * (o - 1) + 1, s)
                       for a, d, s, o in zip(tap, dilation, stride, out_size))
        xp[every + window] += cols[every + tap]
    return xp.reshape((n, groups * cg) + padded)[_inside(pads, size)]


def _weight_matrices(weight, groups):
    """``weight`` (C_out, Cg, *k) as G matrices (G, C_out/G, Cg·K)."""
    return weight.reshape(groups, weight.shape[0] // groups, -1)


def _weight_grad(a, cols, shape):
    """:math:`\\sum_n a_n \\cdot \\text{cols}_n^\\top` per group, reshaped to the
    weight's ``shape``: ``a`` (N, G, R, P), ``cols`` (N, G, Cg·K, P)."""
    return (a @ cols.swapaxes(2, 3)).sum(axis=0).reshape(shape)


def _conv_input_grad(g, weight, groups, size, stride, pads, dilation):
    """col2im of :math:`W^\\top G`: the gradient of a convolution with respect to its
    input, (N, C_in, *size), from ``g`` (N, C_out, *out). The same function *is* the
    transposed convolution (:func:`conv_transpose2d`) of ``g`` with ``weight``.

    One kernel tap at a time (a Python loop over the K taps, not over pixels): tap
    :math:`a` of output pixel :math:`i` read the padded input pixel
    :math:`s i + d a` with the weights :math:`W_a` (C_out, C_in) per group, so
    :math:`W_a^\\top G` — one matrix product over every image's pixels — is added
    to that strided window. (This is :func:`_fold` of the whole
    :math:`W^\\top G`, without that (C_in·K, N·P) matrix in memory.)
    """
    n, c_out, *out_size = g.shape
    kernel, cg, og = weight.shape[2:], weight.shape[1], c_out // groups
    # (N, G·Og, *O) -> (G, Og, N·P): every image's pixels side by side
    g = g.reshape(n, groups, og, -1).transpose(1, 2, 0, 3).reshape(groups, og, -1)
    # (G·Og, Cg, *k) -> (K, G, Og, Cg): W_a, one matrix per tap and group
    taps = np.ascontiguousarray(np.moveaxis(weight.reshape(groups, og, cg, -1), 3, 0))
    padded = tuple(m + lo + hi for m, (lo, hi) in zip(size, pads))
    xp = np.zeros((n, groups, cg) + padded, dtype=g.dtype)
    target = np.moveaxis(xp, 0, 2)                           # (G, Cg, N, *padded)
    part = np.empty((groups, cg, g.shape[2]), dtype=g.dtype)
    every = (slice(None),) * 3
    for t, tap in enumerate(np.ndindex(*kernel)):
        np.matmul(taps[t].swapaxes(1, 2), g, out=part)     # W_a^T G: (G, Cg, N·P)
        window = tuple(slice(a * d, a * d + s * (o - 1) + 1, s)
                       for a, d, s, o in zip(tap, dilation, stride, out_size))
        target[every + window] += part.reshape((groups, cg, n, *out_size))
    return xp.reshape((n, groups * cg) + padded)[_inside(pads, size)]


def _conv_forward(input, weight, bias, stride, padding, dilation, groups, nd, where):
    x, stride, pads, dilation = _arguments(input, weight, bias, stride, padding,
                                           dilation, groups, nd, where)
    cols, out_size = _unfold(x, weight.shape[2:], stride, pads, dilation, groups)
    out = _weight_matrices(weight, groups) @ cols               # (N, G, C_out/G, P)
    out = out.reshape(x.shape[:1] + weight.shape[:1] + out_size)
    if bias is not None:
        out += bias.reshape((-1,) + (1,) * nd)
    return (out if input.ndim == nd + 2 else out[0]), (cols, input.shape)


def _conv_backward(grad_output, saved, weight, bias, stride, padding, dilation,
                   groups, needs_input_grad, nd, where):
    cols, input_shape = saved
    kernel = weight.shape[2:]
    stride, pads, dilation = _geometry(kernel, stride, padding, dilation, where)
    batched = len(input_shape) == nd + 2
    n, c_in, *size = input_shape if batched else (1,) + tuple(input_shape)
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(size, pads))
    out_size = tuple(conv_output_size(p, k, s, 0, d)
                     for p, k, s, d in zip(padded, kernel, stride, dilation))
    expected = ((n,) if batched else ()) + weight.shape[:1] + out_size
    if grad_output.shape != expected:
        raise ValueError(f"{where}: grad_output must have shape {expected}, "
                         f"got {grad_output.shape}")
    g = grad_output.reshape(n, groups, -1, math.prod(out_size))   # (N, G, Og, P)
    grad_weight = _weight_grad(g, cols, weight.shape)
    grad_bias = None
    if bias is not None:
        grad_bias = grad_output.sum(axis=_batch_and_space(grad_output.ndim, nd))
    if not needs_input_grad:
        return None, grad_weight, grad_bias
    grad_input = _conv_input_grad(g.reshape((n, -1) + out_size), weight, groups, size,
                                  stride, pads, dilation)
    return grad_input.reshape(input_shape), grad_weight, grad_bias


def _transpose_arguments(input, weight, bias, stride, padding, output_padding,
                         groups, dilation, nd, where):
    """Check the shapes of a transposed convolution; return
    ``(batched input, stride, pads, dilation, output spatial size)``."""
    x = _batched(input, weight, groups, nd, where, ("C_in", "C_out"))
    if x.shape[1] != weight.shape[0]:
        raise ValueError(f"{where}: expected input with {weight.shape[0]} channels "
                         f"(weight {weight.shape}), got input of shape {input.shape}")
    c_out = weight.shape[1] * groups
    if bias is not None and bias.shape != (c_out,):
        raise ValueError(f"{where}: bias must have shape ({c_out},), got {bias.shape}")
    kernel = weight.shape[2:]
    stride = _ntuple(stride, nd, where, "stride", 1)
    dilation = _ntuple(dilation, nd, where, "dilation", 1)
    padding = _ntuple(padding, nd, where, "padding", 0)
    output_padding = _ntuple(output_padding, nd, where, "output_padding", 0)
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise ValueError(f"{where}: output_padding must be smaller than stride or "
                         f"dilation, got output_padding={output_padding}, "
                         f"stride={stride}, dilation={dilation}")
    size = tuple(conv_transpose_output_size(*args) for args in zip(
        x.shape[2:], kernel, stride, padding, output_padding, dilation))
    if any(m < 1 for m in size):
        raise ValueError(f"{where}: the output would have size {size} (input "
                         f"{input.shape}, kernel {kernel}, padding {padding}): "
                         f"padding is too large")
    return x, stride, tuple((p, p) for p in padding), dilation, size


def _conv_transpose_forward(input, weight, bias, stride, padding, output_padding,
                            groups, dilation, nd, where):
    x, stride, pads, dilation, size = _transpose_arguments(
        input, weight, bias, stride, padding, output_padding, groups, dilation, nd,
        where)
    # the transposed convolution IS the input gradient of a convolution with this
    # weight: col2im of W^T x
    out = _conv_input_grad(x, weight, groups, size, stride, pads, dilation)
    if bias is not None:
        out += bias.reshape((-1,) + (1,) * nd)
    return (out if input.ndim == nd + 2 else out[0]), input


def _conv_transpose_backward(grad_output, saved, weight, bias, stride, padding,
                             output_padding, groups, dilation, needs_input_grad, nd,
                             where):
    x, stride, pads, dilation, size = _transpose_arguments(
        saved, weight, bias, stride, padding, output_padding, groups, dilation, nd,
        where)
    expected = ((x.shape[0],) if saved.ndim == nd + 2 else ()) \
        + (weight.shape[1] * groups,) + size
    if grad_output.shape != expected:
        raise ValueError(f"{where}: grad_output must have shape {expected}, "
                         f"got {grad_output.shape}")
    g = grad_output.reshape((x.shape[0], -1) + size)
    # unfold G at the input's positions: the cols of the convolution conv(G, W)
    cols, _ = _unfold(g, weight.shape[2:], stride, pads, dilation, groups,
                      out_size=x.shape[2:])                    # (N, G, Og·K, P_in)
    a = x.reshape(x.shape[0], groups, -1, cols.shape[-1])     # (N, G, C_in/G, P_in)
    grad_weight = _weight_grad(a, cols, weight.shape)
    grad_bias = None
    if bias is not None:
        grad_bias = grad_output.sum(axis=_batch_and_space(grad_output.ndim, nd))
    if not needs_input_grad:
        return None, grad_weight, grad_bias
    grad_input = _weight_matrices(weight, groups) @ cols      # conv(G, W): (N, G, ...)
    return grad_input.reshape(saved.shape), grad_weight, grad_bias


def _batch_and_space(ndim: int, nd: int) -> tuple:
    """The axes of a gradient (N, C, *spatial) or (C, *spatial) other than C."""
    return (0,) + tuple(range(2, ndim)) if ndim == nd + 2 else tuple(range(1, ndim))


def conv2d_forward(input, weight, bias=None, stride=1, padding=0, dilation=1,
                   groups=1):
    """:func:`conv2d` and what its backward needs: ``(output, saved)``.

    ``saved`` is ``(cols, input.shape)``: ``cols`` is the unfolded input
    (N, groups, C_in/groups·kH·kW, H_out·W_out), the matrices the forward multiplied.
    """
    return _conv_forward(input, weight, bias, stride, padding, dilation, groups, 2,
                         "conv2d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D cross-correlation (torch's ``conv2d``; the kernel is not flipped):

    .. math::
        y[n, o, i, j] = b[o] + \\sum_{c, a, b'} w[o, c, a, b']\\,
            x_p[n, g(o) C_g + c,\\; s_h i + d_h a,\\; s_w j + d_w b']

    Shapes: ``input`` (N, C_in, H, W) or (C_in, H, W), ``weight``
    (C_out, C_in/groups, kH, kW), ``bias`` (C_out,) -> (N, C_out, H_out, W_out) with
    :math:`H_{out} = \\lfloor (H + 2p_h - d_h(k_h - 1) - 1)/s_h \\rfloor + 1`
    (:func:`conv_output_size`). ``stride``, ``padding`` and ``dilation`` are ints or
    pairs; ``padding`` may also be ``'valid'`` (0) or ``'same'`` (stride 1).
    ``groups`` splits the channels into independent convolutions (``groups=C_in``:
    depthwise).
    """
    return conv2d_forward(input, weight, bias, stride, padding, dilation, groups)[0]


def conv2d_backward(grad_output, saved, weight, bias=None, stride=1, padding=0,
                    dilation=1, groups=1, needs_input_grad=True):
    """Gradients of :func:`conv2d` from ``saved`` of :func:`conv2d_forward`;
    :math:`G = \\partial L/\\partial y` is (N, C_out, H_out, W_out).

    Returns ``(grad_input, grad_weight, grad_bias)``:

    * :math:`\\partial L/\\partial W = \\sum_n G_n \\text{cols}_n^\\top` per group
      (:math:`G_n` is (C_out, H_out·W_out)), shape of ``weight``
    * :math:`\\partial L/\\partial b = \\sum_{n, i, j} G` — (C_out,), ``None``
      without bias
    * :math:`\\partial L/\\partial x` = col2im of :math:`W^\\top G`: every input pixel
      collects the gradients of the outputs that read it — shape of the input;
      ``None`` when ``needs_input_grad=False``
    """
    return _conv_backward(grad_output, saved, weight, bias, stride, padding, dilation,
                          groups, needs_input_grad, 2, "conv2d_backward")


def conv1d_forward(input, weight, bias=None, stride=1, padding=0, dilation=1,
                   groups=1):
    """:func:`conv1d` and ``saved = (cols, input.shape)``
    (see :func:`conv2d_forward`)."""
    return _conv_forward(input, weight, bias, stride, padding, dilation, groups, 1,
                         "conv1d")


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D cross-correlation, :func:`conv2d` along one axis:
    ``input`` (N, C_in, L) or (C_in, L), ``weight`` (C_out, C_in/groups, k)
    -> (N, C_out, L_out), :math:`L_{out} = \\lfloor (L + 2p - d(k-1) - 1)/s
    \\rfloor + 1`."""
    return conv1d_forward(input, weight, bias, stride, padding, dilation, groups)[0]


def conv1d_backward(grad_output, saved, weight, bias=None, stride=1, padding=0,
                    dilation=1, groups=1, needs_input_grad=True):
    """Gradients of :func:`conv1d` (as :func:`conv2d_backward`).

    Returns ``(grad_input, grad_weight, grad_bias)``.
    """
    return _conv_backward(grad_output, saved, weight, bias, stride, padding, dilation,
                          groups, needs_input_grad, 1, "conv1d_backward")


def conv3d_forward(input, weight, bias=None, stride=1, padding=0, dilation=1,
                   groups=1):
    """:func:`conv3d` and ``saved = (cols, input.shape)``
    (see :func:`conv2d_forward`)."""
    return _conv_forward(input, weight, bias, stride, padding, dilation, groups, 3,
                         "conv3d")


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D cross-correlation, :func:`conv2d` over three axes:
    ``input`` (N, C_in, D, H, W) or (C_in, D, H, W), ``weight``
    (C_out, C_in/groups, kD, kH, kW) -> (N, C_out, D_out, H_out, W_out)."""
    return conv3d_forward(input, weight, bias, stride, padding, dilation, groups)[0]


def conv3d_backward(grad_output, saved, weight, bias=None, stride=1, padding=0,
                    dilation=1, groups=1, needs_input_grad=True):
    """Gradients of :func:`conv3d` (as :func:`conv2d_backward`).

    Returns ``(grad_input, grad_weight, grad_bias)``.
    """
    return _conv_backward(grad_output, saved, weight, bias, stride, padding, dilation,
                          groups, needs_input_grad, 3, "conv3d_backward")


def conv_transpose2d_forward(input, weight, bias=None, stride=1, padding=0,
                             output_padding=0, groups=1, dilation=1):
    """:func:`conv_transpose2d` and what its backward needs: ``(output, saved)``;
    ``saved`` is the input itself."""
    return _conv_transpose_forward(input, weight, bias, stride, padding,
                                   output_padding, groups, dilation, 2,
                                   "conv_transpose2d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """2-D transposed convolution (torch's ``conv_transpose2d``, sometimes called
    *deconvolution*): the gradient of :func:`conv2d` with respect to its input,
    used as a layer. Every input pixel spreads its values, weighted by the kernel,
    over a window of the output; overlapping windows add up:

    .. math::
        y_p[n, g(c) C_g^{out} + o,\\; s_h i + d_h a,\\; s_w j + d_w b'] \\mathrel{+}=
            w[c, o, a, b']\\; x[n, c, i, j]

    and ``y`` is :math:`y_p` without ``padding`` on each side (plus ``bias``). In
    matrices: :math:`y` = col2im of :math:`W^\\top x` — the input gradient of
    :func:`conv2d`, computed by the same code.

    Shapes: ``input`` (N, C_in, H, W) or (C_in, H, W), ``weight``
    (C_in, C_out/groups, kH, kW), ``bias`` (C_out,) -> (N, C_out, H_out, W_out) with
    :math:`H_{out} = (H - 1)s_h - 2p_h + d_h(k_h - 1) + \\text{output\\_padding}_h + 1`
    (:func:`conv_transpose_output_size`). ``output_padding`` (smaller than stride or
    dilation) adds rows/columns at the end: a strided convolution maps several
    sizes to the same output size, and it picks one of them.
    """
    return conv_transpose2d_forward(input, weight, bias, stride, padding,
                                    output_padding, groups, dilation)[0]


def conv_transpose2d_backward(grad_output, saved, weight, bias=None, stride=1,
                              padding=0, output_padding=0, groups=1, dilation=1,
                              needs_input_grad=True):
    """Gradients of :func:`conv_transpose2d`; ``saved`` is the input (from
    :func:`conv_transpose2d_forward`), :math:`G = \\partial L/\\partial y` is
    (N, C_out, H_out, W_out).

    Returns ``(grad_input, grad_weight, grad_bias)``. With :math:`\\text{cols}` =
    im2col of :math:`G` at the input's pixels (what :func:`conv2d` of :math:`G`
    multiplies):

    * :math:`\\partial L/\\partial x = W \\cdot \\text{cols}` — the forward
      convolution ``conv2d(G, weight, stride, padding, dilation, groups)``, shape of
      the input; ``None`` when ``needs_input_grad=False``
    * :math:`\\partial L/\\partial W = \\sum_n x_n \\cdot \\text{cols}_n^\\top` per
      group (conv2d's weight gradient with the roles of :math:`x` and :math:`G`
      swapped), shape of ``weight``
    * :math:`\\partial L/\\partial b = \\sum_{n, i, j} G` — (C_out,), ``None``
      without bias
    """
    return _conv_transpose_backward(grad_output, saved, weight, bias, stride, padding,
                                    output_padding, groups, dilation,
                                    needs_input_grad, 2, "conv_transpose2d_backward")
