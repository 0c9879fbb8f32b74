"""Convolution layers ``Conv1d``, ``Conv2d``, ``Conv3d`` and ``ConvTranspose2d``:
torch's constructor, parameters, ``state_dict`` keys, initialisation and repr.

Thin wrappers over :mod:`nnlib.functional.conv`: ``forward`` calls
``conv*d_forward`` (``conv_transpose2d_forward``) and saves its ``saved``;
``backward`` pops it, calls the matching ``*_backward`` and adds the parameter
gradients.
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

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose2d"]


class _ConvNd(Module):
    """The one implementation of ``Conv1d``/``Conv2d``/``Conv3d`` and
    ``ConvTranspose2d``; they differ only in the number of spatial dims ``_nd`` and
    ``_transposed`` (and the functional pair they call).

    Parameters (torch's layout and init): ``weight`` (C_out, C_in/groups, *kernel),
    transposed (C_in, C_out/groups, *kernel), from ``kaiming_uniform_(a=sqrt(5))``,
    i.e. :math:`U(-1/\\sqrt{n}, 1/\\sqrt{n})` with torch's fan-in of that shape,
    :math:`n` = ``weight.shape[1]`` :math:`\\cdot \\prod k` (:math:`C_{in}/G \\prod k`;
    transposed :math:`C_{out}/G \\prod k`), and ``bias`` (C_out,) from the same
    :math:`U(-1/\\sqrt{n}, 1/\\sqrt{n})` (``None`` if ``bias=False``). Input
    (N, C_in, *spatial) or (C_in, *spatial), the parameters' dtype ->
    (N, C_out, *spatial_out), see :func:`nnlib.functional.conv2d`.
    """

    _nd = 0
    _transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, dilation=1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", *, dtype=None, rng=None,
                 output_padding=0):
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
        if self._transposed and isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a tuple, "
                             f"got {padding!r}")
        self.padding = padding if isinstance(padding, str) else \
            _ntuple(padding, nd, name, "padding", 0)
        if not self._transposed and output_padding != 0:
            raise TypeError(f"{name}: output_padding is an argument of the transposed "
                            f"convolutions only, got output_padding={output_padding!r}")
        self.output_padding = _ntuple(output_padding, nd, name, "output_padding", 0)
        if any(op >= max(s, d) for op, s, d in zip(self.output_padding, self.stride,
                                                   self.dilation)):
            raise ValueError(f"{name}: output_padding must be smaller than stride or "
                             f"dilation, got output_padding={self.output_padding}, "
                             f"stride={self.stride}, dilation={self.dilation}")
        dtype = float_dtype(get_default_dtype() if dtype is None else dtype, name)
        channels = (in_channels, out_channels)[::1 if self._transposed else -1]
        shape = (channels[0], channels[1] // groups) + self.kernel_size
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), rng=rng)
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
            bound = 1 / math.sqrt(shape[1] * math.prod(self.kernel_size))  # fan-in
            init.uniform_(self.bias, -bound, bound, rng=rng)
        else:
            self.register_parameter("bias", None)

    def _args(self) -> tuple:
        bias = None if self.bias is None else self.bias.data
        if self._transposed:     # torch's order: output_padding, groups, dilation
            return (self.weight.data, bias, self.stride, self.padding,
                    self.output_padding, self.groups, self.dilation)
        return (self.weight.data, bias, self.stride, self.padding, self.dilation,
                self.groups)

    def _functional(self, suffix: str):
        kind = "conv_transpose" if self._transposed else "conv"
        return getattr(F, f"{kind}{self._nd}d_{suffix}")

    def forward(self, input):
        name, nd = type(self).__name__, self._nd
        x = as_array(input, name)
        check_ndim(x, (nd + 1, nd + 2), name, f"(N, C_in, *spatial) with {nd} "
                   f"spatial dims")
        if x.shape[-nd - 1] != self.in_channels:
            raise ValueError(f"{name}: expected input with {self.in_channels} "
                             f"channels (axis {-nd - 1}), got shape {x.shape}")
        check_dtype(x, self.weight.dtype, name)
        output, saved = self._functional("forward")(x, *self._args())
        self.save_for_backward(saved)
        return output

    def backward(self, grad_output, input_grad: bool = True):
        (saved,) = self.pop_saved()
        gx, gw, gb = self._functional("backward")(np.asarray(grad_output), saved,
                                                  *self._args(),
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
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
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


class ConvTranspose2d(_ConvNd):
    """``ConvTranspose2d(in_channels, out_channels, kernel_size, stride=1, padding=0,
    output_padding=0, groups=1, bias=True, dilation=1)``: the transposed convolution
    :func:`nnlib.functional.conv_transpose2d` (the input gradient of a ``Conv2d``
    used as a layer; it upsamples with ``stride`` > 1), (N, C_in, H, W) ->
    (N, C_out, H_out, W_out),
    :math:`H_{out} = (H - 1)s - 2p + d(k - 1) + \\text{output\\_padding} + 1`.
    ``weight`` (C_in, C_out/groups, kH, kW), ``bias`` (C_out,); the init uses
    torch's fan-in of that weight, :math:`C_{out}/\\text{groups} \\cdot k_h k_w`."""

    _nd = 2
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1,
                 padding=0, output_padding=0, groups: int = 1, bias: bool = True,
                 dilation=1, padding_mode: str = "zeros", *, dtype=None, rng=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         dilation, groups, bias, padding_mode, dtype=dtype, rng=rng,
                         output_padding=output_padding)
