"""A throughput result as report panels: items/s against batch with CIs and the chosen batches
marked; latency and memory against batch on their own axes; the choices in numbers."""

from __future__ import annotations

from ....engine.curve import CurvePoint
from ....throughput.render import describe, finding_lines, marks
from ....throughput.result import ThroughputResult
from .. import cells
from ..cells import Cell
from ..document import Panel, Table
from ..figures import Axis, Curve, Figure, Level, Line, Mark, Point
from ..sources import pointer as p

BATCH = Axis("batch size", "", log=True)


def title(r: ThroughputResult) -> str:
    return describe(r)


def lead(r: ThroughputResult) -> tuple[str, ...]:
    return tuple(finding_lines(r))


def _memory(point: CurvePoint) -> int | None:
    return point.memory.peak_reserved_bytes if point.memory else None


def curve_panel(r: ThroughputResult) -> Panel:
    measured = [(i, q) for i, q in enumerate(r.points) if q.measured]
    pts = []
    for _, q in measured:
        ci = q.items_per_s_ci
        pts.append(Point(q.batch, q.items_per_s, ci[0] if ci else None, ci[1] if ci else None))
    chosen = []
    for _, q in measured:
        words = marks(r, q.batch) if q.ok else "dip: not used"
        if words:
            chosen.append(Mark(words, q.batch, q.items_per_s, role="bad" if not q.ok else "median"))
    failed = [q.batch for q in r.points if not q.measured]
    notes = [f"search: {r.search.message}"]
    if failed:
        notes.append(f"out of memory at batch {', '.join(map(str, failed))}: not drawn")
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
        if not q.measured:
            rows.append(
                (
                    cells.count(q.batch, p("points", i, "batch")),
                    cells.text(q.status, p("points", i, "status")),
                    *(cells.text("") for _ in range(4)),
                )
            )
            continue
        ci = q.items_per_s_ci
        by = p("throughput_by_batch", i)
        rows.append(
            (
                cells.count(q.batch, p("points", i, "batch")),
                cells.text(q.status, p("points", i, "status")),
                cells.items_per_s(q.items_per_s, by + "/items_per_s"),
                cells.items_per_s(ci[0] if ci else None, by + "/items_per_s_ci/0"),
                cells.items_per_s(ci[1] if ci else None, by + "/items_per_s_ci/1"),
                cells.text(marks(r, q.batch) if q.ok else "dip: not used"),
            )
        )
    table = Table(
        ("batch", "status", "items/s", "CI low", "CI high", "choice"),
        tuple(rows),
        "every point of the curve",
        sortable=True,
    )
    return Panel("throughput", figure, (table,), tuple(notes))


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
    return tuple(out)


def figures(r: ThroughputResult) -> tuple[Figure, ...]:
    return tuple(panel.figure for panel in panels(r) if panel.figure is not None)
