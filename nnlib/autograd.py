"""A scalar computational graph with reverse-mode differentiation (chapter 3).

Every arithmetic operation on :class:`Value` objects creates a new node that remembers
its inputs (``_prev``), the operation (``_op``) and a small function ``_backward`` that
knows the *local* derivatives of that one operation. ``backward()`` orders the graph
topologically and walks it from the output to the inputs, applying the chain rule node
by node:

.. math::

    \\bar v_{\\text{input}} \\mathrel{+}= \\bar v_{\\text{output}} \\cdot
    \\frac{\\partial v_{\\text{output}}}{\\partial v_{\\text{input}}},
    \\qquad \\bar v = \\frac{\\partial L}{\\partial v}.

The ``+=`` matters: a node used twice (``a * a + a``) receives a contribution from each
use — the multivariable chain rule sums over all paths.

``draw_graph(root)`` (or ``root.draw()``) draws the graph with matplotlib only: values
as boxes (label, data, grad), operations as circles, arrows from inputs to outputs,
columns by depth.
"""
from __future__ import annotations

import math
import numbers

__all__ = ["Value", "draw_graph"]


class Value:
    """A scalar that remembers how it was computed.

    ``data`` — the number; ``grad`` — :math:`\\partial L/\\partial\\,\\text{self}` after
    ``L.backward()`` (0.0 before); ``label`` — an optional name used by
    :func:`draw_graph`.
    """

    __slots__ = ("data", "grad", "label", "_prev", "_op", "_backward")

    def __init__(self, data, label: str = "", _prev=(), _op: str = ""):
        if isinstance(data, Value):
            raise TypeError("Value: data must be a number, got a Value")
        if not isinstance(data, numbers.Real):
            raise TypeError("Value: data must be a real number, got "
                            f"{type(data).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._prev = tuple(_prev)
        self._op = _op
        self._backward = _noop

    # ----------------------------------------------------------------- helpers
    @staticmethod
    def _wrap(other) -> "Value":
        if isinstance(other, Value):
            return other
        if isinstance(other, numbers.Real):
            return Value(other)
        raise TypeError(f"Value: cannot combine with {type(other).__name__}")

    def __repr__(self) -> str:
        name = f"label={self.label!r}, " if self.label else ""
        return f"Value({name}data={self.data:.4g}, grad={self.grad:.4g})"

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other):
        other = Value._wrap(other)
        out = Value(self.data + other.data, _prev=(self, other), _op="+")

        def _backward():                      # d(a+b)/da = d(a+b)/db = 1
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = Value._wrap(other)
        out = Value(self.data * other.data, _prev=(self, other), _op="*")

        def _backward():                      # d(ab)/da = b, d(ab)/db = a
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, exponent):
        if not isinstance(exponent, numbers.Real) or isinstance(exponent, Value):
            raise TypeError("Value.__pow__: exponent must be a number, got "
                            f"{type(exponent).__name__}")
        exponent = float(exponent)
        out = Value(self.data ** exponent, _prev=(self,), _op=f"^{exponent:g}")

        def _backward():                      # d(a^n)/da = n a^(n-1)
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = _backward
        return out

    def __neg__(self):
        out = Value(-self.data, _prev=(self,), _op="neg")

        def _backward():                      # d(-a)/da = -1
            self.grad -= out.grad
        out._backward = _backward
        return out

    def __sub__(self, other):
        other = Value._wrap(other)
        out = Value(self.data - other.data, _prev=(self, other), _op="-")

        def _backward():                      # d(a-b)/da = 1, d(a-b)/db = -1
            self.grad += out.grad
            other.grad -= out.grad
        out._backward = _backward
        return out

    def __truediv__(self, other):
        other = Value._wrap(other)
        out = Value(self.data / other.data, _prev=(self, other), _op="/")

        def _backward():                      # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            self.grad += out.grad / other.data
            other.grad -= out.grad * self.data / (other.data * other.data)
        out._backward = _backward
        return out

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return Value._wrap(other) - self

    def __rtruediv__(self, other):
        return Value._wrap(other) / self

    # ----------------------------------------------------------------- functions
    def _unary(self, value: float, local_grad: float, op: str) -> "Value":
        out = Value(value, _prev=(self,), _op=op)

        def _backward():
            self.grad += local_grad * out.grad
        out._backward = _backward
        return out

    def exp(self):
        """:math:`e^a`; derivative :math:`e^a`."""
        e = math.exp(self.data)
        return self._unary(e, e, "exp")

    def log(self):
        """:math:`\\ln a` (a > 0); derivative :math:`1/a`."""
        if self.data <= 0:
            raise ValueError(f"Value.log: argument must be positive, got {self.data}")
        return self._unary(math.log(self.data), 1.0 / self.data, "log")

    def tanh(self):
        """:math:`\\tanh a`; derivative :math:`1 - \\tanh^2 a`."""
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t * t, "tanh")

    def sigmoid(self):
        """:math:`\\sigma(a) = 1/(1+e^{-a})` (overflow-free); derivative
        :math:`\\sigma(1-\\sigma)`."""
        a = self.data
        s = 1.0 / (1.0 + math.exp(-a)) if a >= 0 else math.exp(a) / (1.0 + math.exp(a))
        return self._unary(s, s * (1.0 - s), "σ")

    def relu(self):
        """:math:`\\max(0, a)`; derivative :math:`[a > 0]` (0 at the kink, as in
        torch)."""
        return self._unary(max(0.0, self.data), 1.0 if self.data > 0 else 0.0, "ReLU")

    # ---------------------------------------------------------------- the backward pass
    def topological_order(self) -> list:
        """All nodes the value depends on, each after its inputs (iterative DFS,
        deterministic)."""
        order, seen = [], set()
        stack = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for child in reversed(node._prev):
                if id(child) not in seen:
                    stack.append((child, False))
        return order

    def backward(self) -> None:
        """Reverse-mode differentiation from this node.

        Sets :math:`\\partial L/\\partial L = 1` and runs every node's local chain rule
        in reverse topological order, so a node is processed only after all its users
        have added their contributions. As in torch, the gradients of the **leaves**
        (inputs, parameters) accumulate over calls (call :meth:`zero_grad` in between),
        while intermediate nodes are recomputed from zero on each call.
        """
        order = self.topological_order()
        for node in order:
            if node._prev:
                node.grad = 0.0
        self.grad = 1.0 if self._prev else self.grad + 1.0
        for node in reversed(order):
            node._backward()

    def zero_grad(self) -> None:
        """Set ``grad = 0`` in every node of this value's graph."""
        for node in self.topological_order():
            node.grad = 0.0

    def draw(self, ax=None, **kwargs):
        """Shortcut for :func:`draw_graph` ``(self, ax)``."""
        return draw_graph(self, ax=ax, **kwargs)


def _noop():
    return None


_OP_NAMES = {"*": "×", "+": "+", "-": "−", "/": "÷", "neg": "−x"}


def _layout(root: Value):
    """Columns and rows for the drawing (deterministic).

    Columns: an operation sits one column right of its rightmost input, its result one
    further; a leaf sits just left of the first operation that uses it. Rows are
    assigned from the output back to the inputs: the inputs of an operation are spread
    around its row (first input on top), a node used several times goes to the mean of
    those positions, and nodes of one column keep at least one row between them.
    """
    order = root.topological_order()
    index = {id(n): i for i, n in enumerate(order)}
    users = {id(n): [] for n in order}
    for n in order:
        for c in dict.fromkeys(n._prev):
            users[id(c)].append(n)
    col = {}
    for n in order:
        col[id(n)] = max(col[id(c)] for c in n._prev) + 2 if n._prev else 0
    for n in order:
        if not n._prev and users[id(n)]:
            col[id(n)] = min(col[id(u)] for u in users[id(n)]) - 2
    shift = min(col.values())
    items = []
    for n in order:
        items.append(("value", n, col[id(n)] - shift))
        if n._prev:
            items.append(("op", n, col[id(n)] - 1 - shift))
    ncols = max(c for _, _, c in items) + 1

    row = {("value", id(root)): 0.0}
    for c in range(ncols - 1, -1, -1):
        column = [it for it in items if it[2] == c]
        targets = []
        for kind, n, _ in column:
            if kind == "op":
                t = [row[("value", id(n))]]
            else:
                t = []
                for u in users[id(n)]:
                    args = list(dict.fromkeys(u._prev))
                    k = args.index(n)
                    t.append(row[("op", id(u))] + k - (len(args) - 1) / 2)
                if not t:
                    t = [row.get(("value", id(n)), 0.0)]
            targets.append((sum(t) / len(t), index[id(n)], kind, n))
        targets.sort(key=lambda t: (t[0], t[1]))
        ys = []
        for t, *_ in targets:
            ys.append(t if not ys else max(t, ys[-1] + 1.0))
        offset = sum(t[0] for t in targets) / len(targets) - sum(ys) / len(ys)
        for (t, _, kind, n), y in zip(targets, ys):
            row[(kind, id(n))] = y + offset
    return items, row, ncols


def draw_graph(root: Value, ax=None, fmt: str = "{:.4f}", show_grad: bool = True,
               fontsize: float = 8.0):
    """Draw the computational graph of ``root`` with matplotlib; returns the ``Axes``.

    Boxes: values (label, ``data``, ``grad``); circles: operations; arrows: data flow,
    left to right. The layout is deterministic (see :func:`_layout`). Geometry is in
    inches and follows from the text: each box is as wide as its longest line at
    ``fontsize`` points, so a new figure is exactly as large as the graph needs and its
    labels keep their size in points. At the book's 100 dpi, 8 pt is 11 px; a graph of
    six value columns (a neuron with a sigmoid and a squared loss, ``fmt="{:.3f}"``)
    stays under 7 inches, the width of the text column, so the page shows it unscaled.
    """
    import matplotlib.pyplot as plt
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
    from matplotlib.textpath import TextToPath

    items, row, ncols = _layout(root)
    font = FontProperties(family="DejaVu Sans", size=fontsize)
    bold = FontProperties(family="DejaVu Sans", size=fontsize, weight="bold")
    op_size = fontsize * 1.25
    op_font = FontProperties(family="DejaVu Sans", size=op_size)
    measure = TextToPath()

    def text_width(text, prop):                      # inches
        return measure.get_text_width_height_descent(text, prop, ismath=False)[0] / 72

    def box_lines(n):
        lines = [(n.label, bold, "#111111")] if n.label else []
        lines.append(("data " + fmt.format(n.data), font, "#111111"))
        if show_grad:
            lines.append(("grad " + fmt.format(n.grad), font, "#b03a2e"))
        return lines

    pad, gap, arrow = 0.04, 0.02, 0.09  # inches: text padding, box margin, arrow
    line_h = 1.3 * fontsize / 72
    box_w = max(text_width(t, p) for kind, n, _ in items if kind == "value"
                for t, p, _ in box_lines(n)) + 2 * pad
    max_lines = max(len(box_lines(n)) for kind, n, _ in items if kind == "value")
    box_h = max_lines * line_h + 2 * pad
    symbols = [_OP_NAMES.get(n._op, n._op) for kind, n, _ in items if kind == "op"]
    radius = max([0.14] + [text_width(s, op_font) / 2 + 0.04 for s in symbols])
    val_w, op_w, dy = box_w + 2 * gap, 2 * radius + 2 * arrow, box_h + 0.16
    xs, x = [], 0.0
    for c in range(ncols):
        w = val_w if c % 2 == 0 else op_w
        xs.append(x + w / 2)
        x += w
    width = x
    pos = {}
    for kind, n, c in items:
        pos[(kind, id(n))] = (xs[c], -row[(kind, id(n))] * dy)
    ys = [p[1] for p in pos.values()]
    y_lo, y_hi = min(ys) - box_h / 2 - 0.04, max(ys) + box_h / 2 + 0.04
    if ax is None:
        _, ax = plt.subplots(figsize=(round(width + 0.08, 2), round(y_hi - y_lo, 2)))
        ax.set_position([0.04 / (width + 0.08), 0, width / (width + 0.08), 1])

    value_style = dict(boxstyle="round,pad=0,rounding_size=0.05", linewidth=1.2)
    for kind, n, c in items:
        px, py = pos[(kind, id(n))]
        if kind == "value":
            leaf = not n._prev
            face = "#e8f1fa" if leaf else ("#fff4e0" if n is root else "#f4f4f4")
            ax.add_patch(FancyBboxPatch((px - box_w / 2, py - box_h / 2), box_w, box_h,
                                        facecolor=face, edgecolor="#33526e",
                                        **value_style))
            lines = box_lines(n)
            top = py + len(lines) * line_h / 2
            for k, (text, prop, color) in enumerate(lines):
                ax.text(px, top - line_h * (k + 0.5), text, ha="center", va="center",
                        fontproperties=prop, color=color)
        else:
            ax.add_patch(Circle((px, py), radius, facecolor="#ffffff",
                                edgecolor="#7a4f9a", linewidth=1.4))
            ax.text(px, py, _OP_NAMES.get(n._op, n._op), ha="center", va="center",
                    fontproperties=op_font, color="#4b2a66")

    def edge(src, dst, src_kind, dst_kind, rad=0.0):
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        x0 += box_w / 2 if src_kind == "value" else radius
        x1 -= box_w / 2 if dst_kind == "value" else radius
        ax.add_patch(FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>",
                                     mutation_scale=9, linewidth=1.0, color="#555555",
                                     shrinkA=1, shrinkB=1,
                                     connectionstyle=f"arc3,rad={rad}"))

    for kind, n, c in items:
        if kind == "op":
            rads = ([0.0] if len(set(map(id, n._prev))) == len(n._prev)
                    else [0.25, -0.25])
            for k, child in enumerate(n._prev):  # a node used twice: two curved arrows
                edge(("value", id(child)), ("op", id(n)), "value", "op",
                     rads[k % len(rads)])
            edge(("op", id(n)), ("value", id(n)), "op", "value")

    ax.set_xlim(0, width)
    ax.set_ylim(y_lo, y_hi)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
