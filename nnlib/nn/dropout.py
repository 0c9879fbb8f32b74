"""``Dropout``: a thin wrapper over :mod:`nnlib.functional.dropout` (torch's repr)."""
from __future__ import annotations

from nnlib import functional as F
from nnlib._checks import as_array, check_range
from nnlib.nn.module import Module
from nnlib.random import get_rng

__all__ = ["Dropout"]


class Dropout(Module):
    """``Dropout(p=0.5, inplace=False)``: in training mode zeroes each element with
    probability ``p`` and scales the others by :math:`1/(1-p)`; the identity in eval
    mode.

    Input: any shape; output: the same shape and dtype. ``forward`` saves the
    keep-mask :math:`m`, ``backward`` applies the same mask: :math:`m \\odot g/(1-p)`.
    ``rng`` (keyword only, not in torch): a ``np.random.Generator`` for the masks;
    ``None`` uses nnlib's default generator (:func:`nnlib.manual_seed`).
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *, rng=None):
        super().__init__()
        check_range(p, "Dropout", "dropout probability p", 0, 1)
        if inplace:
            raise ValueError(f"Dropout: inplace=True is not supported (nnlib layers "
                             f"never overwrite their input), got {inplace!r}")
        self.p = p
        self.inplace = False
        self.rng = None if rng is None else get_rng(rng)   # get_rng checks the type

    def forward(self, input):
        x = as_array(input, "Dropout")
        output, mask = F.dropout_forward(x, self.p, self.training, self.rng)
        self.save_for_backward(mask, self.p)
        return output

    def backward(self, grad_output):
        mask, p = self.pop_saved()
        return F.dropout_backward(grad_output, mask, p)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
