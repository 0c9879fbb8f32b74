"""Pooling layers (torch's names, signatures and reprs): thin wrappers over
:mod:`nnlib.functional.pooling`. They have no parameters; ``forward`` saves what the
backward needs (the argmax indices and the input's shape), ``backward`` pops it.
"""
from __future__ import annotations

from nnlib import functional as F
from nnlib._checks import as_array
from nnlib.functional.pooling import _pair
from nnlib.nn.module import Module

__all__ = ["MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d"]


def _check_args(where, kernel_size, stride, padding, dilation=1):
    """Checks the constructor's arguments (torch only checks them at the first call)."""
    _pair(kernel_size, where, "kernel_size")
    if stride is not None:
        _pair(stride, where, "stride")
    _pair(padding, where, "padding", minimum=0)
    _pair(dilation, where, "dilation")


class MaxPool2d(Module):
    """``MaxPool2d(kernel_size, stride=None, padding=0, dilation=1,
    return_indices=False, ceil_mode=False)``: the maximum of each window
    (:func:`nnlib.functional.max_pool2d`); ``stride`` defaults to ``kernel_size``.

    Input ``(N, C, H, W)`` or ``(C, H, W)``; output ``(N, C, H_out, W_out)``, or
    ``(output, indices)`` with ``return_indices=True``. Backward: each gradient goes
    to the argmax of its window (saved by ``forward``).
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        _check_args("MaxPool2d", kernel_size, stride, padding, dilation)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        x = as_array(input, "MaxPool2d")
        output, indices = F.max_pool2d_forward(x, self.kernel_size, self.stride,
                                               self.padding, self.dilation,
                                               self.ceil_mode)
        self.save_for_backward(indices, x.shape)
        return (output, indices) if self.return_indices else output

    def backward(self, grad_output, grad_indices=None):
        """``grad_indices``: the (ignored) gradient of the indices output."""
        indices, input_shape = self.pop_saved()
        return F.max_pool2d_backward(grad_output, indices, input_shape)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, "
                f"ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """``AvgPool2d(kernel_size, stride=None, padding=0, ceil_mode=False,
    count_include_pad=True, divisor_override=None)``: the mean of each window
    (:func:`nnlib.functional.avg_pool2d`); ``stride`` defaults to ``kernel_size``.

    Input ``(N, C, H, W)`` or ``(C, H, W)``; output ``(N, C, H_out, W_out)``.
    Backward: each window spreads :math:`g/D` over its taps (``forward`` saves the
    input's shape).
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        _check_args("AvgPool2d", kernel_size, stride, padding)
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def _args(self):
        return (self.kernel_size, self.stride, self.padding, self.ceil_mode,
                self.count_include_pad, self.divisor_override)

    def forward(self, input):
        x = as_array(input, "AvgPool2d")
        output = F.avg_pool2d(x, *self._args())
        self.save_for_backward(x.shape)
        return output

    def backward(self, grad_output):
        (input_shape,) = self.pop_saved()
        return F.avg_pool2d_backward(grad_output, input_shape, *self._args())

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}")


class AdaptiveAvgPool2d(Module):
    """``AdaptiveAvgPool2d(output_size)``: averages over torch's adaptive windows
    down to ``output_size`` (an int or a pair; ``None`` keeps that axis);
    ``AdaptiveAvgPool2d(1)`` is global average pooling.

    Input ``(N, C, H, W)`` or ``(C, H, W)``; output ``(N, C, H_o, W_o)``.
    """

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        x = as_array(input, "AdaptiveAvgPool2d")
        output = F.adaptive_avg_pool2d(x, self.output_size)
        self.save_for_backward(x.shape)
        return output

    def backward(self, grad_output):
        (input_shape,) = self.pop_saved()
        return F.adaptive_avg_pool2d_backward(grad_output, input_shape)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
