"""The export table of a pitfalls result: one row per method (CSV, Markdown)."""

from __future__ import annotations

from ..reporting.table import Table, run_columns, signed_percent, warning_notes
from ..reporting.units import duration, percent
from .render import title
from .result import PitfallsResult

PITFALLS_COLUMNS = (
    "code",
    "label",
    "applies",
    "n",
    "mean_s",
    "median_s",
    "mean_error_rel",
    "median_error_rel",
    "within_noise",
    "note",
)


def pitfalls_results_table(r: PitfallsResult) -> Table:
    """One row per method: its mean and median against the correct method's (like for like),
    and whether that error is within the correct method's own spread."""
    rows: list[tuple[object, ...]] = []
    for row in r.rows:
        if not row.applies:
            rows.append((row.code, row.label, False, 0, None, None, None, None, None, row.note))
            continue
        n = len(row.samples_s)
        if row.code == "single_sample":
            # Its samples are the correct method's, so their mean and median would show no
            # error; what one sample risks is the spread of single samples around the median.
            e = r.single_sample_errors()
            spread = (
                f"typically ±{percent(e['typical'])}, 95 % within ±{percent(e['p95'])} of the "
                "correct median"
            )
            note = f"{row.note}: {spread}" if row.note else spread
            rows.append((row.code, row.label, True, n, None, None, None, None, None, note))
            continue
        m = row.summary
        rows.append(
            (
                row.code,
                row.label,
                True,
                n,
                m.mean,
                m.median,
                r.error(row.code, "mean"),
                r.error(row.code, "median"),
                None if row.code == "correct" else r.within_noise(row.code, "median"),
                row.note,
            )
        )
    notes = [
        f"errors compare like with like: each mean with the correct mean "
        f"({duration(r.reference('mean'))}), each median with the correct median "
        f"({duration(r.reference_s)}); within noise: no larger than the correct method's own "
        f"95 % CI; the device timer is {r.settings.timer}",
        *warning_notes(r.diagnostics),
    ]
    return Table(
        title=title(r),
        columns=PITFALLS_COLUMNS,
        rows=tuple(rows),
        notes=tuple(notes),
        fixed=run_columns(r),
        labels={"mean_error_rel": "mean vs correct", "median_error_rel": "median vs correct"},
        formats={"mean_error_rel": signed_percent, "median_error_rel": signed_percent},
    )
