"""Many results in one report: each kind's combined table (sortable), latency against
throughput with its Pareto front, and one small multiple of throughput against batch per model.
Kind-free: each kind's registry entry (KindReport) gives its table and its configurations."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import cells
from .cells import Cell
from .common import configuration
from .document import Panel, Table
from .figures import Axis, Curve, Line, Mark, Point, Scatter, SmallMultiples
from .kind_report import Config, KindReport

LATENCY = Axis("latency per call (median, synchronous request)", "s")
THROUGHPUT = Axis("throughput", "items/s")


def variant(r: Any) -> str:
    """A configuration in words, without its model: 'batch 4 · fp32 · NCHW · cpu, 1 thread'."""
    s = r.settings
    return configuration(s, batch=False).removeprefix(s.model + " · ")


def pareto_front(points: Sequence[tuple[float, float]]) -> tuple[int, ...]:
    """Indices of the points no other beats on both: lower x (latency) and higher y
    (throughput); in increasing x. Ties keep the first."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -points[i][1], i))
    front = []
    best = float("-inf")
    for i in order:
        if points[i][1] > best:
            front.append(i)
            best = points[i][1]
    return tuple(front)


def pareto_panel(found: Sequence[Config]) -> Panel | None:
    if len(found) < 2:
        return None
    front = pareto_front([(c.latency_s, c.items_per_s) for c in found])
    figure = Scatter(
        "latency against throughput, every configuration; the Pareto front: none is both "
        "faster per call and higher in items/s",
        LATENCY,
        THROUGHPUT,
        tuple(Mark(c.label, c.latency_s, c.items_per_s) for c in found),
        front,
    )
    rows: list[tuple[Cell, ...]] = []
    for i in front:
        c = found[i]
        rows.append(
            (
                cells.text(c.label),
                cells.seconds(c.latency_s, c.latency_source),
                cells.items_per_s(c.items_per_s, c.items_per_s_source),
            )
        )
    table = Table(
        ("on the front", "latency", "items/s"),
        tuple(rows),
        f"{len(front)} of {len(found)} configurations",
        sortable=True,
        row_results=tuple(found[i].result for i in front),
    )
    return Panel("Pareto front", figure, (table,))


def multiples_panel(found: Sequence[Config]) -> Panel | None:
    models: dict[str, dict[str, list[Config]]] = {}
    for c in found:
        models.setdefault(c.model, {}).setdefault(
            f"#{c.result + 1} {c.variant}" if _curve_result(found, c) else c.variant, []
        ).append(c)
    if not any(len(cs) > 1 for lines in models.values() for cs in lines.values()):
        return None
    panels = []
    rows: list[tuple[Cell, ...]] = []
    index = []
    for model, lines in models.items():
        drawn = []
        for name, cs in lines.items():
            cs = sorted(cs, key=lambda c: c.batch)
            drawn.append(Line(name, tuple(Point(c.batch, c.items_per_s) for c in cs)))
            best = max(cs, key=lambda c: c.items_per_s)
            rows.append(
                (
                    cells.text(model),
                    cells.text(name),
                    cells.count(len(cs)),
                    cells.count(best.batch, best.batch_source),
                    cells.items_per_s(best.items_per_s, best.items_per_s_source),
                )
            )
            index.append(best.result)
        panels.append(Curve(model, Axis("batch size", "", log=True), THROUGHPUT, tuple(drawn)))
    figure = SmallMultiples("throughput against batch size, one panel per model", tuple(panels))
    table = Table(
        ("model", "line", "points", "best batch", "items/s"),
        tuple(rows),
        sortable=True,
        row_results=tuple(index),
    )
    return Panel("per model", figure, (table,), wide=True)


def _curve_result(found: Sequence[Config], c: Config) -> bool:
    """Points of one throughput curve form their own line (their result's number first)."""
    return sum(1 for o in found if o.result == c.result) > 1


def panels(
    results: Sequence[Any], report_of: Callable[[str], KindReport | None]
) -> tuple[Panel, ...]:
    """The overview of many results; empty when fewer than two can be set side by side.
    `report_of(kind)`: that kind's part of the report (the registry's), or None."""
    tables = []
    found: list[Config] = []
    for kind in dict.fromkeys(r.kind for r in results):
        report = report_of(kind)
        if report is None:
            continue
        members = [(i, r) for i, r in enumerate(results) if r.kind == kind]
        if report.summary is not None:
            table = report.summary(members)
            if table is not None:
                tables.append(table)
        if report.configs is not None:
            for i, r in members:
                found += report.configs(r, i)
    out = []
    if tables and len(found) >= 2:
        out.append(Panel("all configurations", tables=tuple(tables)))
    for panel in (pareto_panel(found), multiples_panel(found)):
        if panel is not None:
            out.append(panel)
    return tuple(out)
