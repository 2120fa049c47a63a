"""The export table of a throughput result: one row per curve point (CSV, Markdown)."""

from __future__ import annotations

from ..reporting.energy import (
    ENERGY_FORMATS,
    ENERGY_LABELS,
    energy_columns,
    energy_notes,
    energy_values,
)
from ..reporting.table import Table, run_columns, warning_notes
from ..reporting.units import rate
from .render import describe, finding_lines, marks
from .result import ThroughputResult

THROUGHPUT_COLUMNS = (
    "batch",
    "status",
    "steady",
    "role",
    "items_per_s",
    "ci_low_items_per_s",
    "ci_high_items_per_s",
    "device_time_median_s",
    "latency_median_s",
    "peak_memory_bytes",
)


def throughput_table(r: ThroughputResult) -> Table:
    """One row per curve point, by batch: throughput with its CI, times per call, memory."""
    rows: list[tuple[object, ...]] = []
    record = r.analysis.energy
    extra = energy_columns(record)  # --energy: each batch's energy beside its throughput
    by_batch = {s.items_per_call: s for s in record.sections} if record is not None else {}
    for p in sorted(r.points, key=lambda p: p.batch):
        memory = p.memory.peak_reserved_bytes if p.memory else None
        energy = energy_values(by_batch.get(p.batch), extra)
        if p.device_time is None:  # out of memory: it never ran
            rows.append(
                (p.batch, p.status, None, marks(r, p.batch), *([None] * 5), memory, *energy)
            )
            continue
        ci = p.items_per_s_ci
        latency = p.latency.summary.median if p.latency is not None else None
        rows.append(
            (
                p.batch,
                p.status,
                p.warmup_steady,
                marks(r, p.batch),
                p.items_per_s,
                ci[0] if ci else None,
                ci[1] if ci else None,
                p.device_time.summary.median,
                latency,
                memory,
                *energy,
            )
        )
    memory_kind = "process peak RSS" if r.settings.device == "cpu" else "peak reserved by torch"
    conf = round(r.settings.method.stop.confidence * 100)
    notes = [
        *finding_lines(r),
        *([record.curve.verdict] if record is not None and record.curve is not None else []),
        f"items/s = batch / median device time per call, over back-to-back calls; CI: the "
        f"{conf} % CI of that median; latency: median synchronous call; memory: {memory_kind}",
        *energy_notes(record),
        *warning_notes(r.diagnostics),
    ]
    return Table(
        title=describe(r),
        columns=THROUGHPUT_COLUMNS + extra,
        rows=tuple(rows),
        notes=tuple(notes),
        fixed=run_columns(r, with_batch=False),
        labels={
            "items_per_s": "items/s",
            "ci_low_items_per_s": "CI low",
            "ci_high_items_per_s": "CI high",
            "device_time_median_s": "device time",
            "latency_median_s": "latency",
            "peak_memory_bytes": "memory",
            **ENERGY_LABELS,
        },
        formats={
            # The unit is in the header; bare numbers keep the column narrow, as the terminal.
            "items_per_s": lambda v: rate(v, "").strip(),
            "ci_low_items_per_s": lambda v: rate(v, "").strip(),
            "ci_high_items_per_s": lambda v: rate(v, "").strip(),
            **ENERGY_FORMATS,
        },
    )
