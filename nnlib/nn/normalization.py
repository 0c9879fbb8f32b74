"""Normalisation layers ``BatchNorm1d``, ``BatchNorm2d`` and ``LayerNorm``: torch's
names, arguments, parameters, buffers, ``state_dict`` keys and reprs.

Thin wrappers over :mod:`nnlib.functional.normalization`: ``forward`` calls
``*_norm_forward`` and saves its ``saved``; ``backward`` pops it, calls
``*_norm_backward`` and adds the parameter gradients.
"""
from __future__ import annotations

import numbers

import numpy as np

from nnlib import functional as F
from nnlib._checks import (as_array, check_dtype, check_ndim, check_positive_int,
                           check_trailing_shape)
from nnlib.modes import float_dtype, get_default_dtype
from nnlib.nn.module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm"]


def _add_affine_grads(layer: Module, grad_weight, grad_bias) -> None:
    """Add the gradients of :math:`\\gamma` and :math:`\\beta` to the layer's
    ``weight`` and ``bias`` (each only if the layer has it)."""
    if layer.weight is not None:
        layer.weight.accumulate_grad(grad_weight)
    if layer.bias is not None:
        layer.bias.accumulate_grad(grad_bias)


class _BatchNorm(Module):
    """The one implementation of ``BatchNorm1d``/``BatchNorm2d``; they differ only in
    the input dims they accept (``_ndims``, described by ``_layout``).

    Parameters (``affine=True``): ``weight`` :math:`\\gamma` (C,) of ones and ``bias``
    :math:`\\beta` (C,) of zeros (``None`` if ``bias=False``, a keyword torch 2.x
    added). Buffers (``track_running_stats=True``, else all ``None``):
    ``running_mean`` (C,) zeros, ``running_var`` (C,) ones, ``num_batches_tracked``
    (an int64 scalar, 0). ``state_dict`` keys in torch's order: ``weight``, ``bias``,
    ``running_mean``, ``running_var``, ``num_batches_tracked``.

    * Training mode: normalise with each channel's batch statistics; when tracking,
      update the running ones in place,
      :math:`\\text{running} \\leftarrow (1-m)\\,\\text{running} + m\\,\\text{batch}`
      (unbiased batch variance), and add 1 to ``num_batches_tracked``.
      ``momentum=None`` means a cumulative average,
      :math:`m = 1/\\text{num\\_batches\\_tracked}`.
    * Eval mode: normalise with the running statistics; without them
      (``track_running_stats=False``) with the batch statistics, as in training.
    """

    _ndims: tuple = ()
    _layout: str = ""

    def __init__(self, num_features: int, eps: float = 1e-5,
                 momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True, *, bias: bool = True, dtype=None):
        super().__init__()
        name = type(self).__name__
        self.num_features = check_positive_int(num_features, name, "num_features")
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = float_dtype(get_default_dtype() if dtype is None else dtype, name)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if affine and bias:
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def _check_input(self, x: np.ndarray) -> None:
        name = type(self).__name__
        check_ndim(x, self._ndims, name, self._layout)
        if x.shape[1] != self.num_features:
            raise ValueError(f"{name}: expected input with {self.num_features} "
                             f"channels in dim 1 [num_features={self.num_features}], "
                             f"got shape {tuple(x.shape)}")
        if self.weight is not None:
            check_dtype(x, self.weight.dtype, name)
        elif self.running_mean is not None:
            check_dtype(x, self.running_mean.dtype, name)

    def forward(self, input):
        x = as_array(input, type(self).__name__)
        self._check_input(x)
        tracking = self.training and self.track_running_stats
        momentum = 0.0 if self.momentum is None else self.momentum
        if tracking and self.momentum is None:   # cumulative average, this batch too
            momentum = 1.0 / float(self.num_batches_tracked + 1)
        use_running = not self.training or self.track_running_stats
        output, saved = F.batch_norm_forward(
            x,
            self.running_mean if use_running else None,
            self.running_var if use_running else None,
            None if self.weight is None else self.weight.data,
            None if self.bias is None else self.bias.data,
            training=self.training or self.running_mean is None,
            momentum=momentum, eps=self.eps)
        if tracking:                             # counted once the input passed
            self.num_batches_tracked += 1        # batch_norm_forward's checks
        self.save_for_backward(saved)
        return output

    def backward(self, grad_output):
        (saved,) = self.pop_saved()
        weight = None if self.weight is None else self.weight.data
        grad_input, grad_weight, grad_bias = F.batch_norm_backward(grad_output, saved,
                                                                   weight)
        _add_affine_grads(self, grad_weight, grad_bias)
        return grad_input

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """``BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True,
    track_running_stats=True, *, bias=True)``: input (N, C) or (N, C, L), statistics
    of each channel over its N (N·L) values; output: the input's shape.
    See :class:`_BatchNorm`.
    """

    _ndims = (2, 3)
    _layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """``BatchNorm2d(num_features, eps=1e-5, momentum=0.1, affine=True,
    track_running_stats=True, *, bias=True)``: input (N, C, H, W), statistics of each
    channel over its N·H·W values; output: the input's shape.
    See :class:`_BatchNorm`.
    """

    _ndims = (4,)
    _layout = "(N, C, H, W)"


class LayerNorm(Module):
    """``LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)``:
    :math:`y = \\gamma\\,(x - \\mu)/\\sqrt{\\sigma^2+\\varepsilon} + \\beta`, statistics
    over the last ``len(normalized_shape)`` axes of each sample.

    Input ``(*, *normalized_shape)``; output: the input's shape. Parameters
    (``elementwise_affine=True``): ``weight`` :math:`\\gamma` of ones and ``bias``
    :math:`\\beta` of zeros (``None`` if ``bias=False``), both of shape
    ``normalized_shape``. No buffers: training and eval mode compute the same.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, *, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(
            check_positive_int(d, "LayerNorm", "normalized_shape")
            for d in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = float_dtype(get_default_dtype() if dtype is None else dtype,
                            "LayerNorm")
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        x = as_array(input, "LayerNorm")
        check_trailing_shape(x, self.normalized_shape, "LayerNorm", "normalized_shape")
        if self.weight is not None:
            check_dtype(x, self.weight.dtype, "LayerNorm")
        output, saved = F.layer_norm_forward(
            x, self.normalized_shape,
            None if self.weight is None else self.weight.data,
            None if self.bias is None else self.bias.data, self.eps)
        self.save_for_backward(saved)
        return output

    def backward(self, grad_output):
        (saved,) = self.pop_saved()
        weight = None if self.weight is None else self.weight.data
        grad_input, grad_weight, grad_bias = F.layer_norm_backward(grad_output, saved,
                                                                   weight)
        _add_affine_grads(self, grad_weight, grad_bias)
        return grad_input

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")
