"""What a network looks like, layer by layer: output shapes, parameter counts,
multiply-adds (:func:`summary`) and the receptive field of a stack of convolutions and
poolings (:func:`receptive_field`).

Both walk the model in the order its layers run: a :class:`~nnlib.nn.Sequential`
(nested ones too) is opened into its layers; ``Residual`` is opened by
:func:`receptive_field` (its branch decides the field) but is one row in
:func:`summary`; any other module is one row. Row names are the ``state_dict``
prefixes (``"features.0"``), as in torch::

    >>> s = summary(model, (1, 28, 28))      # one sample's shape, no batch axis
    >>> s.total_params, s.rows[0].output_shape
    >>> s.table()                             # a table for a notebook cell
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from nnlib.display import table
from nnlib.modes import get_default_dtype, no_grad
from nnlib.nn.module import Module, Sequential
from nnlib.nn.residual import Residual

__all__ = ["LayerInfo", "Summary", "summary", "FieldInfo", "receptive_field",
           "mult_adds"]


class LayerInfo(NamedTuple):
    """One row of :func:`summary`."""

    name: str                 # state_dict prefix, e.g. "features.0"
    layer: str                # class name, e.g. "Conv2d"
    output_shape: tuple       # one sample's output shape (no batch axis)
    params: int               # parameters of this layer
    mult_adds: int            # multiply-adds for one sample (see mult_adds)


def _layers(module: Module, prefix: str = "", open_residual: bool = False):
    """``(name, layer)`` in execution order: Sequential (and optionally Residual)
    containers opened, everything else yielded whole."""
    if isinstance(module, Sequential) or (open_residual and
                                          isinstance(module, Residual)):
        for name, child in module.named_children():
            yield from _layers(child, f"{prefix}{name}.", open_residual)
    else:
        yield prefix.rstrip(".") or type(module).__name__, module


def mult_adds(layer: Module, input_shape: tuple, output_shape: tuple) -> int:
    """Multiply-adds of one sample through ``layer`` (shapes without the batch axis).

    Every output of a convolution (``Conv1d/2d/3d``) is a dot product of length
    :math:`C_{in}/\\text{groups} \\cdot \\prod k` — the size of ``weight[0]``; every
    output of ``Linear`` one of length ``in_features``; every input of
    ``ConvTranspose2d`` is multiplied by its :math:`C_{out}/\\text{groups} \\cdot
    \\prod k` weights. Other layers count 0 (their work is one operation per
    element, negligible next to these).
    """
    if type(layer).__name__ in ("Conv1d", "Conv2d", "Conv3d"):
        return math.prod(output_shape) * layer.weight.data[0].size
    if type(layer).__name__ == "ConvTranspose2d":
        return math.prod(input_shape) * layer.weight.data[0].size
    if type(layer).__name__ == "Linear":
        return math.prod(output_shape) * layer.in_features
    return 0


class Summary:
    """The result of :func:`summary`: ``rows`` (a list of :class:`LayerInfo`),
    ``input_shape``, ``total_params`` (each parameter counted once) and
    ``total_mult_adds``. ``table()`` shows it; ``str()`` is the same table."""

    def __init__(self, rows, input_shape, total_params):
        self.rows = rows
        self.input_shape = tuple(input_shape)
        self.total_params = total_params
        self.total_mult_adds = sum(r.mult_adds for r in rows)

    def table(self, mult_adds: bool = False):
        """A :func:`nnlib.display.table`: layer, output shape, parameters (and
        multiply-adds), with the input on top and the totals at the bottom."""
        def shape(s):
            return "×".join(map(str, s))
        rows = [["вход", "", shape(self.input_shape), 0, 0]]
        rows += [[r.name, r.layer, shape(r.output_shape), r.params, r.mult_adds]
                 for r in self.rows]
        rows.append(["итого", "", "", self.total_params, self.total_mult_adds])
        headers = ["слой", "тип", "выход", "параметры", "умнож.-слож."]
        keep = 5 if mult_adds else 4
        return table([r[:keep] for r in rows], headers[:keep],
                     align=["l", "l", "r", "r", "r"][:keep])

    def __repr__(self) -> str:
        return str(self.table())


def summary(model: Module, input_shape, *, dtype=None) -> Summary:
    """Run one sample of zeros of shape ``input_shape`` (no batch axis; a batch of one
    is added) through ``model`` layer by layer and record each layer's output shape,
    parameter count and multiply-adds.

    The forward runs under :func:`nnlib.no_grad` and in ``eval()`` mode (the model's
    modes are restored afterwards), so nothing is saved for a backward and BatchNorm
    uses its running statistics. ``dtype`` defaults to the model's parameters' dtype.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: model must be a Module, got {type(model).__name__}")
    shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
    if not shape or any(not isinstance(n, (int, np.integer)) or n < 1 for n in shape):
        raise ValueError(f"summary: input_shape must be positive ints (one sample, no "
                         f"batch axis), got {input_shape!r}")
    if dtype is None:
        dtype = next((p.dtype for p in model.parameters()), get_default_dtype())
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    rows, x = [], np.zeros((1,) + shape, dtype=dtype)
    try:
        with no_grad():
            for name, layer in _layers(model):
                inp, x = tuple(x.shape[1:]), layer(x)
                out = tuple(x.shape[1:])
                rows.append(LayerInfo(name, type(layer).__name__, out,
                                      layer.num_parameters(),
                                      mult_adds(layer, inp, out)))
    finally:
        for m, training in modes:
            object.__setattr__(m, "training", training)
    return Summary(rows, shape, model.num_parameters())


class FieldInfo(NamedTuple):
    """One row of :func:`receptive_field`; per-axis tuples."""

    name: str
    layer: str
    kernel: tuple             # kernel size k
    stride: tuple             # stride s
    dilation: tuple           # dilation d
    jump: tuple               # input pixels between neighbouring outputs, j
    field: tuple              # receptive field r (input pixels one output sees)


# layers after which one output depends on the whole input
_GLOBAL = ("Linear", "Flatten", "AdaptiveAvgPool2d")


def _per_axis(value, nd: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (int(value),) * nd


def receptive_field(model: Module, ndim: int = 2) -> list:
    """Receptive field after each layer of a stack of convolutions and poolings.

    Going through the layers in order, with :math:`r_0 = 1` and :math:`j_0 = 1`:

    .. math::
        r_l = r_{l-1} + (k_l - 1)\\, d_l\\, j_{l-1}, \\qquad j_l = j_{l-1}\\, s_l

    :math:`r_l` is how many input pixels (per axis) one output of layer :math:`l`
    sees, :math:`j_l` how far apart in the input two neighbouring outputs are. Layers
    with a ``kernel_size`` (convolutions, poolings) change them; element-wise layers
    (activations, BatchNorm, Dropout) keep them; padding changes neither. Returns a
    list of :class:`FieldInfo`, one per layer, per-axis tuples of length ``ndim``.
    Raises ``ValueError`` at a layer after which every output sees the whole input
    (Linear, Flatten, adaptive pooling): pass the convolutional part
    (e.g. ``model.features``).
    """
    if not isinstance(model, Module):
        raise TypeError(f"receptive_field: model must be a Module, "
                        f"got {type(model).__name__}")
    field, jump, rows = (1,) * ndim, (1,) * ndim, []
    for name, layer in _layers(model, open_residual=True):
        kind = type(layer).__name__
        if kind in _GLOBAL:
            raise ValueError(f"receptive_field: after {name} ({kind}) every output "
                             f"sees the whole input; pass only the convolutional part")
        if kind == "ConvTranspose2d":
            raise ValueError(f"receptive_field: {name} is a transposed convolution "
                             f"(upsampling); the recurrence covers downsampling stacks")
        if hasattr(layer, "kernel_size"):
            k = _per_axis(layer.kernel_size, ndim)
            s = _per_axis(layer.stride or layer.kernel_size, ndim)
            d = _per_axis(getattr(layer, "dilation", 1), ndim)
            if not len(k) == len(s) == len(d) == ndim:
                raise ValueError(f"receptive_field: {name} ({kind}) has a "
                                 f"{len(k)}-D kernel, expected ndim={ndim}")
            field = tuple(r + (kk - 1) * dd * j
                          for r, kk, dd, j in zip(field, k, d, jump))
            jump = tuple(j * ss for j, ss in zip(jump, s))
        else:
            k = s = d = (1,) * ndim
        rows.append(FieldInfo(name, kind, k, s, d, jump, field))
    return rows
