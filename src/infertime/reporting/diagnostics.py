"""Findings on stderr: by default the most important warning, its action and a count of the
rest; with details, every warning and note with its advice."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

from rich.console import Console

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


_KEEP = re.compile(r"\d [µmnkKMG]?(?:s|B|iB|Hz|W|J)\b|\d %|\d °C")


def wrapped(console: Console, text: str, first: str = "", indent: str = "  ") -> None:
    """`text` wrapped at words to the console's width, later lines indented (a terminal
    would break words where the line ends)."""
    width = max(console.width, 40)
    # A number and its unit stay on one line ("95 %", "12 ms"): \0 is no space to textwrap.
    text = _KEEP.sub(lambda m: m.group(0).replace(" ", "\0"), text)
    lines = textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    for line in lines or [first]:
        console.print(line.replace("\0", " "), markup=False, highlight=False, soft_wrap=True)


def finding(console: Console, d: Diagnostic, more: str = "") -> None:
    tag = "warning" if d.severity == "warning" else "note"
    wrapped(console, f"{tag} [{d.code}]: {d.message}{more}", indent="  ")
    if d.advice:
        wrapped(console, d.advice, first="  → ", indent="    ")


def print_diagnostics(
    diagnostics: Sequence[Diagnostic], console: Console, *, include_info: bool = True
) -> None:
    """Every finding (notes too when `include_info`), each with its advice."""
    for d in diagnostics:
        if d.severity != "warning" and not include_info:
            continue
        finding(console, d)


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
        counts: dict[str, int] = {}
        for d in rest:
            counts[d.code] = counts.get(d.code, 0) + 1
        named = ", ".join(c if n == 1 else f"{c} ×{n}" for c, n in counts.items())
        more = f" (and {len(rest)} more: {named})"
    finding(console, top, more)
    console.print("  every finding, and how each figure was measured: --details", highlight=False)
