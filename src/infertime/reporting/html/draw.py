"""Each figure type drawn on one matplotlib Axes, in display units (svg.py makes the file)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import downsample
from .figures import (
    Axis,
    Band,
    Bars,
    Curve,
    Distribution,
    Forest,
    Level,
    Panel,
    Scatter,
    TimeSeries,
)
from .palette import BAND_ALPHA, band_colour, colour, level_style
from .scales import axis_label, display_unit

Ax = Any  # matplotlib.axes.Axes; kept loose so that this module imports without matplotlib


def _scaled(values: Iterable[float | None], divisor: float) -> list[float]:
    return [math.nan if v is None else v / divisor for v in values]


def _axis(ax: Ax, which: str, axis: Axis, values: Iterable[float | None]) -> float:
    """Label an axis with its display unit and scale; the divisor to apply to its values."""
    divisor, unit_text = display_unit(axis.unit, values)
    label = axis_label(axis, unit_text)
    if which == "x":
        ax.set_xlabel(label)
        if axis.log:
            ax.set_xscale("log", base=2 if axis.unit == "" else 10)
    else:
        ax.set_ylabel(label)
        if axis.log:
            ax.set_yscale("log", base=2 if axis.unit == "" else 10)
    if axis.log:
        plain_log_ticks(ax.xaxis if which == "x" else ax.yaxis)
    else:
        ax.ticklabel_format(axis=which, style="plain", useOffset=False)
    return divisor


def plain_log_ticks(axis: Any) -> None:
    """1, 2, 4 or 20, 50, 100 on a log axis, not 2^0 or 2×10^1."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    axis.set_minor_formatter(
        FuncFormatter(lambda v, _pos: f"{v:g}" if f"{v:.0e}"[0] in "25" else "")
    )


def _levels(ax: Ax, levels: Sequence[Level], divisor: float, vertical: bool) -> None:
    for level in levels:
        draw = ax.axvline if vertical else ax.axhline
        draw(level.value / divisor, label=level.label, **level_style(level.role))


def _bands(ax: Ax, bands: Sequence[Band], divisor: float, vertical: bool) -> None:
    for band in bands:
        draw = ax.axvspan if vertical else ax.axhspan
        draw(
            band.low / divisor,
            band.high / divisor,
            color=band_colour(band.role),
            alpha=BAND_ALPHA.get(band.role, 0.15),
            linewidth=0,
            label=band.label,
        )


def _legend(ax: Ax, small: bool, axes: Sequence[Ax] = (), inside: bool = False) -> None:
    handles, labels = ax.get_legend_handles_labels()
    for other in axes:
        h, lab = other.get_legend_handles_labels()
        handles, labels = handles + h, labels + lab
    if handles and inside:  # a second y axis takes the room right of the plot
        ax.legend(handles, labels, fontsize=6 if small else 7, loc="best", framealpha=0.85)
    elif handles:
        ax.legend(
            handles,
            labels,
            fontsize=6 if small else 7,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            frameon=False,
        )


def time_series(ax: Ax, f: TimeSeries, small: bool = False) -> None:
    ys = [v for t in f.traces for v in t.y] + [lv.value for lv in f.levels]
    dy = _axis(ax, "y", f.y, ys)
    dx = _axis(ax, "x", f.x, [v for t in f.traces for v in t.x])
    _bands(ax, f.bands, dy, vertical=False)
    data = 0  # data traces take the palette in turn; other roles keep their colour
    for t in f.traces:
        x, y = downsample.minmax(t.x, t.y)
        c = colour(t.role, data)
        data += t.role == "data"
        if t.points:
            ax.plot(_scaled(x, dx), _scaled(y, dy), "o", markersize=2.5, color=c, label=t.label)
        else:
            ax.plot(_scaled(x, dx), _scaled(y, dy), "-", linewidth=0.6, color=c, label=t.label)
    _levels(ax, f.levels, dy, vertical=False)
    _levels(ax, f.events, dx, vertical=True)
    if f.x.unit == "" and not f.x.log:  # sample, round and process numbers are whole
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _legend(ax, small)


def distribution(ax: Ax, f: Distribution, small: bool = False) -> None:
    import numpy as np

    values = np.asarray(f.samples, dtype=float)
    dx = _axis(ax, "x", f.x, f.samples)
    scaled = values / dx
    lo, hi = float(scaled.min()), float(scaled.max())
    if f.ecdf:
        x, y = downsample.ecdf(scaled.tolist())
        ax.step(x, y, where="post", linewidth=0.9, color=colour("data"), label="share ≤ value")
        ax.set_ylabel("share of samples")
    else:
        wide = lo > 0 and hi / lo > 4  # a long tail: log-spaced bins keep the body readable
        if wide:
            edges = np.geomspace(lo, hi, 61)
            ax.set_xscale("log")
            plain_log_ticks(ax.xaxis)
        else:
            edges = np.histogram_bin_edges(scaled, bins="auto")
            if len(edges) > 81:
                edges = np.linspace(lo, hi, 81)
        counts, edges = np.histogram(scaled, bins=edges)
        ax.stairs(counts, edges, fill=True, color=colour("other"), label="samples")
        ax.set_ylabel("samples")
    _levels(ax, f.marks, dx, vertical=True)
    _legend(ax, small)


def curve(ax: Ax, f: Curve, small: bool = False) -> None:
    left = [p for line in f.lines if not line.right for p in line.points]
    right = [p for line in f.lines if line.right for p in line.points]
    dy = _axis(ax, "y", f.y, [p.y for p in left] + [lv.value for lv in f.levels])
    dx = _axis(ax, "x", f.x, [p.x for line in f.lines for p in line.points])
    twin = None
    dy2 = 1.0
    if f.y2 is not None:
        twin = ax.twinx()
        dy2 = _axis(twin, "y", f.y2, [p.y for p in right])
    for i, line in enumerate(f.lines):
        target, d = (twin, dy2) if line.right and twin is not None else (ax, dy)
        pts = sorted(line.points, key=lambda p: p.x)
        xs = _scaled((p.x for p in pts), dx)
        ys = _scaled((p.y for p in pts), d)
        c = colour(line.role, i)
        style = "s--" if line.right else "o-"
        target.plot(xs, ys, style, markersize=3, linewidth=1.0, color=c, label=line.label)
        bars = [(x, y, p) for x, y, p in zip(xs, ys, pts, strict=True) if p.low is not None]
        if bars:
            lows = [y - (p.low or 0) / d for _, y, p in bars]
            highs = [(p.high or 0) / d - y for _, y, p in bars]
            target.errorbar(
                [b[0] for b in bars],
                [b[1] for b in bars],
                yerr=[lows, highs],
                fmt="none",
                ecolor=c,
                elinewidth=0.8,
                capsize=2,
            )
    right_x = max((p.x for line in f.lines for p in line.points), default=0.0)
    for m in f.marks:
        target, d = (twin, dy2) if m.right and twin is not None else (ax, dy)
        at_edge = m.x >= right_x
        target.plot(
            [m.x / dx], [m.y / d], "D", markersize=5, color=colour(m.role), markerfacecolor="none"
        )
        target.annotate(
            m.label,
            (m.x / dx, m.y / d),
            textcoords="offset points",
            xytext=(-4, 6) if at_edge else (4, 6),
            ha="right" if at_edge else "left",
            fontsize=6 if small else 7,
            color=colour(m.role),
        )
    _levels(ax, f.levels, dy, vertical=False)
    if twin is not None and f.y2 is not None and f.y2.unit == "bytes" and not f.y2.log:
        # Memory is an amount: from zero, so that 0.1 % more does not look like double.
        twin.set_ylim(bottom=0)
    _legend(ax, small, [twin] if twin is not None else [], inside=twin is not None)


def bars(ax: Ax, f: Bars, small: bool = False) -> None:
    values = [b.value for b in f.bars] + [b.high for b in f.bars if b.high is not None]
    dy = _axis(ax, "y", f.y, values + [lv.value for lv in f.levels])
    xs = list(range(len(f.bars)))
    heights = [b.value / dy for b in f.bars]
    ax.bar(xs, heights, color=[colour(b.role) for b in f.bars], width=0.6)
    for x, b in zip(xs, f.bars, strict=True):
        if b.low is not None and b.high is not None:
            ax.errorbar(
                [x],
                [b.value / dy],
                yerr=[[(b.value - b.low) / dy], [(b.high - b.value) / dy]],
                fmt="none",
                ecolor="#333333",
                elinewidth=0.9,
                capsize=4,
            )
    dots = [(x, b.dot / dy) for x, b in zip(xs, f.bars, strict=True) if b.dot is not None]
    if dots:
        ax.plot(
            [d[0] for d in dots],
            [d[1] for d in dots],
            "D",
            markersize=4,
            color=colour("median"),
            label=f.dot_label or None,
        )
    ax.set_xticks(xs, [b.label for b in f.bars], fontsize=6 if small else 7)
    # Room for at least three bars: one or two would otherwise stretch across the plot.
    spare = max(0, 3 - len(xs)) / 2
    ax.set_xlim(-0.5 - spare, len(xs) - 0.5 + spare)
    _levels(ax, f.levels, dy, vertical=False)
    _legend(ax, small)


def forest(ax: Ax, f: Forest, small: bool = False) -> None:
    values = [r.value for r in f.rows] + [lv.value for lv in f.levels]
    dx = _axis(ax, "x", f.x, values)
    _bands(ax, f.bands, dx, vertical=True)
    ys = list(range(len(f.rows)))[::-1]  # first row at the top
    for y, r in zip(ys, f.rows, strict=True):
        c = colour(r.role)
        if r.low is not None and r.high is not None:
            ax.errorbar(
                [r.value / dx],
                [y],
                xerr=[[(r.value - r.low) / dx], [(r.high - r.value) / dx]],
                fmt="o",
                color=c,
                markersize=4,
                elinewidth=1.2,
                capsize=3,
            )
        else:
            ax.plot([r.value / dx], [y], "o", color=c, markersize=4, markerfacecolor="none")
    ax.set_yticks(ys, [r.label for r in f.rows], fontsize=6 if small else 7)
    ax.set_ylim(-0.7, len(f.rows) - 0.3)
    _levels(ax, f.levels, dx, vertical=True)
    _legend(ax, small)


def scatter(ax: Ax, f: Scatter, small: bool = False) -> None:
    dx = _axis(ax, "x", f.x, [p.x for p in f.points])
    dy = _axis(ax, "y", f.y, [p.y for p in f.points])
    on_front = set(f.front)
    rest = [p for i, p in enumerate(f.points) if i not in on_front]
    if rest:
        ax.plot(
            _scaled((p.x for p in rest), dx),
            _scaled((p.y for p in rest), dy),
            "o",
            markersize=3.5,
            color=colour("other"),
            label="configuration",
        )
    if f.front:
        front = [f.points[i] for i in f.front]
        ax.plot(
            _scaled((p.x for p in front), dx),
            _scaled((p.y for p in front), dy),
            "o-",
            markersize=4.5,
            linewidth=1.0,
            color=colour("bad"),
            label="Pareto front",
        )
        for p in front:
            ax.annotate(
                p.label,
                (p.x / dx, p.y / dy),
                textcoords="offset points",
                xytext=(4, 4),
                fontsize=5 if small else 6,
                color="#333333",
            )
    _legend(ax, small)


DRAW: dict[type[Any], Callable[[Ax, Any, bool], None]] = {
    TimeSeries: time_series,
    Distribution: distribution,
    Curve: curve,
    Bars: bars,
    Forest: forest,
    Scatter: scatter,
}


def draw(ax: Ax, figure: Panel, small: bool = False) -> None:
    DRAW[type(figure)](ax, figure, small)
