"""Tables of results for the chapters: real Markdown tables, not padded text.

``table(rows, headers)`` returns an object that Jupyter, Colab and the book's site all
render as a table (a ``text/markdown`` output); its plain-text form is the same
Markdown, so nbval compares it exactly. Numbers are formatted here, once, so a stored
output never depends on the last digits of a float::

    >>> table([["MSE", 0.25], ["MAE", 0.5]], ["потеря", "значение"], digits=3)
"""
from __future__ import annotations

import math
from numbers import Integral, Real

__all__ = ["Table", "table", "fmt"]


def fmt(value, digits: int = 4) -> str:
    """One cell: integers as they are, floats with ``digits`` places after the point
    (``-0`` printed as ``0``; tiny or huge values in e-notation), ``None`` as a dash,
    anything else via ``str``."""
    if value is None:
        return "—"
    if isinstance(value, bool) or isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        if v != 0 and (abs(v) < 10 ** (-digits) or abs(v) >= 1e6):
            return f"{v:.{max(digits - 1, 1)}e}"
        text = f"{v:.{digits}f}"
        return "0" if float(text) == 0 else text
    return str(value).replace("|", "\\|")


class Table:
    """A Markdown table; ``_repr_markdown_`` for notebooks, ``str``/``repr`` give the
    same text."""

    def __init__(self, rows, headers, digits: int = 4, align=None):
        headers = [fmt(h) for h in headers]
        rows = [list(r) for r in rows]
        for i, r in enumerate(rows):
            if len(r) != len(headers):
                raise ValueError(f"table: row {i} has {len(r)} cells, "
                                 f"expected {len(headers)} (one per header)")
        align = align or ["l"] + ["r"] * (len(headers) - 1)
        if len(align) != len(headers) or any(a not in "lrc" for a in align):
            raise ValueError(f"table: align must give one of 'l', 'r', 'c' per column, "
                             f"got {align!r}")
        rule = {"l": ":--", "r": "--:", "c": ":-:"}
        lines = ["| " + " | ".join(headers) + " |",
                 "|" + "|".join(rule[a] for a in align) + "|"]
        lines += ["| " + " | ".join(fmt(v, digits) for v in r) + " |" for r in rows]
        self.text = "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


def table(rows, headers, digits: int = 4, align=None) -> Table:
    """Rows (lists of cells) under ``headers`` as a Markdown table; floats rounded
    to ``digits``.

    ``align``: one of ``'l'``, ``'r'``, ``'c'`` per column
    (default: first left, others right).
    Display it as the last expression of a cell (or with ``IPython.display.display``).
    """
    return Table(rows, headers, digits, align)
