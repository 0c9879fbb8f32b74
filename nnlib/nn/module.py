"""``Parameter``, ``Module`` and the containers: the skeleton every layer builds on.

The contract mirrors ``torch.nn.Module`` with one addition that torch hides inside
autograd: an explicit ``backward``.

* ``forward(*inputs)`` computes the output and **saves** what its backward will need
  with ``self.save_for_backward(...)`` — once per call, on a stack.
* ``backward(*grad_outputs)`` takes one gradient per output
  (:math:`\\partial L/\\partial y`, the output's shape; ``None`` for an output that did
  not reach the loss), **pops** the state of the latest forward call that has not been
  backpropagated yet, **adds** :math:`\\partial L/\\partial \\theta` into every
  parameter's ``.grad`` and returns :math:`\\partial L/\\partial x` (a tuple when the
  forward took several arrays).

A module called k times before backward (a shared layer, an RNN cell unrolled over time)
therefore takes k backward calls in reverse order, and its parameter gradients are the
sum over the calls — exactly what torch's autograd computes.
"""
from __future__ import annotations

import inspect
from collections import OrderedDict, namedtuple

import numpy as np

from nnlib.modes import float_dtype, get_default_dtype, is_grad_enabled

__all__ = ["Parameter", "Module", "Sequential", "ModuleList", "ModuleDict"]


class Parameter:
    """A trainable array: ``.data`` (the values) and ``.grad``
    (``None`` until a backward pass).

    ``grad`` has the shape and dtype of ``data``; backward passes *accumulate* into it,
    ``zero_grad`` resets it to ``None`` (torch's default ``set_to_none=True``).
    Only floating dtypes are allowed; ``dtype=None`` keeps a floating input's dtype and
    turns anything else into the default dtype.
    """

    def __init__(self, data, dtype=None):
        arr = np.array(data, copy=True)
        if dtype is not None:
            arr = arr.astype(float_dtype(dtype, "Parameter"))
        elif not np.issubdtype(arr.dtype, np.floating):
            arr = arr.astype(get_default_dtype())
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
        """``grad += g`` (creates ``grad`` on the first call).
        Raises on a shape mismatch."""
        grad = np.asarray(grad)
        if grad.shape != self.data.shape:
            raise ValueError(f"Parameter: gradient of shape {grad.shape} does not "
                             f"match the parameter's shape {self.data.shape}")
        if self.grad is None:
            self.grad = grad.astype(self.data.dtype, copy=True)
        else:
            self.grad += grad

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of every layer, loss and model.

    Attributes that are :class:`Parameter` or :class:`Module` instances are registered
    automatically (as in torch); arrays become part of the state through
    :meth:`register_buffer`. That gives ``parameters()``, ``buffers()``,
    ``state_dict()``, ``zero_grad()``, ``train()``/``eval()`` and ``to(dtype)``
    for free.
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_saved", [])
        object.__setattr__(self, "training", True)

    # -- registration ------------------------------------------------------------------
    def __setattr__(self, name, value):
        where = type(self).__name__
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{where}: call super().__init__() before assigning "
                               f"attributes")
        if isinstance(value, Parameter):
            self._forget(name)
            self._parameters[name] = value
        elif name in self._parameters:
            if value is not None:
                raise TypeError(f"{where}: cannot assign {type(value).__name__} as "
                                f"parameter '{name}' (Parameter or None expected)")
            self._parameters[name] = None
        elif isinstance(value, Module):
            self._forget(name)
            self._modules[name] = value
        elif name in self._modules:
            if value is not None:
                raise TypeError(f"{where}: cannot assign {type(value).__name__} as "
                                f"child module '{name}' (Module or None expected)")
            self._modules[name] = None
        elif name in self._buffers:           # a buffer stays a buffer when reassigned
            if value is not None and not isinstance(value, np.ndarray):
                raise TypeError(f"{where}: cannot assign {type(value).__name__} as "
                                f"buffer '{name}' (numpy array or None expected)")
            self._buffers[name] = value
        object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` under ``name``; ``None`` marks an absent parameter
        (``bias=False``)."""
        where = f"{type(self).__name__}.register_parameter"
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{where}: '{name}' must be a Parameter or None, "
                            f"got {type(param).__name__}")
        self._forget(name)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """Register a non-trainable array that belongs to the module's state.

        E.g. BatchNorm's ``running_mean``. ``None`` marks an absent buffer (skipped by
        ``state_dict``); ``persistent=False`` keeps the buffer out of ``state_dict``.
        Assigning ``self.<name> = new_array`` later keeps it registered.
        """
        where = f"{type(self).__name__}.register_buffer"
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"{where}: buffer name must be a non-empty string "
                           f"without '.', got {name!r}")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"{where}: attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, np.ndarray):
            raise TypeError(f"{where}: '{name}' must be a numpy array or None, "
                            f"got {type(tensor).__name__}")
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent_buffers.add(name)
        object.__setattr__(self, name, tensor)

    # -- the computation ---------------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, *grad_outputs):
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def save_for_backward(self, *values) -> None:
        """Remember what this forward call's backward needs (pushed on a stack).

        Nothing is saved inside ``with nnlib.no_grad():``.
        """
        if is_grad_enabled():
            self._saved.append(values)

    def pop_saved(self) -> tuple:
        """The values saved by the latest forward call not yet backpropagated (LIFO)."""
        if not self._saved:
            raise RuntimeError(
                f"{type(self).__name__}.backward: no forward call is waiting for its "
                f"backward (backward was called before forward, more often than "
                f"forward, or after a forward inside nnlib.no_grad())")
        return self._saved.pop()

    @property
    def pending_backward(self) -> int:
        """How many forward calls still wait for their backward."""
        return len(self._saved)

    # -- traversal ---------------------------------------------------------------------
    def named_children(self):
        for name, m in self._modules.items():
            if m is not None:
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = ""):
        """``(name, module)`` for this module and every submodule, each listed once."""
        seen = set()

        def walk(module, pre):
            if id(module) in seen:
                return
            seen.add(id(module))
            yield pre, module
            for name, child in module.named_children():
                yield from walk(child, f"{pre}.{name}" if pre else name)

        yield from walk(self, prefix)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def _named_members(self, registry: str, prefix: str, recurse: bool):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, m in modules:
            for name, value in getattr(m, registry).items():
                if value is not None and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{mname}.{name}" if mname else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True):
        """``(name, Parameter)`` pairs in torch's order;
        a shared parameter is listed once."""
        yield from self._named_members("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True):
        """``(name, array)`` pairs of the buffers (``None`` ones skipped),
        torch's order."""
        yield from self._named_members("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def num_parameters(self) -> int:
        """Total number of trainable scalars."""
        return sum(p.size for p in self.parameters())

    # -- state -------------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to ``None``."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True):
        """Switch to training mode (Dropout drops, BatchNorm uses batch statistics)."""
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: mode must be a bool, "
                             f"got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        """Switch to evaluation mode: ``train(False)``."""
        return self.train(False)

    def _state_items(self, prefix: str = ""):
        """``(key, module, local_name, kind)`` for every state_dict entry, in torch's
        order: each module's parameters, then its persistent buffers, then its children
        (a module used twice appears under both names, as in torch)."""
        for name, p in self._parameters.items():
            if p is not None:
                yield prefix + name, self, name, "parameter"
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                yield prefix + name, self, name, "buffer"
        for cname, child in self.named_children():
            yield from child._state_items(f"{prefix}{cname}.")

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of all parameters and persistent buffers, keyed like torch
        (``'0.weight'``)."""
        state = OrderedDict()
        for key, m, name, kind in self._state_items():
            value = (m._parameters[name].data if kind == "parameter"
                     else m._buffers[name])
            state[key] = np.array(value, copy=True)
        return state

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy arrays (or torch tensors) into the parameters and buffers,
        as torch does.

        Values are cast to the dtype of the parameter/buffer they replace. With
        ``strict=True`` missing or unexpected keys raise ``RuntimeError``; a shape
        mismatch always does. Returns ``(missing_keys, unexpected_keys)``.
        """
        own = {key: (m, name, kind) for key, m, name, kind in self._state_items()}
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing))
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected))
        updates = []
        for key, (m, name, kind) in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            arr = (value.detach().cpu().numpy() if hasattr(value, "detach")
                   else np.asarray(value))
            old = m._parameters[name].data if kind == "parameter" else m._buffers[name]
            if arr.shape != old.shape:
                errors.append(f"size mismatch for {key}: copying an array with shape "
                              f"{arr.shape} from the checkpoint, the shape in the "
                              f"current model is {old.shape}")
            updates.append((m, name, kind, arr.astype(old.dtype, copy=True)))
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for "
                               f"{type(self).__name__}:\n\t" + "\n\t".join(errors))
        for m, name, kind, arr in updates:
            if kind == "parameter":
                m._parameters[name].data = arr
            else:
                setattr(m, name, arr)
        return _IncompatibleKeys(missing, unexpected)

    def to(self, dtype):
        """Cast every parameter (and its grad) and every floating buffer to ``dtype``.

        Only floating dtypes are accepted (``np.float32``, ``np.float64``).
        """
        dt = float_dtype(dtype, f"{type(self).__name__}.to")
        for p in self.parameters():
            p.data = p.data.astype(dt)
            if p.grad is not None:
                p.grad = p.grad.astype(dt)
        for m in self.modules():
            for name, b in list(m._buffers.items()):
                if isinstance(b, np.ndarray) and np.issubdtype(b.dtype, np.floating):
                    setattr(m, name, b.astype(dt))
        return self

    # -- printing ----------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ")
                 for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules applied one after another; ``backward`` runs them in reverse order.

    ``forward``: :math:`y = f_n(\\dots f_2(f_1(x)))`.
    ``backward``: :math:`g \\leftarrow f_k.\\text{backward}(g)`
    for :math:`k = n, \\dots, 1`.
    ``backward(g, input_grad=False)`` skips :math:`\\partial L/\\partial x` of the first
    layer where it can (e.g. a first ``Linear`` skips one matrix product), as torch does
    for data that does not require a gradient; it then returns ``None``.
    """

    def __init__(self, *modules: Module):
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: argument {i} is {type(m).__name__}, "
                                f"not a Module")
            setattr(self, str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            # keeps the original names ('1', '2', ...) like torch
            out = Sequential()
            for name, m in list(self._modules.items())[idx]:
                setattr(out, name, m)
            return out
        return list(self._modules.values())[idx]

    def append(self, module: Module) -> "Sequential":
        """Add ``module`` at the end (named by its position, as in torch)."""
        if not isinstance(module, Module):
            raise TypeError(f"Sequential.append: expected a Module, "
                            f"got {type(module).__name__}")
        setattr(self, str(len(self)), module)
        return self

    def forward(self, input):
        for m in self._modules.values():
            input = m(input)
        return input

    def backward(self, grad_output, input_grad: bool = True):
        modules = list(self._modules.values())
        for m in reversed(modules[1:]):
            grad_output = m.backward(grad_output)
        if not modules:
            return grad_output
        first = modules[0]
        if input_grad:
            return first.backward(grad_output)
        return first.backward(grad_output, **_no_input_grad(first))


def _no_input_grad(module: Module) -> dict:
    """``{'input_grad': False}`` if ``module.backward`` accepts it (``Linear``, a nested
    ``Sequential``), else ``{}``: layers that cannot skip it just compute it."""
    params = inspect.signature(module.backward).parameters
    return {"input_grad": False} if "input_grad" in params else {}


class ModuleList(Module):
    """A list of modules, registered under ``'0'``, ``'1'``, ... (torch's names).

    It has no ``forward``: the owning module decides how to call its members.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _check(self, module, where):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList.{where}: expected a Module, "
                            f"got {type(module).__name__}")
        return module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ModuleList(list(self._modules.values())[idx])
        return list(self._modules.values())[idx]

    def __setitem__(self, idx: int, module: Module) -> None:
        name = list(self._modules)[idx]
        setattr(self, name, self._check(module, "__setitem__"))

    def append(self, module: Module) -> "ModuleList":
        setattr(self, str(len(self)), self._check(module, "append"))
        return self

    def extend(self, modules) -> "ModuleList":
        for m in modules:
            self.append(m)
        return self


class ModuleDict(Module):
    """An ordered dict of modules, registered under their keys (torch's names)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(f"ModuleDict: keys must be non-empty strings without '.', "
                           f"got {key!r}")
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: expected a Module for key {key!r}, "
                            f"got {type(module).__name__}")
        setattr(self, key, module)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        items = modules.items() if hasattr(modules, "items") else modules
        for key, module in items:
            self[key] = module
