"""The book's plot style: readable text on the site and deterministic files."""
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nnlib import plot  # noqa: E402

COLUMN_PX = 688          # the text column at a 1280 px window (tests/site/test_browser.py)


def displayed_px(points, fig):
    """How tall `points`-sized text looks on the site: the image is shown at its natural size or
    shrunk to the column."""
    width_px = fig.get_figwidth() * fig.dpi
    return points * fig.dpi / 72 * min(1.0, COLUMN_PX / width_px)


def _smallest_font(fig):
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
    return min(sizes)


def test_smallest_text_is_at_least_10px():
    plot.use_style()
    for nrows, ncols, width, height in [(1, 1, 6.4, 4.0), (1, 2, 5.2, 4.2), (1, 3, 5.0, 4.0), (2, 2, 5.0, 3.5)]:
        fig, axes = plot.subplots(nrows, ncols, width=width, height=height)
        for ax in np.ravel(axes):
            ax.plot([0, 1], [0, 1], label="линия")
            ax.set(xlabel="x", ylabel="y", title="заголовок")
            ax.legend()
        fig.canvas.draw()
        assert fig.get_figwidth() <= plot.MAX_WIDTH + 1e-9
        px = displayed_px(_smallest_font(fig), fig)
        assert px >= 10, f"{nrows}x{ncols} panels: the smallest text shows as {px:.1f} px"
        plt.close(fig)


def test_default_figure_is_readable():
    plot.use_style()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="линия")
    ax.legend()
    fig.canvas.draw()
    assert displayed_px(_smallest_font(fig), fig) >= 10
    plt.close(fig)


def test_figure_size_keeps_panel_aspect():
    w, h = plot.figure_size(1, 2, width=5.2, height=4.2)
    assert w == plot.MAX_WIDTH and abs(h / (w / 2) - 4.2 / 5.2) < 1e-3
    assert plot.figure_size(1, 1, 6.4, 4.0) == (6.4, 4.0)


def test_figures_are_deterministic():
    """The same figure gives the same bytes (PNG, the notebooks' format; SVG ids are salted by
    ``svg.hashsalt``, its date left out)."""
    plot.use_style()

    def render(fmt):
        fig, ax = plot.subplots()
        ax.plot(np.arange(5), np.arange(5) ** 2, label="квадрат")
        ax.legend()
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
        plt.close(fig)
        return buf.getvalue()

    assert matplotlib.rcParams["svg.hashsalt"]
    for fmt in ("png", "svg"):
        assert render(fmt) == render(fmt), fmt
