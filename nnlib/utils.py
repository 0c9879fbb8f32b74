"""Training utilities: gradient clipping (``torch.nn.utils``) and the mini-batch iterator
(the analogue of ``torch.utils.data.DataLoader``)."""
from __future__ import annotations

import math

import numpy as np

from nnlib._checks import check_positive_int, check_range
from nnlib.nn.module import Parameter
from nnlib.random import get_rng

__all__ = ["clip_grad_norm_", "clip_grad_value_", "batches", "num_batches", "by_device"]


def _grads(parameters, where: str) -> list[np.ndarray]:
    """The non-``None`` gradients of a Parameter or an iterable of Parameters."""
    params = [parameters] if isinstance(parameters, Parameter) else list(parameters)
    for p in params:
        if not isinstance(p, Parameter):
            raise TypeError(f"{where}: expected Parameters, got {type(p).__name__}")
    return [p.grad for p in params if p.grad is not None]


def _norm_type(norm_type, where: str) -> float:
    """``norm_type`` as a float: a positive number or infinity (``'inf'`` is accepted)."""
    try:
        p = float(norm_type)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: norm_type must be a positive number or 'inf', "
                         f"got {norm_type!r}") from None
    if not p > 0:
        raise ValueError(f"{where}: norm_type must be a positive number or 'inf', "
                         f"got {norm_type!r}")
    return p


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False) -> float:
    """Rescale all gradients together so that their joint norm is at most ``max_norm``.

    The total norm treats all gradients as one long vector,
    :math:`\\|g\\|_p = \\big(\\sum_k \\|g_k\\|_p^p\\big)^{1/p}` (for ``inf``: the largest
    :math:`|g_i|`). Every gradient is multiplied by
    :math:`c = \\min\\big(1,\\ \\text{max\\_norm} / (\\|g\\|_p + 10^{-6})\\big)` — the direction is
    kept, only the length changes. Returns the total norm **before** clipping.

    As in torch, a non-finite norm is not hidden: a NaN or infinite gradient makes
    :math:`c` NaN or 0 and spreads to all gradients, or, with ``error_if_nonfinite=True``,
    raises ``RuntimeError``.
    """
    where = "clip_grad_norm_"
    max_norm = check_range(max_norm, where, "max_norm", low=0.0)
    p = _norm_type(norm_type, where)
    grads = _grads(parameters, where)
    if not grads:
        return 0.0
    if math.isinf(p):
        total = max(float(np.max(np.abs(g))) if g.size else 0.0 for g in grads)
    else:
        norms = [np.linalg.norm(g.ravel(), p) for g in grads]
        total = float(np.linalg.norm(np.array(norms), p))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"{where}: the total norm of order {norm_type} of the gradients is "
                           f"non-finite ({total}), so it cannot be clipped; set "
                           f"error_if_nonfinite=False to clip anyway")
    with np.errstate(invalid="ignore"):
        coef = float(np.minimum(max_norm / (total + 1e-6), 1.0))   # NaN stays NaN
        for g in grads:
            g *= coef
    return total


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient entry to :math:`[-c, c]` in place (``c`` = ``clip_value``).

    Unlike :func:`clip_grad_norm_` this changes the direction of the gradient.
    """
    c = check_range(clip_value, "clip_grad_value_", "clip_value", low=0.0)
    for g in _grads(parameters, "clip_grad_value_"):
        np.clip(g, -c, c, out=g)


def num_batches(n: int, batch_size: int, drop_last: bool = False) -> int:
    """Iterations per epoch: :math:`\\lceil n/B\\rceil` (or :math:`\\lfloor n/B\\rfloor` with ``drop_last``)."""
    n = check_positive_int(n, "num_batches", "n")
    batch_size = check_positive_int(batch_size, "num_batches", "batch_size")
    return n // batch_size if drop_last else -(-n // batch_size)


def batches(X, y=None, batch_size: int = 32, shuffle: bool = True, drop_last: bool = False, rng=None):
    """Iterate over one epoch in mini-batches: yields ``(X_b, y_b)`` (or ``X_b`` when ``y`` is None).

    With ``shuffle=True`` a fresh permutation (from ``rng``, default: nnlib's generator) is
    drawn at the start of every epoch, so each example appears exactly once per epoch; the
    last batch is smaller when ``batch_size`` does not divide ``len(X)`` (dropped with
    ``drop_last=True``). ``batch_size=1`` gives classic SGD, ``batch_size=len(X)`` batch GD.
    Call it once per epoch: ``for xb, yb in batches(X, y, 32, rng=rng): ...``.
    """
    X = np.asarray(X)
    if X.ndim == 0:
        raise ValueError(f"batches: X must have a first (example) axis, got shape {X.shape}")
    n = X.shape[0]
    if y is not None:
        y = np.asarray(y)
        if y.ndim == 0 or y.shape[0] != n:
            raise ValueError(f"batches: X and y must have the same number of examples, "
                             f"got {n} and {y.shape[0] if y.ndim else 'a scalar'}")
    batch_size = check_positive_int(batch_size, "batches", "batch_size")
    order = get_rng(rng).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    return _epoch(X, y, order, batch_size, stop)


def _epoch(X, y, order, batch_size, stop):
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield (X[idx], y[idx]) if y is not None else X[idx]


def by_device(device, *, cpu, gpu):
    """Size an experiment from the device it runs on (docs/chapter-format.md, torch cells): ``gpu`` on CUDA, else ``cpu``.

    ``device`` is a ``torch.device``, or a string such as ``"cuda:0"`` or ``"cpu"`` (nnlib never
    imports torch, it only reads ``device.type``). A chapter writes, once::

        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        cfg = by_device(device, cpu=dict(epochs=3, n_train=2000), gpu=dict(epochs=20, n_train=60000))

    so CI (no GPU) runs the short experiment within the chapter's budget and Colab runs the full one.
    """
    kind = getattr(device, "type", None) or str(device)
    kind = kind.split(":", 1)[0]
    if kind not in ("cpu", "cuda", "mps"):
        raise ValueError(f"by_device: expected a cpu/cuda/mps device, got {device!r}")
    return gpu if kind == "cuda" else cpu
