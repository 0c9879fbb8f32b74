"""Layers with explicit forward and backward passes
(names and defaults as in ``torch.nn``).
"""
from nnlib.nn.module import (  # noqa: F401
    Module, ModuleDict, ModuleList, Parameter, Sequential)
from nnlib.nn.linear import Flatten, Identity, Linear  # noqa: F401
from nnlib.nn.residual import Residual  # noqa: F401
from nnlib.nn.activation import *  # noqa: F401,F403
from nnlib.nn.softmax import *  # noqa: F401,F403
from nnlib.nn.loss import *  # noqa: F401,F403
from nnlib.nn.dropout import *  # noqa: F401,F403
from nnlib.nn.normalization import *  # noqa: F401,F403
from nnlib.nn.pooling import *  # noqa: F401,F403
from nnlib.nn.conv import *  # noqa: F401,F403
from nnlib.nn.rnn import *  # noqa: F401,F403
from nnlib.nn.attention import *  # noqa: F401,F403
