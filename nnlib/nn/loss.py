"""Loss modules (torch's names, constructor arguments and defaults).

``loss = criterion(input, target)`` returns the value (a numpy scalar of the input's dtype,
or an array for ``reduction='none'``); ``criterion.backward()`` returns
:math:`\\partial L/\\partial\\,\\text{input}` — where the backward pass of a network starts
(``grad_output`` defaults to :math:`\\partial L/\\partial L = 1`). The formulas live in
:mod:`nnlib.functional.losses`; the target gets no gradient.
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
    """Holds ``reduction`` (``'mean'``, ``'sum'`` or ``'none'``)."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = check_choice(reduction, _REDUCTIONS, type(self).__name__, "reduction")

    def extra_repr(self) -> str:
        return f"reduction='{self.reduction}'"


class MSELoss(_Loss):
    """``MSELoss(reduction='mean')``: :math:`\\frac1n\\sum_i (x_i - y_i)^2`."""

    def forward(self, input, target):
        self.save_for_backward(input, target)
        return F.mse_loss(input, target, self.reduction)

    def backward(self, grad_output=1.0):
        input, target = self.pop_saved()
        return F.mse_loss_backward(grad_output, input, target, self.reduction)


class L1Loss(_Loss):
    """``L1Loss(reduction='mean')``: :math:`\\frac1n\\sum_i |x_i - y_i|` (MAE)."""

    def forward(self, input, target):
        self.save_for_backward(input, target)
        return F.l1_loss(input, target, self.reduction)

    def backward(self, grad_output=1.0):
        input, target = self.pop_saved()
        return F.l1_loss_backward(grad_output, input, target, self.reduction)


class HuberLoss(_Loss):
    """``HuberLoss(reduction='mean', delta=1.0)``: quadratic for :math:`|d| < \\delta`,
    linear beyond."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0):
        super().__init__(reduction)
        self.delta = check_range(delta, "HuberLoss", "delta", low=0, low_open=True)

    def forward(self, input, target):
        self.save_for_backward(input, target)
        return F.huber_loss(input, target, self.reduction, self.delta)

    def backward(self, grad_output=1.0):
        input, target = self.pop_saved()
        return F.huber_loss_backward(grad_output, input, target, self.reduction, self.delta)

    def extra_repr(self) -> str:
        return f"reduction='{self.reduction}', delta={self.delta}"


class _WeightedLoss(_Loss):
    """A loss with an optional per-class ``weight`` buffer (in ``state_dict`` when given)."""

    def __init__(self, weight=None, reduction: str = "mean"):
        super().__init__(reduction)
        self.register_buffer("weight", None if weight is None
                             else as_array(weight, type(self).__name__).copy())


class BCELoss(_WeightedLoss):
    """``BCELoss(weight=None, reduction='mean')``: binary cross-entropy on probabilities."""

    def forward(self, input, target):
        self.save_for_backward(input, target)
        return F.binary_cross_entropy(input, target, self.weight, self.reduction)

    def backward(self, grad_output=1.0):
        input, target = self.pop_saved()
        return F.binary_cross_entropy_backward(grad_output, input, target, self.weight,
                                               self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """``BCEWithLogitsLoss(weight=None, reduction='mean', pos_weight=None)``: sigmoid + BCE
    in one stable formula."""

    def __init__(self, weight=None, reduction: str = "mean", pos_weight=None):
        super().__init__(weight, reduction)
        self.register_buffer("pos_weight", None if pos_weight is None
                             else as_array(pos_weight, "BCEWithLogitsLoss").copy())

    def forward(self, input, target):
        self.save_for_backward(input, target)
        return F.binary_cross_entropy_with_logits(input, target, self.weight, self.reduction,
                                                  self.pos_weight)

    def backward(self, grad_output=1.0):
        input, target = self.pop_saved()
        return F.binary_cross_entropy_with_logits_backward(
            grad_output, input, target, self.weight, self.reduction, self.pos_weight)


class NLLLoss(_WeightedLoss):
    """``NLLLoss(weight=None, ignore_index=-100, reduction='mean')``: input are
    log-probabilities."""

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean"):
        super().__init__(weight, reduction)
        self.ignore_index = int(ignore_index)

    def forward(self, input, target):
        self.save_for_backward(input, target)
        return F.nll_loss(input, target, self.weight, self.ignore_index, self.reduction)

    def backward(self, grad_output=1.0):
        input, target = self.pop_saved()
        return F.nll_loss_backward(grad_output, input, target, self.weight,
                                   self.ignore_index, self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """``CrossEntropyLoss(weight=None, ignore_index=-100, reduction='mean',
    label_smoothing=0.0)``.

    Takes **logits** (softmax is inside): ``NLLLoss(LogSoftmax(dim=1)(input), target)``.
    The forward pass saves the probabilities :math:`p`; the backward pass returns
    :math:`(p - \\text{target})/N`.
    """

    def __init__(self, weight=None, ignore_index: int = -100, reduction: str = "mean",
                 label_smoothing: float = 0.0):
        super().__init__(weight, reduction)
        self.ignore_index = int(ignore_index)
        self.label_smoothing = check_range(label_smoothing, "CrossEntropyLoss",
                                           "label_smoothing", low=0.0, high=1.0)

    def forward(self, input, target):
        loss, probs = F.cross_entropy_forward(input, target, self.weight, self.ignore_index,
                                              self.reduction, self.label_smoothing)
        self.save_for_backward(probs, np.asarray(target))
        return loss

    def backward(self, grad_output=1.0):
        probs, target = self.pop_saved()
        return F.cross_entropy_backward(grad_output, probs, target, self.weight,
                                        self.ignore_index, self.reduction, self.label_smoothing)
