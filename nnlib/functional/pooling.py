"""2-D pooling (max, average, adaptive average) and the backward passes.

Input ``(N, C, H, W)`` or ``(C, H, W)``; each plane is pooled on its own. A window
of ``kernel_size`` :math:`(k_h, k_w)` taps, ``dilation`` apart, moves by ``stride`` over
the input padded by ``padding`` on each side; the output has the spatial size (per axis)

.. math::

    H_{out} = \\left\\lfloor \\frac{H + 2p - d(k-1) - 1}{s} \\right\\rfloor + 1

(rounded up with ``ceil_mode=True``; a window that would start in the right padding is
dropped, as in torch). Max pooling pads with :math:`-\\infty`; its backward routes each
gradient to the argmax of its window (overlapping windows add up). Average pooling
pads with zeros; its backward spreads :math:`g / \\text{divisor}` over the window.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from nnlib._checks import as_array, check_ndim, check_positive_int

__all__ = ["max_pool2d", "max_pool2d_forward", "max_pool2d_backward",
           "avg_pool2d", "avg_pool2d_backward",
           "adaptive_avg_pool2d", "adaptive_avg_pool2d_backward"]


def _pair(value, where: str, name: str, minimum: int = 1) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; ``(2, 3)`` stays; integers ``>= minimum`` only."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    ok = len(pair) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum
        for v in pair)
    if not ok:
        raise ValueError(f"{where}: {name} must be an integer >= {minimum} or a pair "
                         f"of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _output_size(size: int, k: int, p: int, s: int, d: int, ceil_mode: bool) -> int:
    """torch's ``pooling_output_shape`` for one axis."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:     # the last window starts in padding
        out -= 1
    return out


def _geometry(where, x, kernel_size, stride, padding, dilation, ceil_mode):
    """Checks the arguments; returns ``(k, s, p, d, out)``, each a pair (rows, cols)."""
    check_ndim(x, (3, 4), where, "(N, C, H, W) or (C, H, W)")
    k = _pair(kernel_size, where, "kernel_size")
    s = k if stride is None or stride == () else _pair(stride, where, "stride")
    p = _pair(padding, where, "padding", minimum=0)
    d = _pair(dilation, where, "dilation")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(f"{where}: padding should be at most half of kernel_size, "
                         f"got padding={p} for kernel_size={k}")
    size = x.shape[-2:]
    out = tuple(_output_size(size[i], k[i], p[i], s[i], d[i], ceil_mode)
                for i in range(2))
    if min(out) < 1 or min(size) < 1:
        raise ValueError(f"{where}: input of spatial size {tuple(size)} is too small "
                         f"for kernel_size={k}, padding={p}, dilation={d}: "
                         f"calculated output size {out}")
    return k, s, p, d, out


def _pad(x, p, k, s, d, out, value):
    """Pads the last two axes by ``p`` (left/top) and as much as the last window needs
    (right/bottom, cropped where it needs less), with ``value``."""
    need = [(out[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1 for i in range(2)]
    right = [max(need[i] - x.shape[-2 + i] - p[i], 0) for i in range(2)]
    widths = [(0, 0)] * (x.ndim - 2) + [(p[0], right[0]), (p[1], right[1])]
    return np.pad(x, widths, constant_values=value)[..., :need[0], :need[1]]


def _windows(xp, k, s, d):
    """The pooling windows of the padded ``xp`` (a view):
    ``(..., H_out, W_out, kh, kw)``, entry ``[..., i, j, a, b]`` is
    ``xp[..., i s_h + a d_h, j s_w + b d_w]``."""
    span = (d[0] * (k[0] - 1) + 1, d[1] * (k[1] - 1) + 1)
    w = sliding_window_view(xp, span, axis=(-2, -1))
    return w[..., ::s[0], ::s[1], ::d[0], ::d[1]]


def max_pool2d_forward(input, kernel_size, stride=None, padding=0, dilation=1,
                       ceil_mode: bool = False):
    """Returns ``(output, indices)``; see :func:`max_pool2d`.

    ``indices`` (int64, the output's shape): the argmax of each window as a flat index
    :math:`h W + w` into its input plane, as torch's ``return_indices=True``; ties
    go to the first maximum of the window in row-major order (as torch).
    """
    x = as_array(input, "max_pool2d")
    k, s, p, d, out = _geometry("max_pool2d", x, kernel_size, stride, padding,
                                dilation, ceil_mode)
    H, W = x.shape[-2:]
    xw = _windows(_pad(x, p, k, s, d, out, -np.inf), k, s, d)
    xw = xw.reshape(*xw.shape[:-2], k[0] * k[1])           # (..., H_out, W_out, kh kw)
    arg = xw.argmax(axis=-1)[..., None]
    output = np.take_along_axis(xw, arg, axis=-1)[..., 0]
    # the same windows over the flat positions h W + w of the plane (-1 in the padding)
    flat = np.arange(H * W).reshape(H, W)
    fw = _windows(_pad(flat, p, k, s, d, out, -1), k, s, d)
    fw = fw.reshape((1,) * (x.ndim - 2) + (*out, -1))       # broadcasts over N, C
    indices = np.take_along_axis(fw, arg, axis=-1)[..., 0]
    # a window of -inf only: torch gives the window's first tap inside the input
    first = np.take_along_axis(fw, (fw >= 0).argmax(axis=-1)[..., None], -1)[..., 0]
    indices = np.where(indices < 0, first, indices)
    return output, indices.astype(np.int64)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1,
               ceil_mode: bool = False, return_indices: bool = False):
    """2-D max pooling: :math:`y_{ij} = \\max_{a,b} x_{i s_h + a d_h - p_h,\\,
    j s_w + b d_w - p_w}` over the :math:`k_h \\times k_w` window (padding is
    :math:`-\\infty`).

    Shapes: ``input`` ``(N, C, H, W)`` or ``(C, H, W)``; output ``(N, C, H_out,
    W_out)`` (or without ``N``), the input's dtype. ``kernel_size``, ``stride``
    (default: ``kernel_size``), ``padding`` (at most half the kernel), ``dilation``:
    an int or a pair. ``return_indices=True`` returns ``(output, indices)`` as torch.
    """
    output, indices = max_pool2d_forward(input, kernel_size, stride, padding,
                                         dilation, ceil_mode)
    return (output, indices) if return_indices else output


def max_pool2d_backward(grad_output, indices, input_shape) -> np.ndarray:
    """:math:`\\partial L/\\partial x_m = \\sum_{o:\\,\\mathrm{argmax}(o) = m} g_o`:
    each gradient goes to its window's argmax; overlapping windows add up.

    ``indices``: from :func:`max_pool2d_forward` (the shape of ``grad_output``);
    ``input_shape``: ``(N, C, H, W)`` or ``(C, H, W)``. Returns the input's shape,
    the dtype of ``grad_output``.
    """
    g = as_array(grad_output, "max_pool2d_backward")
    indices = np.asarray(indices)
    if g.shape != indices.shape or len(input_shape) not in (3, 4):
        raise ValueError(f"max_pool2d_backward: expected grad_output and indices of "
                         f"the same shape and a 3-D or 4-D input_shape, got "
                         f"{tuple(g.shape)}, {tuple(indices.shape)} and "
                         f"{tuple(input_shape)}")
    H, W = input_shape[-2:]
    planes = int(np.prod(input_shape[:-2]))
    # flat position in the whole input: plane number * H W + position in the plane
    offset = np.arange(planes).reshape(*input_shape[:-2], 1, 1) * (H * W)
    grad = np.bincount((indices + offset).ravel(), weights=g.ravel(),
                       minlength=planes * H * W)
    return grad.reshape(input_shape).astype(g.dtype, copy=False)


def _avg_divisor(size, k, s, p, out, count_include_pad):
    """Per-axis number of counted taps of each window (torch's rule: the part of a
    window beyond the right padding never counts; the padding counts if asked)."""
    start = np.arange(out) * s - p
    end = np.minimum(start + k, size + p)
    if not count_include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, size)
    return end - start


def _avg_geometry(where, x, kernel_size, stride, padding, ceil_mode,
                  count_include_pad, divisor_override):
    k, s, p, d, out = _geometry(where, x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None:
        div = np.full(out, check_positive_int(divisor_override, where,
                                              "divisor_override"))
    else:
        rows, cols = (_avg_divisor(x.shape[-2 + i], k[i], s[i], p[i], out[i],
                                   count_include_pad) for i in range(2))
        div = rows[:, None] * cols[None, :]                      # (H_out, W_out)
    return k, s, p, d, out, div


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override=None) -> np.ndarray:
    """2-D average pooling: :math:`y_{ij} = \\frac{1}{D_{ij}} \\sum_{a,b}
    x_{i s_h + a - p_h,\\, j s_w + b - p_w}` (zero padding).

    :math:`D_{ij}`: the window's taps inside the padded input (``count_include_pad=
    True``) or inside the input only (``False``); ``divisor_override`` replaces it.
    Shapes as :func:`max_pool2d`; the output has the input's dtype.
    """
    x = as_array(input, "avg_pool2d")
    k, s, p, d, out, div = _avg_geometry("avg_pool2d", x, kernel_size, stride, padding,
                                         ceil_mode, count_include_pad, divisor_override)
    windows = _windows(_pad(x, p, k, s, d, out, 0), k, s, d)
    return windows.sum(axis=(-2, -1)) / div.astype(x.dtype)


def avg_pool2d_backward(grad_output, input_shape, kernel_size, stride=None, padding=0,
                        ceil_mode: bool = False, count_include_pad: bool = True,
                        divisor_override=None) -> np.ndarray:
    """:math:`\\partial L/\\partial x_m = \\sum_{o \\ni m} g_o / D_o`: each window
    spreads its gradient, divided by its divisor, evenly over its taps.

    ``input_shape``: ``(N, C, H, W)`` or ``(C, H, W)``; the other arguments as in
    :func:`avg_pool2d`. Returns the input's shape, the dtype of ``grad_output``.
    """
    g = as_array(grad_output, "avg_pool2d_backward")
    shape_only = np.broadcast_to(np.zeros((), g.dtype), tuple(input_shape))
    k, s, p, d, out, div = _avg_geometry("avg_pool2d_backward", shape_only,
                                         kernel_size, stride, padding, ceil_mode,
                                         count_include_pad, divisor_override)
    expected = tuple(input_shape[:-2]) + out
    if g.shape != expected:
        raise ValueError(f"avg_pool2d_backward: expected grad_output of shape "
                         f"{expected}, got {tuple(g.shape)}")
    H, W = input_shape[-2:]
    g = g / div.astype(g.dtype)
    rows, cols = (out[0] - 1) * s[0] + k[0], (out[1] - 1) * s[1] + k[1]
    grad = np.zeros((*input_shape[:-2], max(rows, H + p[0]), max(cols, W + p[1])),
                    dtype=g.dtype)
    for a in range(k[0]):                   # a loop over the k_h k_w taps of a window
        for b in range(k[1]):
            grad[..., a:a + (out[0] - 1) * s[0] + 1:s[0],
                 b:b + (out[1] - 1) * s[1] + 1:s[1]] += g
    return grad[..., p[0]:p[0] + H, p[1]:p[1] + W]


def _adaptive_matrix(size: int, out: int, dtype) -> np.ndarray:
    """``(out, size)`` averaging matrix: row i is 1/len over torch's window
    ``[floor(i size/out), ceil((i+1) size/out))``."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)                         # ceil((i + 1) size / out)
    j = np.arange(size)
    inside = (j >= start[:, None]) & (j < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _adaptive_sizes(where, shape, output_size) -> tuple[int, int]:
    pair = (tuple(output_size) if isinstance(output_size, (tuple, list))
            else (output_size, output_size))
    if len(pair) != 2:
        raise ValueError(f"{where}: output_size must be an int or a pair, "
                         f"got {output_size!r}")
    # None keeps the input's size (torch)
    return tuple(shape[-2 + i] if pair[i] is None
                 else check_positive_int(pair[i], where, "output_size")
                 for i in range(2))


def adaptive_avg_pool2d(input, output_size) -> np.ndarray:
    """Adaptive average pooling to ``output_size`` :math:`(H_o, W_o)` (an int, a pair,
    ``None`` keeps that axis): output :math:`(i, j)` averages rows
    :math:`[\\lfloor iH/H_o \\rfloor, \\lceil (i+1)H/H_o \\rceil)` and the columns
    alike, i.e. :math:`Y = A_h X A_w^\\top` with averaging matrices :math:`A`.
    ``output_size=1`` is global average pooling.

    Shapes: ``input`` ``(N, C, H, W)`` or ``(C, H, W)``; output ``(N, C, H_o, W_o)``
    (or without ``N``), the input's dtype.
    """
    x = as_array(input, "adaptive_avg_pool2d")
    check_ndim(x, (3, 4), "adaptive_avg_pool2d", "(N, C, H, W) or (C, H, W)")
    oh, ow = _adaptive_sizes("adaptive_avg_pool2d", x.shape, output_size)
    H, W = x.shape[-2:]
    if min(H, W) < 1:
        raise ValueError(f"adaptive_avg_pool2d: expected a non-empty input, "
                         f"got shape {tuple(x.shape)}")
    return _adaptive_matrix(H, oh, x.dtype) @ x @ _adaptive_matrix(W, ow, x.dtype).T


def adaptive_avg_pool2d_backward(grad_output, input_shape) -> np.ndarray:
    """:math:`\\partial L/\\partial X = A_h^\\top G A_w` (see
    :func:`adaptive_avg_pool2d`); ``input_shape``: ``(N, C, H, W)`` or ``(C, H, W)``.
    Returns the input's shape, the dtype of ``grad_output``.
    """
    g = as_array(grad_output, "adaptive_avg_pool2d_backward")
    if g.ndim != len(input_shape) or g.ndim not in (3, 4) or \
            g.shape[:-2] != tuple(input_shape[:-2]):
        raise ValueError(f"adaptive_avg_pool2d_backward: grad_output {tuple(g.shape)} "
                         f"does not fit input_shape {tuple(input_shape)}")
    (oh, ow), (H, W) = g.shape[-2:], input_shape[-2:]
    return _adaptive_matrix(H, oh, g.dtype).T @ g @ _adaptive_matrix(W, ow, g.dtype)
