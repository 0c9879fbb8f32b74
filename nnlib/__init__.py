"""nnlib — учебная библиотека нейронных сетей на numpy
с явными прямым и обратным проходами.

Mirrors PyTorch's names, argument names, defaults, layouts and ``state_dict`` keys,
so every piece can be compared with its torch twin (see ``tests/``). nnlib itself
never imports torch.
"""
from nnlib import (  # noqa: F401
    autograd, bench, data, datasets, display, functional, gradcheck, init, jacobian, nn,
    optim, random, summary, utils)
from nnlib.random import manual_seed  # noqa: F401
from nnlib.modes import (  # noqa: F401
    enable_grad, get_default_dtype, is_grad_enabled, no_grad, set_default_dtype)

__version__ = "0.1.0"
