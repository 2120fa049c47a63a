"""Findings about a generation result: each timed batch's own (figures.diagnostics), the
sweep's failed batches and the SLO's choice."""

from __future__ import annotations

from typing import Any

from ..records import Diagnostic
from . import figures


def check_generation(result: Any) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    many = len(result.runs) > 1
    for run in result.runs:
        for d in figures.diagnostics(run):
            prefix = f"batch {run.spec.batch_size}: " if many else ""
            out.append(Diagnostic(d.code, d.severity, prefix + d.message, d.advice, d.data))
    sweep = result.sweep
    if sweep is not None:
        for point in sweep.points:
            if point.failed is not None:
                out.append(
                    Diagnostic(
                        "batch_failed",
                        "warning",
                        f"batch {point.batch}: {point.failed}",
                        "larger batches were not tried",
                    )
                )
        if sweep.choice is not None and sweep.choice.batch is None:
            out.append(Diagnostic("slo_not_met", "warning", sweep.choice.message))
    return out
