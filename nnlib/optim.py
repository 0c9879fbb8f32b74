"""Optimisers with torch's update formulas, names, defaults and state keys.

An optimiser owns a list of *parameter groups* (dicts with ``"params"`` and the
hyper-parameters) and a per-parameter ``state`` dict. ``step()`` walks over every
parameter whose ``grad`` is not ``None`` and calls the subclass's ``_update``, which
changes ``param.data`` **in place**. ``zero_grad()`` sets every ``grad`` to ``None``.

Notation of the docstrings: :math:`\\theta` the parameter, :math:`g_t` its gradient at
step :math:`t` (after weight decay where it applies), :math:`\\eta` = ``lr``.
The arithmetic follows ``torch.optim`` (single-tensor code path) operation by
operation, so float64 trajectories agree with torch to rounding.
"""
from __future__ import annotations

import math

import numpy as np

import copy

from nnlib._checks import check_range
from nnlib.nn.module import Module, Parameter

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]


# -- shared pieces of the update rules -------------------------------------------------
def _with_weight_decay(grad: np.ndarray, param: np.ndarray,
                       weight_decay: float) -> np.ndarray:
    """L2 penalty folded into the gradient: :math:`g + \\lambda\\theta`
    (a new array)."""
    return grad + weight_decay * param if weight_decay != 0 else grad


def _ema_(avg: np.ndarray, value: np.ndarray, beta: float, tmp: np.ndarray) -> None:
    """Exponential moving average in place, as torch's ``lerp_``:
    :math:`s \\leftarrow s + (1-\\beta)(x - s) = \\beta s + (1-\\beta)\\,x`
    (``tmp`` is scratch space of the same shape)."""
    np.subtract(value, avg, out=tmp)
    tmp *= 1 - beta
    avg += tmp


def _zeros_state(state: dict, key: str, param: Parameter) -> np.ndarray:
    """``state[key]``, created as zeros of the parameter's shape on the first step."""
    buf = state.get(key)
    if buf is None:
        buf = state[key] = np.zeros_like(param.data)
    return buf


def _step_count(state: dict) -> int:
    """Increment and return ``state["step"]`` (1 at the first update)."""
    state["step"] = state.get("step", 0) + 1
    return state["step"]


def _check_betas(betas, where: str):
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{where}: betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        check_range(b, where, f"betas[{i}]", low=0.0, high=1.0, high_open=True)
    return tuple(float(b) for b in betas)


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``step()``, ``zero_grad()``
    and checkpoints (``state_dict()`` / ``load_state_dict()``).

    ``params`` is an iterable of :class:`~nnlib.nn.Parameter`
    (e.g. ``model.parameters()``) or of dicts ``{"params": [...], "lr": ..., ...}``
    (a group's own values override ``defaults``), exactly as in ``torch.optim``.
    ``state[p]`` holds the buffers of parameter ``p`` under torch's keys
    (``"momentum_buffer"``, ``"exp_avg"``, ``"exp_avg_sq"``, ...).
    """

    def __init__(self, params, defaults: dict):
        name = type(self).__name__
        if isinstance(params, (Parameter, np.ndarray, Module)):
            hint = " (pass model.parameters())" if isinstance(params, Module) else ""
            raise TypeError(f"{name}: params must be an iterable of Parameters or "
                            f"dicts, got a single {type(params).__name__}{hint}")
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        self._scratch: dict = {}    # work arrays of the in-place updates (not state)
        groups = list(params)
        if not groups:
            raise ValueError(f"{name}: optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group: its ``"params"`` plus any hyper-parameters that differ from
        the defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict, "
                            f"got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if params is None:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry")
        params = [params] if isinstance(params, Parameter) else list(params)
        for p in params:
            if not isinstance(p, Parameter):
                hint = " (pass model.parameters())" if isinstance(p, Module) else ""
                raise TypeError(f"{name}: can only optimize Parameters, "
                                f"got {type(p).__name__}{hint}")
        if len({id(p) for p in params}) != len(params):
            raise ValueError(f"{name}: a parameter group contains "
                             f"the same parameter twice")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one "
                             f"parameter group")
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._validate(group)
        self.param_groups.append(group)

    def _validate(self, group: dict) -> None:
        """Check a group's hyper-parameters (subclasses extend it);
        raise ``ValueError``."""
        where = type(self).__name__
        check_range(group["lr"], where, "lr", low=0.0)
        for key in ("weight_decay", "momentum", "eps", "lr_decay",
                    "initial_accumulator_value", "alpha"):
            if key in group:
                check_range(group[key], where, key, low=0.0)

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to ``None``
        (torch's ``set_to_none=True``)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.grad = None

    def step(self) -> None:
        """One update of every parameter that has a gradient
        (``grad is None`` is skipped)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.shape != p.data.shape:
                    raise ValueError(f"{type(self).__name__}.step: gradient of shape "
                                     f"{p.grad.shape} does not match the parameter's "
                                     f"shape {p.data.shape}")
                self._update(p, p.grad, self.state.setdefault(p, {}), group)

    def _update(self, param: Parameter, grad: np.ndarray, state: dict,
                group: dict) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    def _tmp(self, param: Parameter) -> np.ndarray:
        """A work array of ``param``'s shape and dtype, allocated once and reused."""
        tmp = self._scratch.get(id(param))
        if tmp is None or tmp.shape != param.shape or tmp.dtype != param.dtype:
            tmp = self._scratch[id(param)] = np.empty_like(param.data)
        return tmp

    # -- checkpoints -------------------------------------------------------------------
    def state_dict(self) -> dict:
        """A copy of the optimizer's state in torch's layout::

            {"state": {i: {key: array or number}},
             "param_groups": [{..., "params": [i, ...]}]}

        where ``i`` numbers the parameters across all groups in order.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index))
                                for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: {k: _copied(v) for k, v in st.items()}
                 for p, st in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a :meth:`state_dict` (also one of the matching ``torch.optim``
        optimizer): hyper-parameters and per-parameter buffers; training then continues
        exactly."""
        where = f"{type(self).__name__}.load_state_dict"
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{where}: the saved state has {len(saved_groups)} "
                             f"parameter group(s), the optimizer has "
                             f"{len(self.param_groups)}")
        params = {}
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(f"{where}: a saved parameter group has "
                                 f"{len(saved['params'])} parameters, the optimizer's "
                                 f"has {len(group['params'])}")
            params.update(zip(saved["params"], group["params"]))
        self.state = {}
        for i, st in state_dict["state"].items():
            p = params[int(i)]
            self.state[p] = {k: _restore(v, p, k, where) for k, v in st.items()}
        for group, saved in zip(self.param_groups, saved_groups):
            for key, value in saved.items():
                if key != "params":
                    group[key] = copy.deepcopy(value)
            self._validate(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items())
                      if k != "params"]
        return "\n".join(lines + [")"])


def _copied(value):
    """An entry of :meth:`Optimizer.state_dict`: arrays are copied, numbers kept."""
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else value


def _restore(value, param: Parameter, key: str, where: str):
    """One saved state entry as nnlib keeps it: arrays in the parameter's dtype, the
    step counter as an int (torch saves tensors: they are converted)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if key == "step":
        return int(np.asarray(value))
    arr = np.asarray(value)
    if arr.ndim == 0:
        return arr.item()
    if arr.shape != param.shape:
        raise ValueError(f"{where}: saved '{key}' has shape {arr.shape}, the parameter "
                         f"{param.shape}")
    return arr.astype(param.dtype, copy=True)


class SGD(Optimizer):
    """Stochastic gradient descent,
    optionally with momentum (torch's form) and Nesterov.

    .. math::
        g_t &= \\nabla_\\theta L(\\theta_{t-1}) + \\lambda\\,\\theta_{t-1}\\\\
        b_t &= \\mu\\, b_{t-1} + (1-\\tau)\\, g_t \\quad (b_1 = g_1)\\\\
        \\theta_t &= \\theta_{t-1} - \\eta\\, b_t
        \\quad\\text{or, with Nesterov,}\\quad
        \\theta_t = \\theta_{t-1} - \\eta\\,(g_t + \\mu\\, b_t)

    :math:`\\mu` = ``momentum``, :math:`\\tau` = ``dampening``, :math:`\\lambda` =
    ``weight_decay``. Without momentum it is the plain step
    :math:`\\theta \\leftarrow \\theta - \\eta g`.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))

    def _validate(self, group):
        super()._validate(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero "
                             f"dampening, got momentum={group['momentum']}, "
                             f"dampening={group['dampening']}")

    def _update(self, param, grad, state, group):
        g = _with_weight_decay(grad, param.data, group["weight_decay"])
        mu = group["momentum"]
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, copy=True)
            else:
                buf *= mu
                buf += (1 - group["dampening"]) * g
            g = g + mu * buf if group["nesterov"] else buf
        param.data -= group["lr"] * g


class Adagrad(Optimizer):
    """AdaGrad: a per-coordinate step that shrinks with the sum of squared gradients.

    .. math::
        g_t &= \\nabla_\\theta L(\\theta_{t-1}) + \\lambda\\,\\theta_{t-1},\\qquad
        \\tilde\\eta_t = \\frac{\\eta}{1 + (t-1)\\,\\delta}\\\\
        G_t &= G_{t-1} + g_t^2 \\quad (G_0 = \\text{initial\\_accumulator\\_value})\\\\
        \\theta_t &= \\theta_{t-1}
        - \\tilde\\eta_t\\, \\frac{g_t}{\\sqrt{G_t} + \\varepsilon}

    :math:`\\delta` = ``lr_decay``; the square, root and division are element-wise.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        t = _step_count(state)
        g = _with_weight_decay(grad, param.data, group["weight_decay"])
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        total = state.get("sum")
        if total is None:
            total = state["sum"] = np.full_like(param.data,
                                                group["initial_accumulator_value"])
        total += g * g
        param.data -= clr * (g / (np.sqrt(total) + group["eps"]))


class RMSprop(Optimizer):
    """RMSprop: divide the step by a running RMS of the gradient.

    .. math::
        g_t &= \\nabla_\\theta L(\\theta_{t-1}) + \\lambda\\,\\theta_{t-1}\\\\
        v_t &= \\alpha\\, v_{t-1} + (1-\\alpha)\\, g_t^2\\\\
        \\bar g_t &= \\alpha\\, \\bar g_{t-1} + (1-\\alpha)\\, g_t
        \\quad \\text{(centered only)}\\\\
        d_t &= \\sqrt{v_t} + \\varepsilon
        \\quad\\text{or, centered,}\\quad
        d_t = \\sqrt{v_t - \\bar g_t^{\\,2}} + \\varepsilon\\\\
        \\theta_t &= \\theta_{t-1} - \\eta\\, g_t / d_t
        \\quad\\text{or, with momentum } \\mu:\\\\
        b_t &= \\mu b_{t-1} + g_t/d_t,\\quad \\theta_t = \\theta_{t-1} - \\eta\\, b_t

    (:math:`v_0 = \\bar g_0 = b_0 = 0`;
    note :math:`\\varepsilon` is added *outside* the root.)
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def _update(self, param, grad, state, group):
        _step_count(state)
        g = _with_weight_decay(grad, param.data, group["weight_decay"])
        alpha, tmp = group["alpha"], self._tmp(param)
        v = _zeros_state(state, "square_avg", param)
        v *= alpha                                   # v <- alpha v + (1 - alpha) g^2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - alpha
        v += tmp
        if group["centered"]:
            mean = _zeros_state(state, "grad_avg", param)
            _ema_(mean, g, alpha, tmp)
            denom = np.sqrt(v - mean * mean) + group["eps"]
        else:
            denom = np.sqrt(v) + group["eps"]
        if group["momentum"] > 0:
            buf = _zeros_state(state, "momentum_buffer", param)
            buf *= group["momentum"]
            buf += g / denom
            param.data -= group["lr"] * buf
        else:
            param.data -= group["lr"] * (g / denom)


class Adam(Optimizer):
    """Adam: momentum (first moment) + RMSprop (second moment) with bias correction.

    .. math::
        g_t &= \\nabla_\\theta L(\\theta_{t-1})
        \\;[+\\,\\lambda\\theta_{t-1}\\ \\text{(Adam, L2)}]\\\\
        m_t &= \\beta_1 m_{t-1} + (1-\\beta_1)\\, g_t, \\qquad
        v_t = \\beta_2 v_{t-1} + (1-\\beta_2)\\, g_t^2 \\qquad (m_0 = v_0 = 0)\\\\
        \\hat m_t &= \\frac{m_t}{1-\\beta_1^t}, \\qquad
        \\hat v_t = \\frac{v_t}{1-\\beta_2^t}
        \\qquad (\\text{amsgrad: } v_t \\leftarrow \\max(v_{t-1}^{\\max}, v_t))\\\\
        \\theta_t &= \\theta_{t-1}
        - \\eta\\, \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\varepsilon}

    With ``decoupled_weight_decay=True`` (that is :class:`AdamW`) the decay is not added
    to :math:`g_t`; instead
    :math:`\\theta_{t-1} \\leftarrow (1-\\eta\\lambda)\\,\\theta_{t-1}` before the
    moment update. Defaults as in torch (and in Kingma & Ba, 2015):
    ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8``.
    """

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *,
                 decoupled_weight_decay: bool = False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _validate(self, group):
        super()._validate(group)
        group["betas"] = _check_betas(group["betas"], type(self).__name__)

    def _update(self, param, grad, state, group):
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        t = _step_count(state)
        if group["decoupled_weight_decay"]:
            if wd != 0:
                param.data *= 1 - lr * wd
            g = grad
        else:
            g = _with_weight_decay(grad, param.data, wd)
        m = _zeros_state(state, "exp_avg", param)
        v = _zeros_state(state, "exp_avg_sq", param)
        tmp = self._tmp(param)
        _ema_(m, g, beta1, tmp)                      # m <- beta1 m + (1 - beta1) g
        v *= beta2                                   # v <- beta2 v + (1 - beta2) g^2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - beta2
        v += tmp
        if group["amsgrad"]:
            v_max = _zeros_state(state, "max_exp_avg_sq", param)
            np.maximum(v_max, v, out=v_max)
            v = v_max
        # theta <- theta - lr/(1 - beta1^t) * m / (sqrt(v)/sqrt(1 - beta2^t) + eps)
        np.sqrt(v, out=tmp)
        tmp /= math.sqrt(1 - beta2 ** t)
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= lr / (1 - beta1 ** t)
        param.data -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019):
    the formulas of :class:`Adam` with
    :math:`\\theta_{t-1} \\leftarrow (1-\\eta\\lambda)\\,\\theta_{t-1}` instead of
    adding :math:`\\lambda\\theta` to the gradient. Default ``weight_decay=1e-2``
    (torch's)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, decoupled_weight_decay=True)
