"""A throughput result in the HTML report (the registry's `report` and `figures`): items/s
against batch with CIs, the chosen batches, dips and unsteady points marked; latency and memory
against batch on their own axes; the choices in numbers; its row and points in the overview."""

from __future__ import annotations

from collections.abc import Sequence

from ..engine.curve import CurvePoint
from ..reporting.html import cells
from ..reporting.html.cells import Cell
from ..reporting.html.document import Panel, Table
from ..reporting.html.figures import Axis, Curve, Figure, Level, Line, Mark, Point
from ..reporting.html.kind_report import Config, KindReport, figures_of
from ..reporting.html.overview import variant
from ..reporting.html.probes import probes_panel
from ..reporting.html.sources import pointer as p
from .render import choice_cell, describe, finding_lines
from .result import ThroughputResult

BATCH = Axis("batch size", "", log=True)


def title(r: ThroughputResult) -> str:
    return describe(r)


def lead(r: ThroughputResult) -> tuple[str, ...]:
    return tuple(finding_lines(r))


def _memory(point: CurvePoint) -> int | None:
    return point.memory.peak_reserved_bytes if point.memory else None


def curve_panel(r: ThroughputResult) -> Panel:
    """Items/s against batch with CI bars; the choices marked, and the points not to trust
    (a dip, left out of the choices; a warm-up that never settled)."""
    measured = [(i, q) for i, q in enumerate(r.points) if q.measured]
    pts = []
    for _, q in measured:
        ci = q.items_per_s_ci
        pts.append(Point(q.batch, q.items_per_s, ci[0] if ci else None, ci[1] if ci else None))
    chosen = []
    for _, q in measured:
        words = choice_cell(r, q)
        if words:
            role = "median" if q.ok and q.warmup_steady is not False else "bad"
            chosen.append(Mark(words, q.batch, q.items_per_s, role=role))
    failed = [q.batch for q in r.points if not q.measured]
    unsteady = [q.batch for _, q in measured if q.warmup_steady is False]
    notes = [f"search: {r.search.message}"]
    if failed:
        notes.append(f"out of memory at batch {', '.join(map(str, failed))}: not drawn")
    if unsteady:
        notes.append(
            f"unsteady: the warm-up of batch {', '.join(map(str, unsteady))} never settled, so "
            "its samples may still be drifting"
        )
    figure = Curve(
        f"throughput against batch size: batch / median device time per call, CI bars — "
        f"{describe(r)}",
        BATCH,
        Axis("throughput", "items/s"),
        (Line("items/s", tuple(pts)),),
        marks=tuple(chosen),
    )
    rows: list[tuple[Cell, ...]] = []
    for i, q in enumerate(r.points):
        by = p("throughput_by_batch", i)
        if not q.measured:
            rows.append(
                (
                    cells.count(q.batch, p("points", i, "batch")),
                    *(cells.text("") for _ in range(4)),
                    cells.text(q.status, p("points", i, "status")),
                )
            )
            continue
        ci = q.items_per_s_ci
        rows.append(
            (
                cells.count(q.batch, p("points", i, "batch")),
                cells.items_per_s(q.items_per_s, by + "/items_per_s", unit=False),
                cells.items_per_s(ci[0] if ci else None, by + "/items_per_s_ci/0", unit=False),
                cells.items_per_s(ci[1] if ci else None, by + "/items_per_s_ci/1", unit=False),
                cells.text(STEADY[q.warmup_steady], by + "/steady"),
                cells.text(choice_cell(r, q))
                if q.status == "ok"
                else cells.text(q.status, p("points", i, "status")),
            )
        )
    table = Table(
        ("batch", "items/s", "CI low", "CI high", "steady", "choice"),
        tuple(rows),
        "every point of the curve (choice: also dip, oom: left out of the choices)",
        sortable=True,
        row_classes=tuple(_row_class(q) for q in r.points),
    )
    return Panel("throughput", figure, (table,), tuple(notes))


# How a point's steadiness reads in a table: `steady` as the file writes it, in words.
STEADY = {True: "true", False: "false", None: "—"}


def _row_class(q: CurvePoint) -> str:
    return "warning" if not q.ok or q.warmup_steady is False else ""


def cost_panel(r: ThroughputResult) -> Panel:
    """What a batch costs: the latency of one call and the memory it holds."""
    measured = [(i, q) for i, q in enumerate(r.points) if q.measured]
    lat = []
    mem = []
    rows: list[tuple[Cell, ...]] = []
    for i, q in measured:
        assert q.latency is not None and q.device_time is not None
        s = q.latency.summary
        ci = s.median_ci
        lat.append(Point(q.batch, s.median, ci[0] if ci else None, ci[1] if ci else None))
        if _memory(q) is not None:
            mem.append(Point(q.batch, float(_memory(q) or 0)))
        samples = p("points", i, "latency", "samples_s")
        rows.append(
            (
                cells.count(q.batch, p("points", i, "batch")),
                cells.seconds(s.median, f"median({samples})"),
                cells.seconds(ci[0] if ci else None, f"ci_low({samples})"),
                cells.seconds(ci[1] if ci else None, f"ci_high({samples})"),
                cells.seconds(
                    q.device_time.summary.median,
                    f"median({p('points', i, 'device_time', 'samples_s')})",
                ),
                cells.size(_memory(q), p("points", i, "memory", "peak_reserved_bytes")),
            )
        )
    memory_words = "process peak RSS" if r.settings.device == "cpu" else "peak reserved by torch"
    levels: tuple[Level, ...] = ()
    notes = []
    highest = max((pt.high or pt.y for pt in lat), default=0.0)
    if r.budget is not None and r.budget.budget_s <= 3 * highest:
        levels = (Level(f"latency budget ({r.budget.stat})", r.budget.budget_s, "limit"),)
    elif r.budget is not None:  # far above every point: drawn, it would flatten the curve
        notes.append(f"the latency budget, {r.budget.budget_s * 1e3:.4g} ms, is above the plot")
    lines = [Line("latency per call (median, CI)", tuple(lat))]
    if mem:
        lines.append(Line(f"memory ({memory_words})", tuple(mem), right=True, role="bad"))
    figure = Curve(
        f"latency of one synchronized call and memory against batch size — {describe(r)}",
        BATCH,
        Axis("latency per call", "s"),
        tuple(lines),
        y2=Axis(f"memory, {memory_words}", "bytes") if mem else None,
        levels=levels,
    )
    table = Table(
        ("batch", "latency", "CI low", "CI high", "device time", "memory"),
        tuple(rows),
        "latency and device time per call (medians), memory",
        sortable=True,
    )
    return Panel("latency and memory", figure, (table,), tuple(notes))


def choices_panel(r: ThroughputResult) -> Panel:
    def row(name: str, batch: int | None, source: str, key: str) -> tuple[Cell, ...]:
        ok = [q for q in r.points if q.batch == batch and q.ok]
        return (
            cells.text(name),
            cells.count(batch, source),
            cells.items_per_s(ok[0].items_per_s if ok else None, p("choices", key, "items_per_s")),
        )

    rows = [
        row("peak", r.peak_batch, p("peak_batch"), "peak"),
        row(f"knee ({r.policy.knee_fraction:.0%} of peak)", r.knee_batch, p("knee_batch"), "knee"),
        row("max-fit", r.max_fit_batch, p("search", "max_fit"), "max_fit"),
    ]
    notes = []
    if r.budget is not None:
        b = r.budget
        rows.append(
            row(
                f"budget: {b.stat} ≤ {b.budget_s * 1e3:.4g} ms",
                b.batch,
                p("budget", "batch"),
                "budget",
            )
        )
        notes.append(f"budget: {b.message}")
    return Panel(
        "choices", tables=(Table(("choice", "batch", "items/s"), tuple(rows)),), notes=tuple(notes)
    )


def panels(r: ThroughputResult, compact: bool = False) -> tuple[Panel, ...]:
    out = [curve_panel(r)]
    if not compact:
        out.append(cost_panel(r))
    out.append(choices_panel(r))
    if not compact:
        probes = probes_panel(r)
        if probes is not None:
            out.append(probes)
    return tuple(out)


def figures(r: ThroughputResult) -> tuple[Figure, ...]:
    """The data series of a throughput result's plots (the kind registry's `figures`)."""
    return figures_of(panels(r))


def configs(r: ThroughputResult, i: int) -> list[Config]:
    """Each usable point of the curve is one configuration in the overview: its latency of
    one synchronized call and its items/s."""
    out = []
    for j, q in enumerate(r.points):
        if not q.ok or q.latency is None:
            continue
        out.append(
            Config(
                i,
                f"#{i + 1} {r.settings.model} b{q.batch}",
                r.settings.model,
                variant(r),
                q.batch,
                p("points", j, "batch"),
                q.latency.summary.median,
                f"median({p('points', j, 'latency', 'samples_s')})",
                q.items_per_s,
                p("throughput_by_batch", j, "items_per_s"),
            )
        )
    return out


def summary(members: Sequence[tuple[int, ThroughputResult]]) -> Table | None:
    """Every throughput result of a report in one sortable table: its choices."""
    rows = []
    index = []
    for i, r in members:
        peak, knee = r.point(r.peak_batch), r.point(r.knee_batch)
        rows.append(
            (
                cells.count(i + 1),
                cells.text(r.settings.model, p("settings", "workload", "model")),
                cells.text(variant(r)),
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


REPORT = KindReport("Throughput", title, lead, panels, summary, configs)
