"""Loss functions and their gradients with respect to ``input``
(torch's names, arguments and defaults).

Every loss first computes a per-element (or per-sample) loss :math:`\\ell_i`, then
reduces it:

* ``reduction='none'`` — the array :math:`\\ell`;
* ``'sum'`` — :math:`\\sum_i \\ell_i`;
* ``'mean'`` — :math:`\\frac{1}{D}\\sum_i \\ell_i` with :math:`D` = number of elements
  (for ``nll_loss``/``cross_entropy`` with class indices: the sum of the targets'
  class weights).

``f_backward(grad_output, input, target, ...)`` takes
:math:`\\partial L/\\partial(\\text{loss})`: a scalar for ``'mean'``/``'sum'``, an array
of the unreduced shape for ``'none'``.
"""
from __future__ import annotations

import numpy as np

from nnlib._checks import as_array, check_choice, check_range
from nnlib.functional.softmax import log_softmax

__all__ = [
    "mse_loss", "mse_loss_backward",
    "l1_loss", "l1_loss_backward",
    "huber_loss", "huber_loss_backward",
    "binary_cross_entropy", "binary_cross_entropy_backward",
    "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_backward",
    "nll_loss", "nll_loss_backward",
    "cross_entropy", "cross_entropy_forward", "cross_entropy_backward",
]

_REDUCTIONS = ("none", "mean", "sum")
# torch's lower bound for p(1 - p) in BCE's backward
_BCE_EPS = float(np.float32(1e-12))


# -- shared helpers --------------------------------------------------------------------
def _scalar(value, dtype):
    """A numpy scalar of ``dtype`` (the value of a reduced loss)."""
    return np.asarray(value, dtype=dtype)[()]


def _reduce(loss: np.ndarray, reduction: str, denom=None):
    """Apply ``reduction`` to the unreduced loss; ``denom`` is the divisor of
    ``'mean'`` (default: size)."""
    if reduction == "none":
        return loss
    total = np.sum(loss)
    if reduction == "sum":
        return _scalar(total, loss.dtype)
    denom = loss.size if denom is None else denom
    with np.errstate(invalid="ignore", divide="ignore"):
        return _scalar(total / denom, loss.dtype)


def _unreduce(grad_output, shape, reduction: str, dtype, where: str,
              denom=None) -> np.ndarray:
    """:math:`\\partial L/\\partial \\ell_i` for every element of the unreduced loss
    (shape ``shape``)."""
    g = np.asarray(grad_output, dtype=dtype)
    if reduction == "none":
        if g.shape != tuple(shape):
            raise ValueError(f"{where}: with reduction='none' grad_output must have "
                             f"the loss's shape {tuple(shape)}, got {tuple(g.shape)}")
        return g
    if g.ndim != 0:
        raise ValueError(f"{where}: with reduction='{reduction}' grad_output must be "
                         f"a scalar, got shape {tuple(g.shape)}")
    if reduction == "mean":
        denom = int(np.prod(shape)) if denom is None else denom
        with np.errstate(invalid="ignore", divide="ignore"):
            g = g / np.asarray(denom, dtype=dtype)
    return np.broadcast_to(g, shape)


def _pair(input, target, where: str, reduction: str):
    """Check ``reduction`` and that ``input``/``target`` have one shape;
    the target gets input's dtype."""
    check_choice(reduction, _REDUCTIONS, where, "reduction")
    x = as_array(input, where)
    t = as_array(target, where).astype(x.dtype, copy=False)
    if x.shape != t.shape:
        raise ValueError(f"{where}: expected target of the input's shape "
                         f"{tuple(x.shape)}, got {tuple(t.shape)}")
    return x, t


def _broadcast_weight(weight, shape, dtype, where: str, name: str = "weight"):
    """``weight`` broadcast to ``shape`` (``None`` stays ``None``)."""
    if weight is None:
        return None
    w = as_array(weight, where).astype(dtype, copy=False)
    try:
        if np.broadcast_shapes(w.shape, tuple(shape)) != tuple(shape):
            raise ValueError
    except ValueError:
        raise ValueError(f"{where}: {name} of shape {tuple(w.shape)} cannot be "
                         f"broadcast to the input's shape {tuple(shape)}") from None
    return np.broadcast_to(w, shape)


# -- regression ------------------------------------------------------------------------
def mse_loss(input, target, reduction: str = "mean"):
    """Squared error :math:`\\ell_i = (x_i - y_i)^2`;
    ``'mean'`` gives MSE :math:`\\frac1n\\sum_i (x_i - y_i)^2`.

    Shapes: ``input``, ``target`` — any, the same.
    """
    x, t = _pair(input, target, "mse_loss", reduction)
    return _reduce((x - t) ** 2, reduction)


def mse_loss_backward(grad_output, input, target, reduction: str = "mean"):
    """:math:`\\partial \\ell_i/\\partial x_i = 2(x_i - y_i)`
    (divided by :math:`n` for ``'mean'``)."""
    x, t = _pair(input, target, "mse_loss_backward", reduction)
    g = _unreduce(grad_output, x.shape, reduction, x.dtype, "mse_loss_backward")
    return 2.0 * (x - t) * g


def l1_loss(input, target, reduction: str = "mean"):
    """Absolute error :math:`\\ell_i = |x_i - y_i|`; ``'mean'`` gives MAE.
    Shapes: any, the same."""
    x, t = _pair(input, target, "l1_loss", reduction)
    return _reduce(np.abs(x - t), reduction)


def l1_loss_backward(grad_output, input, target, reduction: str = "mean"):
    """:math:`\\partial \\ell_i/\\partial x_i = \\operatorname{sign}(x_i - y_i)`,
    taken as 0 at the kink (as torch)."""
    x, t = _pair(input, target, "l1_loss_backward", reduction)
    g = _unreduce(grad_output, x.shape, reduction, x.dtype, "l1_loss_backward")
    return np.sign(x - t) * g


def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0):
    """Huber loss with threshold :math:`\\delta > 0`, :math:`d = x - y`:

    .. math:: \\ell = \\begin{cases} \\tfrac12 d^2, & |d| < \\delta \\\\
                                     \\delta\\,(|d| - \\tfrac12\\delta),
                                     & |d| \\ge \\delta \\end{cases}

    Quadratic near zero, linear (slope :math:`\\pm\\delta`) in the tails; both pieces
    meet with equal value and slope at :math:`|d| = \\delta`. Shapes: any, the same.
    """
    x, t = _pair(input, target, "huber_loss", reduction)
    delta = check_range(delta, "huber_loss", "delta", low=0, low_open=True)
    d = x - t
    a = np.abs(d)
    loss = np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))
    return _reduce(loss, reduction)


def huber_loss_backward(grad_output, input, target, reduction: str = "mean",
                        delta: float = 1.0):
    """:math:`\\partial \\ell/\\partial x = \\operatorname{clip}(d, -\\delta, \\delta)`:
    the error, capped at :math:`\\delta`."""
    x, t = _pair(input, target, "huber_loss_backward", reduction)
    delta = check_range(delta, "huber_loss_backward", "delta", low=0, low_open=True)
    g = _unreduce(grad_output, x.shape, reduction, x.dtype, "huber_loss_backward")
    return np.clip(x - t, -delta, delta) * g


# -- binary classification -------------------------------------------------------------
def _check_unit_interval(a: np.ndarray, where: str, name: str, what: str) -> None:
    bad = ~((a >= 0) & (a <= 1))
    if np.any(bad):
        raise ValueError(f"{where}: expected {name} values in [0, 1] ({what}), "
                         f"got {float(a[bad].flat[0])!r}")


def binary_cross_entropy(input, target, weight=None, reduction: str = "mean"):
    """:math:`\\ell_i = -w_i\\,[\\,y_i \\log p_i + (1 - y_i)\\log(1 - p_i)\\,]`
    for probabilities :math:`p = ` ``input``.

    As in torch, each logarithm is clamped from below at :math:`-100`, so :math:`p = 0`
    or :math:`1` gives a loss of at most 100 instead of ``inf``. ``weight`` broadcasts
    to ``input``. Shapes: ``input``, ``target`` — any, the same; values in
    :math:`[0, 1]`.
    """
    where = "binary_cross_entropy"
    p, y = _pair(input, target, where, reduction)
    _check_unit_interval(p, where, "input", "probabilities")
    _check_unit_interval(y, where, "target", "labels or probabilities")
    w = _broadcast_weight(weight, p.shape, p.dtype, where)
    with np.errstate(divide="ignore"):
        loss = -(y * np.maximum(np.log(p), -100.0)
                 + (1 - y) * np.maximum(np.log1p(-p), -100.0))
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction)


def binary_cross_entropy_backward(grad_output, input, target, weight=None,
                                  reduction: str = "mean"):
    """:math:`\\partial \\ell_i/\\partial p_i = w_i\\,\\dfrac{p_i - y_i}{p_i(1 - p_i)}`.

    The denominator is bounded below by :math:`10^{-12}` (rounded to float32, exactly as
    torch does), so the gradient stays finite at :math:`p \\in \\{0, 1\\}`.
    """
    where = "binary_cross_entropy_backward"
    p, y = _pair(input, target, where, reduction)
    _check_unit_interval(p, where, "input", "probabilities")
    _check_unit_interval(y, where, "target", "labels or probabilities")
    w = _broadcast_weight(weight, p.shape, p.dtype, where)
    g = _unreduce(grad_output, p.shape, reduction, p.dtype, where)
    grad = (p - y) / np.maximum((1 - p) * p, _BCE_EPS) * g
    return grad if w is None else grad * w


def _softplus_neg(x: np.ndarray) -> np.ndarray:
    """:math:`\\log(1 + e^{-x}) = -\\log\\sigma(x)`, computed as
    :math:`\\max(-x, 0) + \\log(1 + e^{-|x|})`."""
    return np.logaddexp(0.0, -x)


def binary_cross_entropy_with_logits(input, target, weight=None,
                                     reduction: str = "mean", pos_weight=None):
    """BCE on logits :math:`z` (``input``), with :math:`p = \\sigma(z)`, in a form that
    never overflows:

    .. math:: \\ell_i = w_i\\big[(1 - y_i)\\,z_i + l_i \\log(1 + e^{-z_i})\\big],
              \\qquad l_i = 1 + (\\text{pos\\_weight} - 1)\\,y_i

    (from :math:`-\\log\\sigma(z) = \\log(1 + e^{-z})` and
    :math:`-\\log(1-\\sigma(z)) = z + \\log(1 + e^{-z})`).
    ``log(1 + e^{-z})`` is evaluated as :math:`\\max(-z, 0) + \\log(1 + e^{-|z|})`,
    finite for :math:`z = \\pm 10^4`. ``weight`` broadcasts to ``input``; ``pos_weight``
    (weight of the positive class, one per class) broadcasts along the last axis.
    Shapes: any, the same.
    """
    where = "binary_cross_entropy_with_logits"
    z, y = _pair(input, target, where, reduction)
    w = _broadcast_weight(weight, z.shape, z.dtype, where)
    pw = _broadcast_weight(pos_weight, z.shape, z.dtype, where, "pos_weight")
    sp = _softplus_neg(z)
    if pw is None:
        loss = (1 - y) * z + sp
    else:
        loss = (1 - y) * z + ((pw - 1) * y + 1) * sp
    if w is not None:
        loss = loss * w
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits_backward(grad_output, input, target, weight=None,
                                              reduction: str = "mean", pos_weight=None):
    """:math:`\\partial \\ell_i/\\partial z_i = w_i\\,(\\sigma(z_i) - y_i)`;
    with ``pos_weight``
    :math:`w_i\\,(l_i\\,\\sigma(z_i) - \\text{pos\\_weight}\\cdot y_i)`.

    The sigmoid (used only here) is :math:`\\sigma(z) = \\exp(-\\log(1 + e^{-z}))`,
    stable for any :math:`z`.
    """
    where = "binary_cross_entropy_with_logits_backward"
    z, y = _pair(input, target, where, reduction)
    w = _broadcast_weight(weight, z.shape, z.dtype, where)
    pw = _broadcast_weight(pos_weight, z.shape, z.dtype, where, "pos_weight")
    g = _unreduce(grad_output, z.shape, reduction, z.dtype, where)
    sig = np.exp(-_softplus_neg(z))
    if pw is None:
        grad = sig - y
    else:
        grad = ((pw - 1) * y + 1) * sig - pw * y
    grad = grad * g
    return grad if w is None else grad * w


# -- multi-class classification --------------------------------------------------------
def _class_weight(weight, n_classes: int, dtype, where: str) -> np.ndarray:
    """The per-class ``weight`` of shape (C,) in the input's dtype
    (ones when ``None``)."""
    if weight is None:
        return np.ones(n_classes, dtype=dtype)
    w = as_array(weight, where).astype(dtype, copy=False)
    if w.shape != (n_classes,):
        raise ValueError(f"{where}: expected weight of shape ({n_classes},) "
                         f"(one per class), got {tuple(w.shape)}")
    return w


def _class_layout(input, target, weight, ignore_index, where: str, reduction: str):
    """Validate a class-index problem. Returns ``x, t, cdim, w, valid, t_safe``.

    ``input`` is (C,), (N, C) or (N, C, d1, ...); ``target`` is (), (N,) or (N, d1, ...)
    with integers in ``[0, C)`` or equal to ``ignore_index``; ``weight`` is (C,).
    """
    check_choice(reduction, _REDUCTIONS, where, "reduction")
    x = as_array(input, where)
    if x.ndim == 0:
        raise ValueError(f"{where}: expected input of shape (C,), (N, C) or "
                         f"(N, C, d1, ...), got ()")
    cdim = 0 if x.ndim == 1 else 1
    n_classes = x.shape[cdim]
    t = np.asarray(target)
    if not np.issubdtype(t.dtype, np.integer) or t.dtype == bool:
        raise TypeError(f"{where}: expected a target of integer class indices, "
                        f"got dtype {t.dtype}")
    expected = () if x.ndim == 1 else (x.shape[0],) + x.shape[2:]
    if t.shape != expected:
        raise ValueError(f"{where}: expected target of shape {expected} for input of "
                         f"shape {tuple(x.shape)}, got {tuple(t.shape)}")
    valid = t != ignore_index
    bad = valid & ((t < 0) | (t >= n_classes))
    if np.any(bad):
        raise ValueError(f"{where}: target values must be class indices in "
                         f"[0, {n_classes - 1}] (or ignore_index={ignore_index}), "
                         f"got {t[bad].flat[0]}")
    w = _class_weight(weight, n_classes, x.dtype, where)
    t_safe = np.where(valid, t, 0)
    return x, t, cdim, w, valid, t_safe


def _class_axis_last(a: np.ndarray, cdim: int) -> np.ndarray:
    return np.moveaxis(a, cdim, -1)


def nll_loss(input, target, weight=None, ignore_index: int = -100,
             reduction: str = "mean"):
    """Negative log-likelihood: :math:`\\ell_i = -w_{t_i}\\, x_{i, t_i}`
    for log-probabilities ``input``.

    ``input`` holds :math:`\\log p` (e.g. from :func:`log_softmax`): (C,), (N, C) or
    (N, C, d1, ...); ``target`` class indices: (), (N,) or (N, d1, ...). Targets equal
    to ``ignore_index`` contribute 0. ``'mean'`` divides by :math:`\\sum_i w_{t_i}` over
    non-ignored targets (``nan`` if that is 0).
    """
    x, t, cdim, w, valid, t_safe = _class_layout(input, target, weight, ignore_index,
                                                 "nll_loss", reduction)
    x_last = _class_axis_last(x, cdim)
    picked = np.take_along_axis(x_last, t_safe[..., None], axis=-1)[..., 0]
    wt = np.where(valid, w[t_safe], 0)
    # + 0.0: no "-0."
    loss = np.where(valid, -wt * picked + 0.0, 0).astype(x.dtype, copy=False)
    return _reduce(loss, reduction, denom=np.sum(wt))


def nll_loss_backward(grad_output, input, target, weight=None, ignore_index: int = -100,
                      reduction: str = "mean"):
    """:math:`\\partial \\ell_i/\\partial x_{i,c} = -w_{t_i}[c = t_i]`:
    minus the (weighted) one-hot of the target."""
    where = "nll_loss_backward"
    x, t, cdim, w, valid, t_safe = _class_layout(input, target, weight, ignore_index,
                                                 where, reduction)
    wt = np.where(valid, w[t_safe], 0)
    g = _unreduce(grad_output, t.shape, reduction, x.dtype, where, denom=np.sum(wt))
    grad = np.zeros_like(_class_axis_last(x, cdim))
    with np.errstate(invalid="ignore"):
        vals = np.where(valid, -wt * g, 0)
    np.put_along_axis(grad, t_safe[..., None], vals[..., None], axis=-1)
    return np.moveaxis(grad, -1, cdim)


def _ce_targets(input, target, weight, ignore_index, label_smoothing, where: str,
                reduction: str):
    """Check a cross-entropy problem and build the target coefficients :math:`A`.

    Every variant of the loss is :math:`\\ell_i = -\\sum_c A_{ic}\\log p_{ic}` with
    :math:`p = \\operatorname{softmax}(x)` over the class axis. Returns
    ``x, cdim, A, valid, denom`` (``valid`` is ``None`` for probability targets;
    ``denom`` divides the sum for ``'mean'``):

    * class indices :math:`t`:
      :math:`A_{ic} = w_{t_i}(1-\\varepsilon)[c = t_i] + w_c\\,\\varepsilon/C`
      (0 for ignored targets), ``denom`` :math:`= \\sum_i w_{t_i}`;
    * probabilities :math:`q` (the input's shape):
      :math:`A_{ic} = w_c\\,((1-\\varepsilon) q_{ic} + \\varepsilon/C)`,
      ``denom`` = number of samples.
    """
    check_choice(reduction, _REDUCTIONS, where, "reduction")
    eps = check_range(label_smoothing, where, "label_smoothing", low=0.0, high=1.0)
    x = as_array(input, where)
    t = np.asarray(target)
    if np.issubdtype(t.dtype, np.floating):                       # probabilities
        if x.ndim == 0 or t.shape != x.shape:
            expected = () if x.ndim <= 1 else (x.shape[0],) + x.shape[2:]
            raise ValueError(f"{where}: expected target of shape {expected} (class "
                             f"indices, integer dtype) or {tuple(x.shape)} (class "
                             f"probabilities, float dtype) for input of shape "
                             f"{tuple(x.shape)}, got a {t.dtype} target of shape "
                             f"{tuple(t.shape)}")
        cdim = 0 if x.ndim == 1 else 1
        n_classes = x.shape[cdim]
        shape_w = [1] * x.ndim
        shape_w[cdim] = n_classes
        wb = _class_weight(weight, n_classes, x.dtype, where).reshape(shape_w)
        q = t.astype(x.dtype, copy=False)
        if eps > 0:
            q = q * (1 - eps) + eps / n_classes
        return x, cdim, q * wb, None, x.size // n_classes if n_classes else 0
    x, t, cdim, w, valid, t_safe = _class_layout(x, t, weight, ignore_index, where,
                                                 reduction)
    n_classes = x.shape[cdim]
    wt = np.where(valid, w[t_safe], 0).astype(x.dtype, copy=False)
    A = np.zeros_like(_class_axis_last(x, cdim))
    np.put_along_axis(A, t_safe[..., None], ((1 - eps) * wt)[..., None], axis=-1)
    if eps > 0:
        A += (eps / n_classes) * valid[..., None] * w
    return x, cdim, np.moveaxis(A, -1, cdim), valid, np.sum(wt)


def cross_entropy_forward(input, target, weight=None, ignore_index: int = -100,
                          reduction: str = "mean", label_smoothing: float = 0.0):
    """:func:`cross_entropy` and the probabilities its backward needs:
    ``(loss, probs)``.

    ``probs`` :math:`= \\operatorname{softmax}(x)` along the class axis
    (the input's shape).
    """
    x, cdim, A, valid, denom = _ce_targets(input, target, weight, ignore_index,
                                           label_smoothing, "cross_entropy", reduction)
    logp = log_softmax(x, cdim)
    loss = -np.sum(A * logp, axis=cdim)
    return _reduce(loss, reduction, denom=denom), np.exp(logp)


def cross_entropy(input, target, weight=None, ignore_index: int = -100,
                  reduction: str = "mean", label_smoothing: float = 0.0):
    """Cross-entropy of logits: ``nll_loss(log_softmax(input, class_dim), target)``.

    .. math::
        \\ell_i &= -\\sum_c A_{ic} \\log \\operatorname{softmax}(x_i)_c,\\\\
        A_i &= \\text{onehot}(t_i) \\text{ (class index } t_i\\text{)}, \\quad
        A_i = q_i \\text{ (probabilities } q_i\\text{)}.

    ``input`` — logits (C,), (N, C) or (N, C, d1, ...), classes on axis 1 (axis 0 for
    1-D); ``target`` — integer class indices of shape (), (N,) or (N, d1, ...)
    (``weight``, ``ignore_index`` as in :func:`nll_loss`), or float probabilities of the
    input's shape. ``label_smoothing`` :math:`\\varepsilon` mixes the target with the
    uniform distribution: :math:`(1-\\varepsilon)\\,\\text{target} + \\varepsilon/C`
    (the general :math:`A` is in :func:`_ce_targets`).
    """
    return cross_entropy_forward(input, target, weight, ignore_index, reduction,
                                 label_smoothing)[0]


def cross_entropy_backward(grad_output, probs, target, weight=None,
                           ignore_index: int = -100, reduction: str = "mean",
                           label_smoothing: float = 0.0):
    """Gradient w.r.t. the logits, from the saved ``probs``
    :math:`p = \\operatorname{softmax}(x)`: the famous "prediction minus target".

    From :math:`\\ell_i = -\\sum_c A_{ic}\\log p_{ic}` and
    :math:`\\partial \\log p_{ic'}/\\partial x_{ic} = \\delta_{cc'} - p_{ic}`:

    .. math:: \\frac{\\partial \\ell_i}{\\partial x_{ic}}
              = p_{ic}\\sum_{c'} A_{ic'} - A_{ic},

    which for a one-hot target without weights is :math:`p_i - \\text{onehot}(t_i)`;
    with ``'mean'`` everything is divided by :math:`N` (:math:`\\sum_i w_{t_i}` with
    weights): :math:`\\partial L/\\partial x = (p - Y)/N`.
    """
    where = "cross_entropy_backward"
    p, cdim, A, valid, denom = _ce_targets(probs, target, weight, ignore_index,
                                           label_smoothing, where, reduction)
    loss_shape = p.shape[:cdim] + p.shape[cdim + 1:]
    g = _unreduce(grad_output, loss_shape, reduction, p.dtype, where, denom=denom)
    g = np.expand_dims(g, cdim)
    with np.errstate(invalid="ignore"):
        grad = p * np.sum(A, axis=cdim, keepdims=True)
        grad -= A
        grad *= g
    if valid is not None and not valid.all():  # ignored targets: exactly 0
        mask = np.expand_dims(valid, cdim)
        grad = np.where(mask, grad, 0).astype(p.dtype, copy=False)
    return grad
