"""Many results in one report: the combined table (sortable), latency against throughput with
its Pareto front, and one small multiple of throughput against batch per model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ....latency.result import LatencyResult
from ....throughput.result import ThroughputResult
from .. import cells
from ..cells import Cell
from ..document import Panel, Table
from ..figures import Axis, Curve, Line, Mark, Point, Scatter, SmallMultiples
from ..sources import pointer as p
from .common import configuration

LATENCY = Axis("latency per call (median, synchronous request)", "s")
THROUGHPUT = Axis("throughput", "items/s")


@dataclass(frozen=True)
class Config:
    """One configuration's point: its latency and throughput, and where each is in its file."""

    result: int
    label: str
    model: str
    variant: str  # everything but the model and the batch
    batch: int
    batch_source: str
    latency_s: float
    latency_source: str
    items_per_s: float
    items_per_s_source: str


def _variant(r: Any) -> str:
    s = r.settings
    return configuration(s, batch=False).removeprefix(s.model + " · ")


def configs(results: Sequence[Any]) -> list[Config]:
    """Every configuration with both a latency and a throughput: a latency result is one,
    each measured point of a throughput curve is one."""
    out = []
    for i, r in enumerate(results):
        if isinstance(r, LatencyResult):
            b = r.settings.batch_size
            out.append(
                Config(
                    i,
                    f"#{i + 1} {r.settings.model} b{b}",
                    r.settings.model,
                    _variant(r),
                    b,
                    p("settings", "workload", "batch_size"),
                    r.latency.summary.median,
                    p("statistics", "latency", "median_s"),
                    r.throughput_items_per_s,
                    p("throughput", "items_per_s"),
                )
            )
        elif isinstance(r, ThroughputResult):
            for j, q in enumerate(r.points):
                if not q.ok or q.latency is None:
                    continue
                out.append(
                    Config(
                        i,
                        f"#{i + 1} {r.settings.model} b{q.batch}",
                        r.settings.model,
                        _variant(r),
                        q.batch,
                        p("points", j, "batch"),
                        q.latency.summary.median,
                        f"median({p('points', j, 'latency', 'samples_s')})",
                        q.items_per_s,
                        p("throughput_by_batch", j, "items_per_s"),
                    )
                )
    return out


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


def latency_table(results: Sequence[Any]) -> Table | None:
    rows = []
    index = []
    for i, r in enumerate(results):
        if not isinstance(r, LatencyResult):
            continue
        s = r.latency.summary
        p99 = next(t for t in s.tails if t.label == "p99")
        rows.append(
            (
                cells.count(i + 1),
                cells.text(r.settings.model, p("settings", "workload", "model")),
                cells.count(r.settings.batch_size, p("settings", "workload", "batch_size")),
                cells.text(_variant(r)),
                cells.seconds(s.median, p("statistics", "latency", "median_s")),
                cells.fraction(s.median_ci_rel, p("statistics", "latency", "median_ci_rel")),
                cells.seconds(p99.value, p("statistics", "latency", "percentiles_s", "p99"))
                if p99.value is not None
                else cells.text("withheld"),
                cells.seconds(
                    r.device_time.summary.median, p("statistics", "device_time", "median_s")
                ),
                cells.items_per_s(r.throughput_items_per_s, p("throughput", "items_per_s")),
            )
        )
        index.append(i)
    if not rows:
        return None
    return Table(
        ("#", "model", "batch", "configuration", "latency", "±", "p99", "device time", "items/s"),
        tuple(rows),
        "every latency result (click a column to sort)",
        sortable=True,
        row_results=tuple(index),
    )


def throughput_table(results: Sequence[Any]) -> Table | None:
    rows = []
    index = []
    for i, r in enumerate(results):
        if not isinstance(r, ThroughputResult):
            continue
        peak, knee = r.point(r.peak_batch), r.point(r.knee_batch)
        rows.append(
            (
                cells.count(i + 1),
                cells.text(r.settings.model, p("settings", "workload", "model")),
                cells.text(_variant(r)),
                cells.count(r.peak_batch, p("peak_batch")),
                cells.items_per_s(peak.items_per_s, p("choices", "peak", "items_per_s")),
                cells.count(r.knee_batch, p("knee_batch")),
                cells.items_per_s(knee.items_per_s, p("choices", "knee", "items_per_s")),
                cells.count(r.max_fit_batch, p("search", "max_fit")),
            )
        )
        index.append(i)
    if not rows:
        return None
    return Table(
        (
            "#",
            "model",
            "configuration",
            "peak batch",
            "peak items/s",
            "knee batch",
            "knee items/s",
            "max-fit",
        ),
        tuple(rows),
        "every throughput result (click a column to sort)",
        sortable=True,
        row_results=tuple(index),
    )


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


def panels(results: Sequence[Any]) -> tuple[Panel, ...]:
    """The overview of many results; empty when fewer than two can be set side by side."""
    tables = [t for t in (latency_table(results), throughput_table(results)) if t is not None]
    found = configs(results)
    out = []
    if tables and len(found) >= 2:
        out.append(Panel("all configurations", tables=tuple(tables)))
    for panel in (pareto_panel(found), multiples_panel(found)):
        if panel is not None:
            out.append(panel)
    return tuple(out)
