"""Findings on stderr: by default the most important warning, its action and a count of the
rest; with details, every warning and note with its advice."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from ..records import Diagnostic

# Most important first: a figure that is wrong, then one that is unsteady or disturbed, then
# what explains a figure, then noise. Codes not listed come after these.
PRIORITY = (
    "inconsistent_figures",
    "not_steady",
    "warmup_unsteady",
    "memory_growing",
    "model_prints",
    "emulated_precision",
    "cupti_attached",
    "curve_dip",
    "points_out_of_memory",
    "budget_unmet",
    "throttled_samples",
    "low_clock",
    "gpu_shared",
    "launch_blocking",
    "profiler_attached",
    "grad_enabled",
    "training_mode",
    "between_processes",
    "launch_bound",
    "host_sync",
    "host_paced_ratio",
    "drift",
    "host_busy",
    "precision_missed",
    "noisy",
    "outliers",
)


def rank(d: Diagnostic) -> int:
    return PRIORITY.index(d.code) if d.code in PRIORITY else len(PRIORITY)


def print_diagnostics(
    diagnostics: Sequence[Diagnostic], console: Console, *, include_info: bool = True
) -> None:
    """Every finding (notes too when `include_info`), each with its advice."""
    for d in diagnostics:
        if d.severity != "warning" and not include_info:
            continue
        tag = "[yellow]warning[/]" if d.severity == "warning" else "[cyan]note[/]"
        console.print(f"{tag} \\[{escape(d.code)}]: {escape(d.message)}", soft_wrap=True)
        if d.advice:
            console.print(f"  → {escape(d.advice)}", soft_wrap=True, highlight=False)


def print_findings(diagnostics: Sequence[Diagnostic], console: Console, details: bool) -> None:
    """With details every finding; otherwise one grouped warning with one action."""
    if details:
        print_diagnostics(diagnostics, console, include_info=True)
        return
    warnings = sorted((d for d in diagnostics if d.severity == "warning"), key=rank)
    if not warnings:
        return
    top, rest = warnings[0], warnings[1:]
    more = ""
    if rest:
        codes = list(dict.fromkeys(d.code for d in rest))
        more = f" (and {len(rest)} more: {', '.join(codes)})"
    console.print(
        f"[yellow]warning[/] \\[{escape(top.code)}]: {escape(top.message)}{escape(more)}",
        soft_wrap=True,
    )
    if top.advice:
        console.print(f"  → {escape(top.advice)}", soft_wrap=True, highlight=False)
    console.print("  every finding, and how each figure was measured: --details", highlight=False)
