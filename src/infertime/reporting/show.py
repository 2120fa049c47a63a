"""Render a result of any kind to the terminal, as its kind renders it."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from .. import kinds


def render_result(result: Any, console: Console, details: bool = False) -> None:
    kinds.of(result).render(result, console, details)


def render_text(result: Any, details: bool = False, width: int = 80) -> str:
    """What `infertime show` prints for a result, as text (80 columns)."""
    import io

    out = io.StringIO()
    console = Console(file=out, width=width, highlight=False, color_system=None)
    render_result(result, console, details)
    return out.getvalue()
