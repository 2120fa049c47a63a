"""The sweep's combined table: 80 columns on a terminal, and CSV, Markdown and JSON exports.

One row per point (its rounds combined, see summary.py), grouped by device model and model;
columns are the options that vary between points. Marks: P on the Pareto front of latency
against throughput; peak, knee and slo name the group's choices.
"""

from __future__ import annotations

import json
from typing import Any

from ..reporting.table import Table, to_csv, to_markdown
from ..reporting.units import duration, rate
from .driver import SweepReport
from .summary import Group, Row, Slo, build_groups, build_rows

WIDTH = 80
SHORT = {
    "batch_size": "batch",
    "channels_last": "ch-last",
    "compile_mode": "mode",
    "input_shape": "shape",
    "max_time": "max-time",
    "seq_len": "seq",
}
SUMMARY_SCHEMA = "infertime.sweep.summary"
DEFINITIONS = {
    "latency_s": "median latency per call (synchronous request: start, call, synchronize) at "
    "the point's batch; throughput kind: at the peak batch; pitfalls: the correct method; "
    "generate: median time to first token (device)",
    "items_per_s": "batch / median device time per call (pipelined calls); throughput kind: "
    "the peak of the curve; generate: batch / median time per output token (decode)",
    "ci": "95 % CI of the median; over rounds, from the lowest to the highest round's CI end",
    "rounds": "agree: every two rounds' CIs of the headline figure overlap",
    "pareto": "no other configuration of the group has both lower latency and higher throughput",
    "overhead_s": "a point's time outside its measurement: interpreter, imports, writing, exit",
}


def summarize(report: SweepReport, slo: Slo | None = None) -> tuple[list[Row], list[Group]]:
    rows = build_rows(report.points, report.rounds, report.runs, report.documents)
    return rows, build_groups(rows, slo)


def _axes(report: SweepReport) -> list[str]:
    keys = [k for k in report.grid.varying_keys() if k not in ("model", "device")]
    return keys


def _cell(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _plus_minus(median: float | None, ci: tuple[float, float] | None) -> str:
    if median is None or ci is None or median <= 0:
        return ""
    return f"±{(ci[1] - ci[0]) / 2 / median * 100:.1f}%"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def render_text(report: SweepReport, slo: Slo | None = None) -> str:
    """The table for a terminal, at most 80 columns wide."""
    rows, groups = summarize(report, slo)
    axes = _axes(report)
    counts = {s: sum(1 for r in rows if r.status == s) for s in ("ok", "partial", "failed")}
    pending = len(rows) - sum(counts.values())
    parts = [f"sweep {report.sweep_id} · {report.grid.kind} · {len(rows)} points"]
    if report.rounds > 1:
        parts[0] += f" × {report.rounds} rounds"
    parts.append(f"{counts['ok']} ok")
    for word, n in (("partial", counts["partial"]), ("failed", counts["failed"])):
        if n:
            parts.append(f"{n} {word}")
    if pending:
        parts.append(f"{pending} to do")
    head = " · ".join(parts[:2]) + "".join(", " + p for p in parts[2:])
    lines = [_fit(head, WIDTH)]
    with_batch = report.grid.kind == "throughput"
    labels = [
        "#",
        *(SHORT.get(k, k) for k in axes),
        *(["batch"] if with_batch else []),
        "latency",
        "±",
        "items/s",
        "±",
    ]
    if report.rounds > 1:
        labels.append("rounds")
    table: list[tuple[Row | None, list[str]]] = []
    for group in groups:
        table.append((None, [group.name]))
        for member in group.rows:
            table.append((member, _row_cells(member, axes, with_batch, report.rounds)))
    widths = [len(label) for label in labels]
    for entry, cells in table:
        if entry is not None:
            widths = [max(w, len(c)) for w, c in zip(widths, cells, strict=False)]
    fixed = sum(widths[len(axes) + 1 :]) + len(labels) + 8  # marks need about 8
    room = WIDTH - fixed - widths[0]
    while axes and sum(widths[1 : 1 + len(axes)]) > room:
        j = 1 + max(range(len(axes)), key=lambda a: widths[1 + a])
        if widths[j] <= 6:
            break
        widths[j] -= 1
    numeric = {0, *range(1 + len(axes), len(labels))}

    def line(cells: list[str], marks: str = "") -> str:
        parts = [
            _fit(c, w).rjust(w) if i in numeric else _fit(c, w).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=False))
        ]
        return _fit((" ".join(parts) + (" " + marks if marks else "")).rstrip(), WIDTH)

    lines.append(line(labels, "best"))
    for item, cells in table:
        row = item
        if row is None:
            lines.append(
                f"── {_fit(cells[0], WIDTH - 4)} " + "─" * max(0, WIDTH - 4 - len(cells[0]))
            )
        elif row.figures is None:
            what = "to do" if row.status == "pending" else f"FAILED {row.reason}"
            lines.append(
                line(cells[: 1 + len(axes)] + [""] * (len(labels) - 1 - len(axes))).rstrip()
                + "  "
                + what
            )
        else:
            marks = " ".join("P" if m == "pareto" else m for m in row.marks)
            if row.status == "partial":
                marks = (marks + f" ({row.reason} in a round)").strip()
            lines.append(line(cells, marks))
    for group in groups:
        for note in group.notes:
            lines.append(_fit(f"{group.name}: {note}", WIDTH))
    lines.append("latency: median per call (synchronous request) · items/s: batch / device time")
    lines.append("±: 95 % CI of the median · P: Pareto front of latency against throughput")
    overheads = [r.overhead_s for r in rows if r.overhead_s is not None]
    if overheads:
        lines.append(
            f"start-up and teardown per point (outside the measurement): median "
            f"{duration(sorted(overheads)[len(overheads) // 2])}"
        )
    return "\n".join(lines) + "\n"


def _row_cells(row: Row, axes: list[str], with_batch: bool, rounds: int) -> list[str]:
    values = row.point.point.values
    cells = [str(row.index), *(_cell(values.get(k)) for k in axes)]
    f = row.figures
    if with_batch:
        cells.append(str(f.batch) if f is not None and f.batch is not None else "")
    if f is None:
        return cells
    cells += [
        duration(f.latency_s) if f.latency_s is not None else "",
        _plus_minus(f.latency_s, f.latency_ci_s),
        rate(f.items_per_s, "").strip() if f.items_per_s is not None else "",
        _plus_minus(f.items_per_s, f.items_per_s_ci),
    ]
    if rounds > 1:
        cells.append(row.agreement.word if row.agreement is not None else "n/a")
    return cells


# -- exports ------------------------------------------------------------------------------------


def export_table(report: SweepReport, slo: Slo | None = None) -> Table:
    """One row per point: raw numbers in SI units, for CSV and Markdown."""
    rows, _ = summarize(report, slo)
    keys = [k for k in report.grid.varying_keys() if k != "device"]
    columns = (
        "point",
        *keys,
        "status",
        "reason",
        "device_model",
        "batch",
        "latency_s",
        "latency_ci_low_s",
        "latency_ci_high_s",
        "items_per_s",
        "items_per_s_ci_low",
        "items_per_s_ci_high",
        "rounds_done",
        "rounds_agree",
        "rounds_spread_rel",
        "marks",
        "wall_s",
        "overhead_s",
        "to_first_sample_s",
    )
    out = []
    for row in rows:
        f = row.figures
        lat_ci = f.latency_ci_s if f else None
        tput_ci = f.items_per_s_ci if f else None
        a = row.agreement
        out.append(
            (
                row.index,
                *(_export(row.point.point.values.get(k)) for k in keys),
                row.status,
                row.reason,
                row.device_model,
                f.batch if f else None,
                f.latency_s if f else None,
                lat_ci[0] if lat_ci else None,
                lat_ci[1] if lat_ci else None,
                f.items_per_s if f else None,
                tput_ci[0] if tput_ci else None,
                tput_ci[1] if tput_ci else None,
                row.rounds_done,
                a.agree if a else None,
                a.spread_rel if a else None,
                " ".join(row.marks),
                row.wall_s,
                row.overhead_s,
                row.to_first_sample_s,
            )
        )
    return Table(
        title=f"infertime sweep {report.sweep_id} ({report.grid.kind})",
        columns=columns,
        rows=tuple(out),
        notes=tuple(f"{k}: {v}" for k, v in DEFINITIONS.items()),
        fixed=(("sweep_id", report.sweep_id), ("kind", report.grid.kind)),
        labels={"items_per_s_ci_low": "items/s CI low", "items_per_s_ci_high": "items/s CI high"},
        formats={
            "items_per_s_ci_low": lambda v: rate(v, "items/s"),
            "items_per_s_ci_high": lambda v: rate(v, "items/s"),
        },
    )


def _export(value: Any) -> Any:
    return ",".join(str(v) for v in value) if isinstance(value, tuple) else value


def summary_document(report: SweepReport, slo: Slo | None = None) -> dict[str, Any]:
    rows, groups = summarize(report, slo)
    table = export_table(report, slo)
    return {
        "schema": SUMMARY_SCHEMA,
        "schema_version": 1,
        "sweep_id": report.sweep_id,
        "kind": report.grid.kind,
        "state": report.state,
        "rounds": report.rounds,
        "rows": [dict(zip(table.header, record, strict=True)) for record in table.records()],
        "files": {str(r.index): r.files for r in rows},
        "groups": [
            {
                "group": g.name,
                "pareto": [
                    {
                        "point": i,
                        "batch": c.batch,
                        "latency_s": c.latency_s,
                        "items_per_s": c.items_per_s,
                    }
                    for i, c in g.pareto
                ],
                "choices": {
                    c.name: {
                        "point": c.row,
                        "batch": c.batch,
                        "items_per_s": c.items_per_s,
                        "latency_s": c.latency_s,
                        "definition": c.definition,
                    }
                    for c in g.choices
                },
                "notes": g.notes,
            }
            for g in groups
        ],
        "slo": {"limit_s": slo.limit_s, "stat": slo.stat} if slo else None,
        "definitions": DEFINITIONS,
    }


def export_text(report: SweepReport, fmt: str, slo: Slo | None = None) -> str:
    if fmt == "json":
        return json.dumps(summary_document(report, slo), indent=1, allow_nan=False) + "\n"
    table = export_table(report, slo)
    return to_csv(table) if fmt == "csv" else to_markdown(table)
