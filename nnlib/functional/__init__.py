"""Stateless forward/backward pairs: each formula of the library lives here, once.

Convention: ``f(input, ...)`` computes the output;
``f_backward(grad_output, input, ...)`` takes
:math:`\\partial L/\\partial \\text{output}` plus the same arguments as ``f`` and
returns :math:`\\partial L/\\partial \\text{input}` (a tuple when ``f`` has several
differentiable arguments). The layers in :mod:`nnlib.nn` only store inputs and call
these.
"""
from nnlib.functional.linear import *  # noqa: F401,F403
from nnlib.functional.activations import *  # noqa: F401,F403
from nnlib.functional.softmax import *  # noqa: F401,F403
from nnlib.functional.losses import *  # noqa: F401,F403
from nnlib.functional.dropout import *  # noqa: F401,F403
from nnlib.functional.normalization import *  # noqa: F401,F403
from nnlib.functional.pooling import *  # noqa: F401,F403
from nnlib.functional.conv import *  # noqa: F401,F403
from nnlib.functional.recurrent import *  # noqa: F401,F403
from nnlib.functional.attention import *  # noqa: F401,F403
