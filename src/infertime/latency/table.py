"""The export table of a latency result: one row per figure (CSV, Markdown)."""

from __future__ import annotations

from .. import stats
from ..reporting.energy import (
    ENERGY_FORMATS,
    ENERGY_LABELS,
    energy_columns,
    energy_notes,
    energy_values,
)
from ..reporting.table import Table, run_columns, warning_notes
from .render import INCONSISTENT, LEGEND, SHORT_LABELS, describe_run, flagged_figures
from .result import LatencyResult

TAIL_COLUMNS = tuple(f"p{stats.q_label(q)}_s" for q in stats.TAIL_PERCENTILES)
LATENCY_COLUMNS = (
    "figure",
    "median_s",
    "ci_low_s",
    "ci_high_s",
    "ci_rel",
    "n",
    "calls_per_sample",
    *TAIL_COLUMNS,
    "throughput_items_per_s",
    "steady",
    "processes",
    "prediction_low_s",
    "prediction_high_s",
)


def latency_table(r: LatencyResult) -> Table:
    """One row per figure: median with its CI, samples, tails of single calls, throughput."""
    unsteady = flagged_figures(r)
    # The terminal withholds throughput when device time came out above latency; so does this.
    inconsistent = any(d.code == INCONSISTENT for d in r.diagnostics)
    rows: list[tuple[object, ...]] = []
    withheld: dict[tuple[str, str], list[str]] = {}
    # --energy: on the row of the figure throughput is made of (back-to-back calls, as energy)
    extra = energy_columns(r.analysis.energy)
    for name, series in r.figures.items():
        s = series.summary
        by_label = {f"{t.label}_s": t for t in s.tails}
        for t in s.tails:
            if t.value is None and t.withheld:
                withheld.setdefault((name, t.withheld), []).append(t.label)
        # Over fresh processes (--processes): the typical figure, its CI and the range for one
        # new process; tails are those of the last process.
        over = r.across(name)
        median, ci = (over.typical, over.typical_ci) if over else (s.median, s.median_ci)
        prediction = over.prediction if over else None
        rows.append(
            (
                name,
                median,
                ci[0] if ci else None,
                ci[1] if ci else None,
                stats.relative_half_width(median, ci),
                s.n,
                series.calls_per_sample,
                *(by_label[c].value if c in by_label else None for c in TAIL_COLUMNS),
                r.throughput_items_per_s
                if name == r.throughput_figure and not inconsistent
                else None,
                name not in unsteady,
                len(r.processes) or 1,
                prediction[0] if prediction else None,
                prediction[1] if prediction else None,
                *energy_values(r.energy if name == r.throughput_figure else None, extra),
            )
        )
    conf = round(r.latency.confidence * 100)
    scope = (
        f"over {len(r.processes)} fresh processes (geometric mean of their medians); "
        "prediction: where one new process's median will probably lie"
        if r.processes
        else "in this process; fresh processes can differ more"
    )
    notes = [
        f"CI, ±: {conf} % CI of the median (± its larger half-width relative to the median) "
        f"{scope}",
        *(LEGEND[f] for f in r.figures if f in LEGEND),
        "throughput = batch / median device time per call"
        if r.throughput_figure == "device_time"
        else "throughput = batch / median latency (on a CPU the same quantity as device time)",
        *(
            f"{', '.join(labels)} of {SHORT_LABELS.get(name, name)} withheld: {why}"
            for (name, why), labels in withheld.items()
        ),
        *energy_notes(r.analysis.energy),
        *warning_notes(r.diagnostics),
    ]
    return Table(
        title=describe_run(r),
        columns=LATENCY_COLUMNS + extra,
        rows=tuple(rows),
        notes=tuple(notes),
        fixed=run_columns(r),
        labels={
            "ci_low_s": "CI low",
            "ci_high_s": "CI high",
            "ci_rel": "±",
            "calls_per_sample": "calls/sample",
            "prediction_low_s": "one new process, low",
            "prediction_high_s": "one new process, high",
            **ENERGY_LABELS,
        },
        formats={"figure": lambda f: SHORT_LABELS.get(f, f), **ENERGY_FORMATS},
    )
