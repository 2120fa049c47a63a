"""Render a result of any kind to the terminal, as its kind renders it."""

from __future__ import annotations

from typing import Any

from rich.console import Console

from .. import kinds


def render_result(result: Any, console: Console, details: bool = False) -> None:
    kinds.of(result).render(result, console, details)
