"""The export table of a comparison: one row per configuration (CSV, Markdown)."""

from __future__ import annotations

from ..reporting.energy import (
    ENERGY_FORMATS,
    ENERGY_LABELS,
    energy_columns,
    energy_notes,
    energy_values,
)
from ..reporting.table import Table, config_columns, warning_notes
from ..specs.text import spec_name
from .ratios import ratio_digits
from .render import headline_lines, letter
from .result import CompareResult

# The configuration of each row (the settings' workload), named as every export names them.
CONFIG_COLUMNS = (
    "model", "backend", "compile_mode", "dynamic", "dtype", "autocast", "layout",
    "input_shape", "seq_len", "hf_config", "seed", "threads",
)  # fmt: skip
# --energy, interleaved: energy per item over the baseline's, paired by round
RATIO_COLUMNS = ("energy_ratio", "energy_ratio_ci_low", "energy_ratio_ci_high")
COMPARE_COLUMNS = (
    "configuration",
    "source",
    *CONFIG_COLUMNS,
    "batch",
    "role",
    "figure_s",
    "time_ratio",
    "ci_low",
    "ci_high",
    "decision",
    "groups",
    "samples",
    "verdict",
)


def compare_table(r: CompareResult) -> Table:
    """One row per configuration: its figure, its time ratio to the baseline with the CI."""
    rows: list[tuple[object, ...]] = []
    record = r.analysis.energy
    extra = energy_columns(record)
    ratios = RATIO_COLUMNS if record is not None and record.ratios else ()
    for i, arm in enumerate(r.arms):
        energy = energy_values(record.sections[i] if record is not None else None, extra)
        e = record.ratios[i] if record is not None and i < len(record.ratios) else None
        ratio = (e.value, *(e.ci or (None, None))) if e is not None else (None,) * 3
        x = r.ratio(i) if i else None
        config = tuple(value for _, value in config_columns(arm.settings))
        rows.append(
            (
                spec_name(arm.settings.workload) if arm.source else arm.name,
                arm.source,
                *config,
                arm.settings.workload.batch_size,
                "baseline" if i == 0 else f"vs {letter(0)}",
                r.value(i),
                x.value if x else 1.0,
                x.ci[0] if x and x.ci else None,
                x.ci[1] if x and x.ci else None,
                r.decision(i).kind if i else None,
                len(arm.groups),
                sum(len(g) for g in arm.groups),
                r.verdict(i) if i else None,
                *energy,
                *ratio[: len(ratios)],
            )
        )
    notes = headline_lines(r)[len(r.arms) + 1 :] + energy_notes(record)
    notes += warning_notes(r.diagnostics)
    # One number of decimals for the column: enough for the narrowest CI to show its width.
    digits = max((ratio_digits(x.value, x.ci) for x in r.ratios()), default=3)
    return Table(
        title=headline_lines(r)[0],
        columns=COMPARE_COLUMNS + extra + ratios,
        rows=tuple(rows),
        notes=tuple(notes),
        fixed=(
            ("figure", r.figure + (" per item" if r.per_item else "")),
            ("mode", r.mode),
            ("device", r.settings.device),
            ("created_utc", r.created_utc),
        ),
        labels={
            "figure_s": "per item" if r.per_item else "per call",
            "time_ratio": "× time",
            **ENERGY_LABELS,
            "energy_ratio": "× energy/item",
            "energy_ratio_ci_low": "energy CI low",
            "energy_ratio_ci_high": "energy CI high",
        },
        formats={
            **ENERGY_FORMATS,
            **{c: (lambda v: f"{v:.3f}") for c in RATIO_COLUMNS},
            "time_ratio": lambda v: f"{v:.{digits}f}",
            "ci_low": lambda v: "" if v is None else f"{v:.{digits}f}",
            "ci_high": lambda v: "" if v is None else f"{v:.{digits}f}",
        },
    )
