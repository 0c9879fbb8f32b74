"""``Parameter``, ``Module`` and ``Sequential``: the skeleton every layer builds on.

The contract mirrors ``torch.nn.Module`` with one addition that torch hides
inside autograd: an explicit ``backward``.

* ``forward(x)`` computes the output and remembers what the backward pass
  needs (``self._ctx``).
* ``backward(grad_output)`` takes :math:`\\partial L/\\partial y` (same shape as
  the output), **adds** :math:`\\partial L/\\partial \\theta` into every
  parameter's ``.grad`` and returns :math:`\\partial L/\\partial x`.
"""
from __future__ import annotations

from collections import OrderedDict

import numpy as np


class Parameter:
    """A trainable array: ``.data`` (the values) and ``.grad`` (``None`` until a backward pass).

    ``grad`` has the shape of ``data``; backward passes *accumulate* into it,
    ``zero_grad`` resets it to ``None`` (torch's default ``set_to_none=True``).
    """

    def __init__(self, data, dtype=None):
        arr = np.array(data, dtype=dtype if dtype is not None else None, copy=True)
        if not np.issubdtype(arr.dtype, np.floating):
            arr = arr.astype(np.float64)
        self.data = arr
        self.grad = None

    @property
    def shape(self):
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self) -> int:
        return self.data.size

    def numel(self) -> int:
        """Number of scalar entries (torch's name)."""
        return self.data.size

    def accumulate_grad(self, grad: np.ndarray) -> None:
        """``grad += g`` (creates ``grad`` on the first call). Raises on a shape mismatch."""
        grad = np.asarray(grad)
        if grad.shape != self.data.shape:
            raise ValueError(f"Parameter: gradient of shape {grad.shape} does not match "
                             f"the parameter's shape {self.data.shape}")
        if self.grad is None:
            self.grad = grad.astype(self.data.dtype, copy=True)
        else:
            self.grad += grad

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class Module:
    """Base class of every layer, loss and model.

    Attributes that are :class:`Parameter` or :class:`Module` instances are
    registered automatically (as in torch), which gives ``parameters()``,
    ``named_parameters()``, ``state_dict()`` and ``zero_grad()`` for free.
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_ctx", None)

    # -- registration -------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name``; ``None`` marks an absent parameter (``bias=False``)."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter: '{name}' must be a "
                            f"Parameter or None, got {type(param).__name__}")
        self.__setattr__(name, param)
        self._parameters[name] = param

    def register_buffer(self, name: str, array) -> None:
        """Register a non-trainable array that belongs to the state (e.g. BatchNorm's running mean)."""
        self.__setattr__(name, array)
        self._buffers[name] = array

    def _set_buffer(self, name: str, array) -> None:
        object.__setattr__(self, name, array)
        self._buffers[name] = array

    # -- the computation ---------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad_output):
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def _saved(self):
        """What ``forward`` stored for ``backward``; a clear error if forward has not run."""
        if self._ctx is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._ctx

    # -- traversal ----------------------------------------------------------------------
    def named_children(self):
        yield from self._modules.items()

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = ""):
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """``(name, Parameter)`` pairs in torch's order; a shared parameter is listed once (as in torch)."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, m in modules:
            for name, p in m._parameters.items():
                if p is not None and id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mname}.{name}" if mname else name), p

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = ""):
        for name, b in self._buffers.items():
            if b is not None:
                yield (f"{prefix}.{name}" if prefix else name), b
        for cname, child in self._modules.items():
            yield from child.named_buffers(f"{prefix}.{cname}" if prefix else cname)

    def num_parameters(self) -> int:
        """Total number of trainable scalars."""
        return sum(p.size for p in self.parameters())

    # -- state ---------------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to ``None``."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True):
        """Switch to training mode (Dropout drops, BatchNorm uses batch statistics)."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        """Switch to evaluation mode: ``train(False)``."""
        return self.train(False)

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of all parameters and buffers, keyed like torch (``'0.weight'``, ...)."""
        state = OrderedDict()
        for mname, m in self.named_modules():  # torch's order: each module's parameters, then its buffers
            pre = f"{mname}." if mname else ""
            for name, p in m._parameters.items():
                if p is not None:
                    state[pre + name] = p.data.copy()
            for name, b in m._buffers.items():
                if b is not None:
                    state[pre + name] = np.array(b, copy=True)
        return state

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy arrays into the parameters/buffers (accepts torch tensors too: anything ``np.asarray`` takes)."""
        own = dict(self.named_parameters())
        buffers = {name: (mod, key) for mname, mod in self.named_modules()
                   for key in mod._buffers for name in [f"{mname}.{key}" if mname else key]}
        missing = [k for k in list(own) + list(buffers) if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own and k not in buffers]
        if strict and (missing or unexpected):
            raise KeyError(f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
                           f"unexpected keys {unexpected}")
        for key, value in state_dict.items():
            arr = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
            if key in own:
                p = own[key]
                if arr.shape != p.shape:
                    raise ValueError(f"load_state_dict: '{key}' has shape {arr.shape}, "
                                     f"expected {p.shape}")
                p.data = arr.astype(p.dtype, copy=True)
            elif key in buffers:
                mod, name = buffers[key]
                old = mod._buffers[name]
                dtype = old.dtype if isinstance(old, np.ndarray) else None
                mod._set_buffer(name, np.array(arr, dtype=dtype, copy=True))
        return self

    def to(self, dtype):
        """Cast every parameter and floating buffer to ``dtype`` (e.g. ``np.float32``)."""
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            if p.grad is not None:
                p.grad = p.grad.astype(dtype)
        for m in self.modules():
            for name, b in list(m._buffers.items()):
                if isinstance(b, np.ndarray) and np.issubdtype(b.dtype, np.floating):
                    m._set_buffer(name, b.astype(dtype))
        return self

    # -- printing ------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied one after another; ``backward`` runs them in reverse order.

    ``forward``: :math:`y = f_n(\\dots f_2(f_1(x)))`.
    ``backward``: :math:`g \\leftarrow f_k.\\text{backward}(g)` for :math:`k = n, \\dots, 1`.
    """

    def __init__(self, *modules: Module):
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} is {type(m).__name__}, not a Module")
            setattr(self, str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):  # keeps the original names ('1', '2', ...) like torch
            out = Sequential()
            for name, m in list(self._modules.items())[idx]:
                setattr(out, name, m)
            return out
        return list(self._modules.values())[idx]

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def backward(self, grad_output):
        for m in reversed(list(self._modules.values())):
            grad_output = m.backward(grad_output)
        return grad_output
