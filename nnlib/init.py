"""Weight initialisation, mirroring ``torch.nn.init`` (names, fans, gains, defaults).

Every function fills its argument **in place** (a :class:`~nnlib.nn.Parameter`
or a numpy array) and returns it. ``fan_in``/``fan_out`` follow torch: for a
weight of shape ``(out, in, *kernel)`` they are ``in * prod(kernel)`` and
``out * prod(kernel)``.

=======================  ==========================================================
function                 distribution
=======================  ==========================================================
``xavier_uniform_``      :math:`U(-a, a)`, :math:`a = g\\sqrt{6/(n_{in}+n_{out})}`
``xavier_normal_``       :math:`N(0, \\sigma^2)`,
                         :math:`\\sigma = g\\sqrt{2/(n_{in}+n_{out})}`
``kaiming_uniform_``     :math:`U(-b, b)`, :math:`b = g\\sqrt{3/n}`,
                         :math:`n` = fan_in or fan_out
``kaiming_normal_``      :math:`N(0, \\sigma^2)`, :math:`\\sigma = g/\\sqrt{n}`
=======================  ==========================================================
"""
from __future__ import annotations

import math

import numpy as np

from nnlib._checks import check_choice
from nnlib.random import get_rng

__all__ = ["calculate_gain", "zeros_", "ones_", "constant_", "normal_", "uniform_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


def _array(tensor) -> np.ndarray:
    # a numpy array's own .data is a memoryview, so test for ndarray first
    data = tensor if isinstance(tensor, np.ndarray) else getattr(tensor, "data", None)
    if not isinstance(data, np.ndarray):
        raise TypeError(f"init: expected a Parameter or numpy array, "
                        f"got {type(tensor).__name__}")
    return data


def _fill(tensor, values):
    data = _array(tensor)
    data[...] = values
    return tensor


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain :math:`g` for a nonlinearity (torch's table).

    linear/conv/sigmoid: 1; tanh: 5/3; relu: :math:`\\sqrt 2`;
    leaky_relu(a): :math:`\\sqrt{2/(1+a^2)}` (a = 0.01 by default); selu: 3/4.
    """
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
              "conv_transpose2d", "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    data = _array(tensor)
    if data.ndim < 2:
        raise ValueError(f"init: fan in and fan out need a tensor with at least "
                         f"2 dimensions, got shape {data.shape}")
    receptive = int(np.prod(data.shape[2:])) if data.ndim > 2 else 1
    return data.shape[1] * receptive, data.shape[0] * receptive


def zeros_(tensor):
    """Fill with 0."""
    return _fill(tensor, 0.0)


def ones_(tensor):
    """Fill with 1."""
    return _fill(tensor, 1.0)


def constant_(tensor, val: float):
    """Fill with ``val``."""
    return _fill(tensor, val)


def uniform_(tensor, a: float = 0.0, b: float = 1.0, rng=None):
    """Fill with samples of :math:`U(a, b)`."""
    data = _array(tensor)
    return _fill(tensor, get_rng(rng).uniform(a, b, size=data.shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0, rng=None):
    """Fill with samples of :math:`N(\\text{mean}, \\text{std}^2)`."""
    data = _array(tensor)
    return _fill(tensor, get_rng(rng).normal(mean, std, size=data.shape))


def xavier_uniform_(tensor, gain: float = 1.0, rng=None):
    """Glorot/Xavier: :math:`U(-a, a)`, :math:`a = g\\sqrt{6/(n_{in}+n_{out})}`,
    so Var = :math:`2g^2/(n_{in}+n_{out})`."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -a, a, rng=rng)


def xavier_normal_(tensor, gain: float = 1.0, rng=None):
    """Glorot/Xavier: :math:`N(0, \\sigma^2)`,
    :math:`\\sigma = g\\sqrt{2/(n_{in}+n_{out})}`."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng=rng)


def _kaiming_std(tensor, a, mode, nonlinearity):
    check_choice(mode, ("fan_in", "fan_out"), "kaiming init", "mode")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", rng=None):
    """He/Kaiming: :math:`U(-b, b)`, :math:`b = g\\sqrt{3/n}`
    (so std = :math:`g/\\sqrt n`).

    With the defaults (leaky_relu, a=0) the gain is :math:`\\sqrt 2`, i.e. He's
    :math:`\\operatorname{Var} = 2/n_{in}` for ReLU networks.
    """
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, rng=rng)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", rng=None):
    """He/Kaiming: :math:`N(0, \\sigma^2)`, :math:`\\sigma = g/\\sqrt n`."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), rng=rng)
