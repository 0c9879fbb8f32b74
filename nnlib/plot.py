"""The book's plotting style and small helpers shared by the chapters (matplotlib only).

``use_style()`` is called by :func:`nnlib.notebook.setup`; the helpers return the
``Axes`` they drew on so a chapter can add labels in Russian.

Readable text: the site shows a figure at its natural size (``width_in * dpi`` pixels)
or shrunk to the text column (688 px at a 1280 px window), so a font of ``s`` points
appears as ``s * dpi / 72 * min(1, 688 / (width_in * dpi))`` pixels. A figure at most
:data:`MAX_WIDTH` inches wide is shown almost 1:1 (100 dpi: 1 pt = 1.39 px), and the
smallest text (tick labels, legend: 10 pt) is about 13.5 px, well above 10 px;
:func:`subplots` keeps every figure within that width. A figure made wider by hand
(``figsize``) shows 10 pt text at ``10 * 688 / (72 * width_in)`` px: still 10 px up to
688 / 72 ≈ 9.5 inches.
"""
from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

#: Colours used consistently across the book (colour-blind friendly "tab10" subset).
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e",
          "#9467bd", "#8c564b", "#17becf", "#7f7f7f"]

#: Widest figure (inches) :func:`subplots` makes: 690 px at 100 dpi, the text column.
MAX_WIDTH = 6.9

STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "figure.constrained_layout.use": True,   # labels and legends stay inside the figure
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.title_fontsize": 10,
    "figure.titlesize": 12,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "axes.prop_cycle": mpl.cycler(color=COLORS),
    "svg.hashsalt": "nnlib",          # deterministic SVG ids
    "image.cmap": "viridis",
}


def use_style() -> None:
    """Apply the book's matplotlib style (idempotent)."""
    mpl.rcParams.update(STYLE)


def figure_size(nrows: int = 1, ncols: int = 1,
                width: float = 6.4, height: float = 4.0) -> tuple[float, float]:
    """Figure size for panels of ``width x height`` inches, shrunk (keeping each panel's
    aspect ratio) to at most :data:`MAX_WIDTH` wide, so its text reads the same on the
    site as in a one-panel figure."""
    total_w, total_h = width * ncols, height * nrows
    scale = min(1.0, MAX_WIDTH / total_w)
    return (round(total_w * scale, 3), round(total_h * scale, 3))


def subplots(nrows: int = 1, ncols: int = 1, width: float = 6.4, height: float = 4.0,
             **kwargs):
    """``plt.subplots`` with panels of ``width x height`` inches, the whole figure at
    most :data:`MAX_WIDTH` inches wide (see :func:`figure_size`)."""
    return plt.subplots(nrows, ncols, figsize=figure_size(nrows, ncols, width, height),
                        layout="constrained", **kwargs)


def contour(f, xlim, ylim, ax=None, levels: int = 30, n: int = 200, log: bool = False):
    """Contour lines of a scalar function ``f(X, Y)`` (vectorised over grids)."""
    if ax is None:
        _, ax = subplots()
    xs = np.linspace(*xlim, n)
    ys = np.linspace(*ylim, n)
    X, Y = np.meshgrid(xs, ys)
    Z = f(X, Y)
    if log:
        Z = np.log10(Z - Z.min() + 1e-3)
    ax.contour(X, Y, Z, levels=levels, cmap="Greys", linewidths=0.8, alpha=0.7)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    return ax


def path(points, ax, label: str | None = None, color=None, marker: str = "o",
         markersize: float = 2.5):
    """Draw an optimisation trajectory ``points`` (shape (T, 2)) with start and end."""
    pts = np.asarray(points)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"plot.path: expected points of shape (T, 2), got {pts.shape}")
    line, = ax.plot(pts[:, 0], pts[:, 1], marker=marker, markersize=markersize,
                    linewidth=1.2, label=label, color=color)
    ax.plot(*pts[0], "s", color=line.get_color(), markersize=6)
    ax.plot(*pts[-1], "*", color=line.get_color(), markersize=10)
    return ax
