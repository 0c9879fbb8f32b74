"""Convolution layers ``Conv1d``, ``Conv2d`` and ``Conv3d``: torch's constructor,
parameters, ``state_dict`` keys, initialisation and repr.

Thin wrappers over :mod:`nnlib.functional.conv`: ``forward`` calls
``conv*d_forward`` and saves its ``saved`` (the unfolded input); ``backward`` pops it,
calls ``conv*d_backward`` and adds the parameter gradients.
"""
from __future__ import annotations

import math

import numpy as np

from nnlib import functional as F
from nnlib import init
from nnlib._checks import as_array, check_dtype, check_ndim, check_positive_int
from nnlib.functional.conv import _geometry, _ntuple
from nnlib.modes import float_dtype, get_default_dtype
from nnlib.nn.module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d"]


class _ConvNd(Module):
    """The one implementation of ``Conv1d``/``Conv2d``/``Conv3d``; they differ only
    in the number of spatial dims ``_nd`` (and the functional pair they call).

    Parameters (torch's layout and init): ``weight`` (C_out, C_in/groups, *kernel)
    from ``kaiming_uniform_(a=sqrt(5))``, i.e. :math:`U(-1/\\sqrt{n}, 1/\\sqrt{n})`
    with fan-in :math:`n = C_{in}/\\text{groups} \\cdot \\prod k`, and ``bias``
    (C_out,) from the same :math:`U(-1/\\sqrt{n}, 1/\\sqrt{n})` (``None`` if
    ``bias=False``). Input (N, C_in, *spatial) or (C_in, *spatial), the parameters'
    dtype -> (N, C_out, *spatial_out), see :func:`nnlib.functional.conv2d`.
    """

    _nd = 0

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, dilation=1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", *, dtype=None, rng=None):
        super().__init__()
        name, nd = type(self).__name__, self._nd
        self.in_channels = check_positive_int(in_channels, name, "in_channels")
        self.out_channels = check_positive_int(out_channels, name, "out_channels")
        self.groups = check_positive_int(groups, name, "groups")
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must be divisible by groups ({groups})")
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is implemented, "
                             f"got {padding_mode!r}")
        self.padding_mode = padding_mode
        self.kernel_size = _ntuple(kernel_size, nd, name, "kernel_size", 1)
        self.stride, _, self.dilation = _geometry(self.kernel_size, stride, padding,
                                                  dilation, name)
        self.padding = padding if isinstance(padding, str) else \
            _ntuple(padding, nd, name, "padding", 0)
        dtype = float_dtype(get_default_dtype() if dtype is None else dtype, name)
        shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
            bound = 1 / math.sqrt(in_channels // groups * math.prod(self.kernel_size))
            init.uniform_(self.bias, -bound, bound, rng=rng)
        else:
            self.register_parameter("bias", None)

    def _args(self) -> tuple:
        bias = None if self.bias is None else self.bias.data
        return (self.weight.data, bias, self.stride, self.padding, self.dilation,
                self.groups)

    def forward(self, input):
        name, nd = type(self).__name__, self._nd
        x = as_array(input, name)
        check_ndim(x, (nd + 1, nd + 2), name, f"(N, C_in, *spatial) with {nd} "
                   f"spatial dims")
        if x.shape[-nd - 1] != self.in_channels:
            raise ValueError(f"{name}: expected input with {self.in_channels} "
                             f"channels (axis {-nd - 1}), got shape {x.shape}")
        check_dtype(x, self.weight.dtype, name)
        forward = getattr(F, f"conv{nd}d_forward")
        output, saved = forward(x, *self._args())
        self.save_for_backward(saved)
        return output

    def backward(self, grad_output, input_grad: bool = True):
        (saved,) = self.pop_saved()
        backward = getattr(F, f"conv{self._nd}d_backward")
        gx, gw, gb = backward(np.asarray(grad_output), saved, *self._args(),
                              needs_input_grad=input_grad)
        self.weight.accumulate_grad(gw)
        if self.bias is not None:
            self.bias.accumulate_grad(gb)
        return gx

    def extra_repr(self) -> str:
        nd = self._nd
        s = (f"{self.in_channels}, {self.out_channels}, "
             f"kernel_size={self.kernel_size}, stride={self.stride}")
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv1d(_ConvNd):
    """``Conv1d(in_channels, out_channels, kernel_size, ...)``: (N, C_in, L) ->
    (N, C_out, L_out); see :class:`Conv2d`."""

    _nd = 1


class Conv2d(_ConvNd):
    """``Conv2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    dilation=1, groups=1, bias=True)``: the 2-D cross-correlation
    :func:`nnlib.functional.conv2d`, (N, C_in, H, W) -> (N, C_out, H_out, W_out),
    :math:`H_{out} = \\lfloor (H + 2p - d(k - 1) - 1)/s \\rfloor + 1`.
    ``weight`` (C_out, C_in/groups, kH, kW), ``bias`` (C_out,)."""

    _nd = 2


class Conv3d(_ConvNd):
    """``Conv3d(in_channels, out_channels, kernel_size, ...)``: (N, C_in, D, H, W) ->
    (N, C_out, D_out, H_out, W_out); see :class:`Conv2d`."""

    _nd = 3
