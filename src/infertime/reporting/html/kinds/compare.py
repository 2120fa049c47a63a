"""A comparison as report panels: a forest plot of each time ratio with its CI against the
±precision band and the gate, the per-round (or per-process) ratios, and the configurations."""

from __future__ import annotations

from ....comparison.render import FIGURE_WORDS, how, letter
from ....comparison.result import CompareResult
from ....records import FIGURE_LABELS
from .. import cells
from ..cells import Cell
from ..document import Panel, Table
from ..figures import Axis, Band, Figure, Forest, Interval, Level, TimeSeries, Trace
from ..sources import pointer as p
from .common import configuration

RATIO = Axis("time ratio to A (above 1: slower)", "×")


def title(r: CompareResult) -> str:
    return f"{FIGURE_WORDS.get(r.figure, r.figure)} · {how(r)} · {r.settings.device}"


def lead(r: CompareResult) -> tuple[str, ...]:
    return tuple(r.verdict(i) for i in range(1, len(r.arms)))


def forest_panel(r: CompareResult) -> Panel:
    ratios = r.ratios()
    rows_f = []
    rows_t: list[tuple[Cell, ...]] = [
        (
            cells.text("A"),
            cells.text(r.baseline.name, p("arms", 0, "name")),
            cells.seconds(r.value(0), p("figures_s", r.baseline.name)),
            cells.text("baseline"),
            *(cells.text("") for _ in range(4)),
        )
    ]
    for i, x in enumerate(ratios, start=1):
        arm = r.arms[i]
        rows_f.append(
            Interval(
                f"{letter(i)} {arm.name}",
                x.value,
                x.ci[0] if x.ci else None,
                x.ci[1] if x.ci else None,
            )
        )
        base = p("ratios", i - 1)
        rows_t.append(
            (
                cells.text(letter(i)),
                cells.text(arm.name, p("arms", i, "name")),
                cells.seconds(r.value(i), p("figures_s", arm.name)),
                cells.ratio(x.value, base + "/time_ratio"),
                cells.ratio(x.ci[0] if x.ci else None, base + "/time_ratio_ci/0"),
                cells.ratio(x.ci[1] if x.ci else None, base + "/time_ratio_ci/1"),
                cells.count(x.n, base + "/n"),
                cells.text(r.verdict(i), base + "/verdict"),
            )
        )
    precision = r.policy.precision
    levels = [Level("A (no difference)", 1.0, "median")]
    gate = r.policy.fail_if_slower
    if gate is not None:
        levels.append(Level(f"gate: slower by {gate:.1%}", 1 + gate, "limit"))
    figure = Forest(
        f"{FIGURE_LABELS.get(r.figure, r.figure)}: time ratio to A with its "
        f"{round(r.policy.confidence * 100)} % CI — {how(r)}",
        RATIO,
        tuple(rows_f),
        (
            Band(
                f"±{precision:.1%} (precision asked)",
                1 - precision,
                1 + precision,
                role="reference",
            ),
        ),
        tuple(levels),
    )
    table = Table(
        (
            "",
            "configuration",
            r.figure.replace("_", " "),
            "ratio",
            "CI low",
            "CI high",
            "n",
            "verdict",
        ),
        tuple(rows_t),
        f"method: {ratios[0].method}" if ratios else "",
    )
    notes = []
    if gate is not None:
        notes.append(f"gate: {'FAILED' if r.gate_failed else 'passed'}")
    if r.stop is not None:
        notes.append(f"stopped: {r.stop.message}")
    return Panel("ratios", figure, (table,), tuple(notes))


def rounds_panel(r: CompareResult) -> Panel | None:
    """Each round's (or process's) ratio to the baseline, in order: drift shows here."""
    base = r.baseline.group_medians
    if len(base) < 2:
        return None
    group = "round" if r.mode == "interleaved" else "process"
    traces = []
    levels = [Level("no difference", 1.0, "median")]
    rows: list[tuple[Cell, ...]] = []
    for i in range(1, len(r.arms)):
        ratios = [o / b for b, o in zip(base, r.arms[i].group_medians, strict=True)]
        label = f"{letter(i)} / A"
        traces.append(
            Trace(
                label,
                tuple(range(1, len(ratios) + 1)),
                tuple(ratios),
                role="data",
                points=len(ratios) <= 60,
            )
        )
        src = f"ratios({p('arms', 0, 'groups')},{p('arms', i, 'groups')})"
        rows.append(
            (
                cells.text(label),
                cells.count(len(ratios), f"len({p('arms', i, 'groups')})"),
                cells.ratio(min(ratios), f"min({src})"),
                cells.ratio(max(ratios), f"max({src})"),
            )
        )
    figure = TimeSeries(
        f"time ratio to A in each {group}, in order — {how(r)}",
        Axis(f"{group} number"),
        RATIO,
        tuple(traces),
        levels=tuple(levels),
    )
    return Panel(
        f"per {group}", figure, (Table(("ratio", f"{group}s", "lowest", "highest"), tuple(rows)),)
    )


def arms_panel(r: CompareResult) -> Panel:
    rows = []
    for i, arm in enumerate(r.arms):
        rows.append(
            (
                cells.text(letter(i)),
                cells.text(configuration(arm.settings)),
                cells.count(sum(len(g) for g in arm.groups), f"count({p('arms', i, 'groups')})"),
                cells.count(arm.calls_per_sample, p("arms", i, "calls_per_sample")),
                cells.text(arm.source or "—"),
            )
        )
    return Panel(
        "configurations",
        tables=(Table(("", "configuration", "samples", "calls/sample", "file"), tuple(rows)),),
    )


def panels(r: CompareResult, compact: bool = False) -> tuple[Panel, ...]:
    out = [forest_panel(r)]
    rounds = rounds_panel(r)
    if rounds is not None and not compact:
        out.append(rounds)
    out.append(arms_panel(r))
    return tuple(out)


def figures(r: CompareResult) -> tuple[Figure, ...]:
    return tuple(panel.figure for panel in panels(r) if panel.figure is not None)
