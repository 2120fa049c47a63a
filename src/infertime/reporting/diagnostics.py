"""Diagnostics on stderr: warnings with advice; notes only when asked for."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.markup import escape

from ..records import Diagnostic


def print_diagnostics(
    diagnostics: Iterable[Diagnostic], console: Console, *, include_info: bool = True
) -> None:
    for d in diagnostics:
        if d.severity != "warning" and not include_info:
            continue
        tag = "[yellow]warning[/]" if d.severity == "warning" else "[cyan]note[/]"
        console.print(f"{tag} \\[{escape(d.code)}]: {escape(d.message)}", soft_wrap=True)
        if d.advice:
            console.print(f"  → {escape(d.advice)}", soft_wrap=True, highlight=False)
