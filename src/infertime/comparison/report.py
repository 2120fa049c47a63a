"""A comparison in the HTML report (the registry's `report` and `figures`): a forest plot of
each time ratio with its CI (copies' spread included) against the ±precision band and the
gate, what each ratio lets one say (faster, slower, no difference, undecided), the gate's
state, the per-round (or per-process) ratios, the copies and the configurations."""

from __future__ import annotations

from ..reporting.html import cells
from ..reporting.html.cells import Cell
from ..reporting.html.common import configuration
from ..reporting.html.document import Panel, Table
from ..reporting.html.figures import (
    Axis,
    Band,
    Figure,
    Forest,
    Interval,
    Level,
    TimeSeries,
    Trace,
)
from ..reporting.html.kind_report import KindReport, figures_of
from ..reporting.html.probes import probes_panel
from ..reporting.html.sources import pointer as p
from .render import FIGURE_WORDS, how, letter
from .result import CompareResult

# What each decision (comparison/ratios.py `decide`) lets one say, in a table's few words.
DECISION_WORDS = {
    "faster": "faster",
    "slower": "slower",
    "same": "no difference",
    "undecided": "undecided",
}
# Each decision's colour in the forest plot.
DECISION_ROLES = {"faster": "good", "slower": "bad", "same": "data", "undecided": "warmup"}
# The regression gate's three states (CompareResult.gate_state), in words.
GATE_WORDS = {
    "passed": "passed: every configuration is, with the CI's confidence, not slower than A "
    "beyond the gate",
    "regression": "FAILED: a configuration is slower than A beyond the gate with the CI's "
    "confidence (exit 8)",
    "inconclusive": "INCONCLUSIVE: a CI straddles the gate, or the data cannot decide it (exit 9)",
}


def what(r: CompareResult) -> str:
    """The figure compared, per call or per item."""
    words = FIGURE_WORDS.get(r.figure, r.figure)
    if r.per_item:
        words = words.replace("per call", "per item")
        if "per item" not in words:
            words += ", per item"
    return words


def ratio_axis(r: CompareResult) -> Axis:
    return Axis(f"time ratio to A{' per item' if r.per_item else ''} (above 1: slower)", "×")


def title(r: CompareResult) -> str:
    per = " (batch sizes differ)" if r.per_item else ""
    return f"{what(r)}{per} · {how(r)} · {r.settings.device}"


def lead(r: CompareResult) -> tuple[str, ...]:
    lines = [r.verdict(i) for i in range(1, len(r.arms))]
    if r.gate_state is not None:
        lines.append(f"gate: {GATE_WORDS[r.gate_state]}")
    return tuple(lines)


def _ci_words(r: CompareResult) -> str:
    conf = round(r.policy.confidence * 100)
    if r.mode == "interleaved":
        copies = ", the copies' spread included (a random effect)" if r.analysis.copies else ""
        return f"{conf} % CI paired by round{copies}"
    if r.mode == "processes":
        return f"{conf} % CI over pairs of fresh processes"
    return f"{conf} % CI from the files' own samples"


def forest_panel(r: CompareResult) -> Panel:
    ratios = r.ratios()
    rows_f = []
    rows_t: list[tuple[Cell, ...]] = [
        (
            cells.text("A"),
            cells.seconds(r.value(0), p("figures_s", r.baseline.name)),
            cells.text("baseline"),
            *(cells.text("") for _ in range(4)),
        )
    ]
    for i, x in enumerate(ratios, start=1):
        arm = r.arms[i]
        decision = r.decision(i)
        rows_f.append(
            Interval(
                f"{letter(i)}: {DECISION_WORDS.get(decision.kind, decision.kind)}",
                x.value,
                x.ci[0] if x.ci else None,
                x.ci[1] if x.ci else None,
                role=DECISION_ROLES.get(decision.kind, "data"),
            )
        )
        base = p("ratios", i - 1)
        rows_t.append(
            (
                cells.text(letter(i)),
                cells.seconds(r.value(i), p("figures_s", arm.name)),
                cells.ratio(x.value, base + "/time_ratio"),
                cells.ratio(x.ci[0] if x.ci else None, base + "/time_ratio_ci/0"),
                cells.ratio(x.ci[1] if x.ci else None, base + "/time_ratio_ci/1"),
                cells.count(x.n, base + "/n"),
                cells.text(decision.kind, base + "/decision"),
            )
        )
    precision = r.policy.precision
    levels = [Level("A (no difference)", 1.0, "median")]
    gate = r.policy.fail_if_slower
    if gate is not None:
        levels.append(Level(f"gate: slower by {gate:.1%}", 1 + gate, "limit"))
    figure = Forest(
        f"{what(r)}: time ratio to A with its {_ci_words(r)} — {how(r)}",
        ratio_axis(r),
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
            r.figure.replace("_", " ") + (" per item" if r.per_item else ""),
            "ratio",
            "CI low",
            "CI high",
            "n",
            "decision",
        ),
        tuple(rows_t),
        f"method: {ratios[0].method}" if ratios else "",
    )
    notes = [
        "decision: faster or slower where the CI excludes 1 and is within the precision or "
        "within half the effect; no difference where the CI holds 1 within ±the precision; "
        "otherwise undecided; each verdict in words, with what would decide an undecided "
        "one, heads this section"
    ]
    if r.per_item:
        notes.append("batch sizes differ: times per item are compared (--allow-different)")
    if r.stop is not None:
        notes.append(f"stopped: {r.stop.message}")
    return Panel("ratios", figure, (table,), tuple(notes))


def gate_panel(r: CompareResult) -> Panel | None:
    """The regression gate (--fail-if-slower): its threshold and its state, of three."""
    gate = r.policy.fail_if_slower
    if gate is None or r.gate_state is None:
        return None
    rows = (
        (
            cells.text("slower than A by more than"),
            cells.fraction(gate, p("policy", "fail_if_slower")),
        ),
        (cells.text("state"), cells.text(r.gate_state, p("gate"))),
    )
    notes = [f"gate {GATE_WORDS[r.gate_state]}"]
    if r.single_host_bound and not r.policy.trust_single_process:
        notes.append(
            "single processes of a host-bound figure cannot decide the gate: measure each "
            "side with --processes, or pass --trust-single-process"
        )
    return Panel(
        "regression gate",
        tables=(Table(("regression gate", "value"), rows),),
        notes=tuple(notes),
    )


def rounds_panel(r: CompareResult) -> Panel | None:
    """Each round's (or process's) ratio to the baseline, in order: drift shows here."""
    base = r.baseline.group_medians
    if len(base) < 2 or any(len(a.groups) != len(base) for a in r.arms):
        return None
    group = "round" if r.mode == "interleaved" else "process"
    traces = []
    levels = [Level("no difference", 1.0, "median")]
    rows: list[tuple[Cell, ...]] = []
    batch = [a.settings.workload.batch_size or 1 for a in r.arms]
    for i in range(1, len(r.arms)):
        # Per item where batch sizes differ, as the ratios are (CompareResult.samples_of);
        # computed as sources.py's ratios() reads it back, to the last bit.
        per = (batch[0], batch[i]) if r.per_item else (1, 1)
        ratios = [
            (o / per[1]) / (b / per[0]) for b, o in zip(base, r.arms[i].group_medians, strict=True)
        ]
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
        groups = (p("arms", 0, "groups"), p("arms", i, "groups"))
        if r.per_item:
            sizes = tuple(p("arms", k, "settings", "workload", "batch_size") for k in (0, i))
            src = f"ratios({','.join(groups + sizes)})"
        else:
            src = f"ratios({','.join(groups)})"
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
        ratio_axis(r),
        tuple(traces),
        levels=tuple(levels),
    )
    return Panel(
        f"per {group}", figure, (Table(("ratio", f"{group}s", "lowest", "highest"), tuple(rows)),)
    )


def copies_panel(r: CompareResult) -> Panel | None:
    """How the copies of each configuration's model agreed; their spread is in each ratio's
    CI. Also the ballast and why one copy or fresh processes were used."""
    a = r.analysis
    rows: list[tuple[Cell, ...]] = []
    for k, c in enumerate(a.copies):
        base = p("analysis", "copies", k)
        rows.append(
            (
                cells.text(c.name, base + "/name"),
                cells.count(c.copy, base + "/copy"),
                cells.ratio(c.time_ratio_to_first, base + "/time_ratio_to_first"),
                cells.ratio(c.ci[0] if c.ci else None, base + "/ci/0"),
                cells.ratio(c.ci[1] if c.ci else None, base + "/ci/1"),
            )
        )
    notes = []
    if a.ballast is not None:
        notes.append(
            f"ballast: a copy of {a.ballast.of} built first and kept, never timed"
            if a.ballast.built
            else f"ballast: none ({a.ballast.why_not})"
        )
    if a.one_copy_because:
        notes.append(f"one copy of each model: {a.one_copy_because}")
    if a.fresh_processes_because:
        notes.append(f"fresh processes: {a.fresh_processes_because}")
    for key, values in a.environment_differences.items():
        shown = " | ".join(f"{letter(i)}: {v}" for i, v in enumerate(values))
        notes.append(f"environments differ: {key}: {shown}")
    if not rows and not notes:
        return None
    tables: tuple[Table, ...] = ()
    if rows:
        tables = (
            Table(
                ("configuration", "copy", "time ratio to copy 1", "CI low", "CI high"),
                tuple(rows),
                "copies of one model, paired by round: their spread is part of each ratio's CI",
            ),
        )
    return Panel("copies", tables=tables, notes=tuple(notes))


def arms_panel(r: CompareResult) -> Panel:
    """The configurations: what each is, its samples, where it came from and, on a GPU,
    its kernel time and launch verdict (columns shown only where some arm has them)."""
    launches = r.analysis.launch or ()
    gpu = any(launches) or any(a.verdict is not None for a in r.arms)
    rows = []
    for i, arm in enumerate(r.arms):
        row = [
            cells.text(letter(i)),
            cells.text(arm.name, p("arms", i, "name")),
            cells.text(configuration(arm.settings)),
            cells.count(sum(len(g) for g in arm.groups), f"count({p('arms', i, 'groups')})"),
            cells.count(arm.calls_per_sample, p("arms", i, "calls_per_sample")),
        ]
        if gpu:
            launch = launches[i] if i < len(launches) else None
            base = p("analysis", "launch", i)
            row += [
                cells.seconds(launch.kernel_time_s, base + "/kernel_time_s")
                if launch is not None
                else cells.text("—"),
                cells.text(launch.verdict, base + "/verdict")
                if launch is not None
                else cells.text(arm.verdict, p("arms", i, "verdict"))
                if arm.verdict is not None
                else cells.text("—"),
            ]
        row.append(cells.text(arm.source or "—"))
        rows.append(tuple(row))
    columns: tuple[str, ...] = ("", "name", "configuration", "samples", "calls/sample")
    if gpu:
        columns += ("kernel time", "launch verdict")
    return Panel("configurations", tables=(Table((*columns, "file"), tuple(rows)),))


def panels(r: CompareResult, compact: bool = False) -> tuple[Panel, ...]:
    out = [forest_panel(r)]
    gate = gate_panel(r)
    if gate is not None:
        out.append(gate)
    rounds = rounds_panel(r)
    if rounds is not None and not compact:
        out.append(rounds)
    copies = copies_panel(r)
    if copies is not None:
        out.append(copies)
    out.append(arms_panel(r))
    if not compact:
        probes = probes_panel(r)
        if probes is not None:
            out.append(probes)
    return tuple(out)


def figures(r: CompareResult) -> tuple[Figure, ...]:
    """The data series of a comparison's plots (the kind registry's `figures`)."""
    return figures_of(panels(r))


REPORT = KindReport("Comparisons", title, lead, panels)
