"""The export table of a generation result: one row per batch, path and figure (CSV,
Markdown); device-path and caller-path figures in separate rows, named by `path`."""

from __future__ import annotations

from ..reporting.energy import (
    ENERGY_FORMATS,
    ENERGY_LABELS,
    energy_columns,
    energy_notes,
    energy_values,
)
from ..reporting.table import Table, run_columns, warning_notes
from . import figures as fig
from .render import CALLER_PATH, DEVICE_PATH, describe
from .result import GenerationResult

COLUMNS = (
    "batch",
    "prompt_tokens",
    "new_tokens",
    "cache",
    "path",
    "figure",
    "unit",
    "median",
    "ci_low",
    "ci_high",
    "ci_rel",
    "calls",
)


def generation_table(r: GenerationResult) -> Table:
    """Median and 95 % CI per figure (the call is the CI's unit); units in the `unit` column
    (s, tokens/s, s/position), since one column holds figures of several units."""
    rows: list[tuple[object, ...]] = []
    # --energy: on the device path's end-to-end row (whole calls, what the energy pass ran);
    # J/item is J per sequence, J/token per generated token.
    record = r.analysis.energy
    extra = energy_columns(record)
    section = record.sections[0] if record is not None and record.sections else None
    none = (None,) * len(extra)
    for run in r.runs:
        s = run.spec
        for path, figures in (
            ("device", fig.device_figures(run)),
            ("caller", fig.caller_figures(run)),
        ):
            for key, f in figures.items():
                m = f.summary
                ci = m.median_ci
                rows.append(
                    (s.batch_size, s.prompt_len, s.new_tokens, s.cache, path, key, f.unit,
                     m.median, ci[0] if ci else None, ci[1] if ci else None, m.median_ci_rel,
                     m.n, *(energy_values(section, extra)
                            if path == "device" and key == "e2e_s" else none))
                )  # fmt: skip
    if r.sweep is not None:
        for p in r.sweep.points:
            if p.ok:
                s0 = r.runs[0].spec if r.runs else None
                for key, value, unit in (
                    ("tokens_per_s_per_gpu", p.tokens_per_s_per_gpu, "tokens/s"),
                    ("tokens_per_s_per_user", p.tokens_per_s_per_user, "tokens/s"),
                ):
                    rows.append(
                        (p.batch, s0.prompt_len if s0 else None, p.new_tokens,
                         s0.cache if s0 else None, "device", key, unit, value, None, None, None,
                         len(p.e2e_s), *none)
                    )  # fmt: skip
    first = r.runs[0] if r.runs else None
    notes = [f"device = {DEVICE_PATH}", f"caller = {CALLER_PATH}"]
    if r.sweep is not None and r.sweep.choice is not None:
        notes.append(r.sweep.choice.message)
    if record is not None and any(x.figures is not None for x in record.sections):
        notes.append("energy: J/item is per sequence, J/token per generated token")
    notes += energy_notes(record)
    notes += warning_notes(r.diagnostics)
    return Table(
        title=describe(r, first) if first is not None else "generate",
        columns=COLUMNS + extra,
        rows=tuple(rows),
        notes=tuple(notes),
        fixed=run_columns(r, with_batch=False),
        labels=dict(ENERGY_LABELS),
        formats=dict(ENERGY_FORMATS),
    )
