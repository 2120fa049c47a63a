"""A figure as inline SVG through matplotlib's SVG backend: same figure, same bytes, small.

Deterministic: ids hashed with a fixed salt (the figure's key, unique in a report, so ids do
not collide between inline SVGs), no date or creator metadata, coordinates cut to 0.01 pt.
Text stays text (paths would triple the size): layout is measured with DejaVu Sans, which
matplotlib ships, so the bytes do not depend on the fonts installed; browsers use DejaVu Sans
where installed, else a narrower sans-serif, so labels never overflow their boxes.
"""

from __future__ import annotations

import importlib
import io
import re
import textwrap
from types import ModuleType
from typing import Any

from ...errors import MissingDependencyError
from . import draw
from .figures import Bars, Curve, Figure, Forest, SmallMultiples

FONTS = ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"]
WIDTH_IN = 7.2
HEIGHT_IN = 3.0
PANEL_IN = (3.0, 2.3)  # one small multiple
LEGEND_IN = 1.75  # a legend right of the plot
CHAR_IN = 0.068  # width of one title character at 9 pt, for wrapping
_RC: dict[str, Any] = {
    "svg.fonttype": "none",
    "text.parse_math": False,  # a "$" in a model name is text, not TeX
    "svg.id": None,
    "font.family": ["sans-serif"],
    "font.sans-serif": FONTS,
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.5,
    "path.simplify": True,
}
_PROLOG = re.compile(r"\A.*?(?=<svg)", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_LONG_DECIMALS = re.compile(r"(\d\.\d{2})\d+")
_UNREFERENCED_ID = re.compile(r' id="[A-Za-z.0-9]+_\d+"')  # figure_1, axes_1: never linked
_INDENT = re.compile(r"\n\s+")


def matplotlib() -> ModuleType:
    """matplotlib, imported on first use (the `plot` extra)."""
    try:
        return importlib.import_module("matplotlib")
    except ImportError:
        raise MissingDependencyError("matplotlib", "plot", "an HTML report's plots") from None


def title_text(title: str, width: int = 95) -> str:
    return "\n".join(textwrap.wrap(title, width)) or title


def render_svg(figure: Figure, key: str) -> str:
    """`figure` as an <svg> element to inline in HTML; `key` unique within the document."""
    mpl = matplotlib()
    from matplotlib.figure import Figure as MplFigure

    with mpl.rc_context({**_RC, "svg.hashsalt": f"infertime:{key}"}):
        if isinstance(figure, SmallMultiples):
            fig = _small_multiples(MplFigure, figure)
        else:
            fig = MplFigure(figsize=(WIDTH_IN, HEIGHT_IN))
            ax = fig.subplots()
            draw.draw(ax, figure)
            left_in = _left_in(figure)
            title = title_text(figure.title, int((WIDTH_IN - left_in - 0.15) / CHAR_IN))
            ax.set_title(title, loc="left")
            right_in = 0.25
            if isinstance(figure, Curve) and figure.y2 is not None:
                right_in = 0.95  # the second axis's ticks and label; its legend is inside
            elif ax.get_legend() is not None:
                right_in = LEGEND_IN
            _margins(fig, title.count("\n") + 1, left_in, _bottom_in(figure), right_in)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return clean(buf.getvalue(), figure.title)


def _small_multiples(new_figure: Any, figure: SmallMultiples) -> Any:
    cols = min(figure.columns, len(figure.panels))
    rows = -(-len(figure.panels) // cols)
    width, height = PANEL_IN[0] * cols + LEGEND_IN, PANEL_IN[1] * rows + 0.4
    fig = new_figure(figsize=(width, height))
    axes = fig.subplots(rows, cols, squeeze=False)
    for i, panel in enumerate(figure.panels):
        ax = axes[i // cols][i % cols]
        draw.draw(ax, panel, small=True)
        if ax.get_legend() is not None and i % cols != cols - 1:
            ax.get_legend().remove()  # one legend per row, at its end
        ax.set_title(title_text(panel.title, 45), fontsize=7, loc="left")
    for j in range(len(figure.panels), rows * cols):
        axes[j // cols][j % cols].set_visible(False)
    title = title_text(figure.title, 110)
    fig.suptitle(title, fontsize=9, x=0.01, ha="left")
    top_in = 0.6 + 0.16 * title.count("\n")
    fig.subplots_adjust(
        left=0.8 / width,
        right=1 - LEGEND_IN / width,
        bottom=0.45 / height,
        top=1 - top_in / height,
        wspace=0.5,
        hspace=0.75,
    )
    return fig


def _left_in(figure: Figure) -> float:
    """Room for the y tick labels: category names in bars and forest plots are long."""
    names: list[str] = []
    if isinstance(figure, Forest):
        names = [r.label for r in figure.rows]
    longest = max((len(n) for n in names), default=0)
    return max(0.7, min(3.0, 0.25 + 0.052 * longest))


def _bottom_in(figure: Figure) -> float:
    """Room for the x tick labels: bar names run over several lines."""
    if isinstance(figure, Bars):
        lines = max((b.label.count("\n") + 1 for b in figure.bars), default=1)
        return 0.4 + 0.13 * lines
    return 0.5


def _margins(fig: Any, title_lines: int, left_in: float, bottom_in: float, right_in: float) -> None:
    """Fixed margins in inches: a layout engine would triple the time a figure takes."""
    top_in = 0.12 + 0.17 * title_lines
    fig.subplots_adjust(
        left=left_in / WIDTH_IN,
        right=1 - right_in / WIDTH_IN,
        bottom=bottom_in / HEIGHT_IN,
        top=1 - top_in / HEIGHT_IN,
    )


def clean(svg: str, title: str) -> str:
    """The <svg> element alone (no XML prolog, no metadata), coordinates cut to 0.01 pt,
    labelled for screen readers."""
    from html import escape

    out = _PROLOG.sub("", svg, count=1)
    out = _METADATA.sub("", out, count=1)
    out = _LONG_DECIMALS.sub(r"\1", out)
    out = _UNREFERENCED_ID.sub("", out)
    out = _INDENT.sub("\n", out)
    label = escape(" ".join(title.split()), quote=True)
    return out.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1).strip()
