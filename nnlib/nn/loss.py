"""Loss modules (torch's names, constructor arguments and defaults).

``loss = criterion(input, target)`` returns the value (a numpy scalar of the input's dtype, or an
array for ``reduction='none'``); ``criterion.backward(grad_output=1.0)`` returns
:math:`\\partial L/\\partial\\,\\text{input}`, which is where the backward pass of a network starts.
The formulas live in :mod:`nnlib.functional.losses`.
"""
from __future__ import annotations

import numpy as np

from nnlib import functional as F
from nnlib._checks import as_array, check_choice, check_range
from nnlib.functional.losses import _REDUCTIONS
from nnlib.nn.module import Module

__all__ = ["MSELoss", "L1Loss", "HuberLoss", "BCELoss", "BCEWithLogitsLoss",
           "NLLLoss", "CrossEntropyLoss"]


class _Loss(Module):
    """Shared plumbing: ``forward`` stores ``(input, target)``, ``backward`` calls ``<fn>_backward``.

    Errors raised by the functional form are re-raised under the module's name.
    """

    _fn = None          # e.g. F.mse_loss
    _fn_backward = None  # e.g. F.mse_loss_backward

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = check_choice(reduction, _REDUCTIONS, type(self).__name__, "reduction")

    def _kwargs(self) -> dict:
        return {"reduction": self.reduction}

    def _call(self, fn, *args):
        try:
            return fn(*args, **self._kwargs())
        except (ValueError, TypeError) as e:
            msg, prefix = str(e), f"{fn.__name__}: "
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
            raise type(e)(f"{type(self).__name__}: {msg}") from None

    def forward(self, input, target):
        x = as_array(input, type(self).__name__)
        t = np.asarray(target)
        out = self._call(type(self)._fn, x, t)
        self._ctx = (x, t)
        return out

    def backward(self, grad_output=1.0):
        x, t = self._saved()
        return self._call(type(self)._fn_backward, grad_output, x, t)

    def extra_repr(self) -> str:
        return f"reduction='{self.reduction}'"


class MSELoss(_Loss):
    """``MSELoss(reduction='mean')``: :math:`\\frac1n\\sum_i (x_i - y_i)^2`."""
    _fn = staticmethod(F.mse_loss)
    _fn_backward = staticmethod(F.mse_loss_backward)


class L1Loss(_Loss):
    """``L1Loss(reduction='mean')``: :math:`\\frac1n\\sum_i |x_i - y_i|` (MAE)."""
    _fn = staticmethod(F.l1_loss)
    _fn_backward = staticmethod(F.l1_loss_backward)


class HuberLoss(_Loss):
    """``HuberLoss(reduction='mean', delta=1.0)``: quadratic for :math:`|d| < \\delta`, linear beyond."""
    _fn = staticmethod(F.huber_loss)
    _fn_backward = staticmethod(F.huber_loss_backward)

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = check_range(delta, "HuberLoss", "delta", low=0, low_open=True)

    def _kwargs(self) -> dict:
        return {"reduction": self.reduction, "delta": self.delta}

    def extra_repr(self) -> str:
        return f"reduction='{self.reduction}', delta={self.delta}"


class _WeightedLoss(_Loss):
    """A loss with an optional ``weight`` buffer (in ``state_dict`` when given, as in torch)."""

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", None if weight is None
                             else as_array(weight, type(self).__name__).copy())

    def _kwargs(self) -> dict:
        return {"weight": self.weight, "reduction": self.reduction}


class BCELoss(_WeightedLoss):
    """``BCELoss(weight=None, reduction='mean')``: binary cross-entropy on probabilities in [0, 1]."""
    _fn = staticmethod(F.binary_cross_entropy)
    _fn_backward = staticmethod(F.binary_cross_entropy_backward)


class BCEWithLogitsLoss(_WeightedLoss):
    """``BCEWithLogitsLoss(weight=None, reduction='mean', pos_weight=None)``: sigmoid + BCE in one stable formula."""
    _fn = staticmethod(F.binary_cross_entropy_with_logits)
    _fn_backward = staticmethod(F.binary_cross_entropy_with_logits_backward)

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", None if pos_weight is None
                             else as_array(pos_weight, "BCEWithLogitsLoss").copy())

    def _kwargs(self) -> dict:
        return {"weight": self.weight, "reduction": self.reduction, "pos_weight": self.pos_weight}


class NLLLoss(_WeightedLoss):
    """``NLLLoss(weight=None, ignore_index=-100, reduction='mean')``: input are log-probabilities."""
    _fn = staticmethod(F.nll_loss)
    _fn_backward = staticmethod(F.nll_loss_backward)

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(weight, reduction)
        self.ignore_index = int(ignore_index)

    def _kwargs(self) -> dict:
        return {"weight": self.weight, "ignore_index": self.ignore_index, "reduction": self.reduction}


class CrossEntropyLoss(_WeightedLoss):
    """``CrossEntropyLoss(weight=None, ignore_index=-100, reduction='mean', label_smoothing=0.0)``.

    Takes **logits** (softmax is inside): ``NLLLoss(LogSoftmax(dim=1)(input), target)``.
    """
    _fn = staticmethod(F.cross_entropy)
    _fn_backward = staticmethod(F.cross_entropy_backward)

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(weight, reduction)
        self.ignore_index = int(ignore_index)
        self.label_smoothing = check_range(label_smoothing, "CrossEntropyLoss", "label_smoothing",
                                           low=0.0, high=1.0)

    def _kwargs(self) -> dict:
        return {"weight": self.weight, "ignore_index": self.ignore_index,
                "reduction": self.reduction, "label_smoothing": self.label_smoothing}
