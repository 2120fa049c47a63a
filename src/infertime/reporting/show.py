"""Render a result of any kind to the terminal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console


def _renderers() -> dict[str, Callable[[Any, Console, bool], None]]:
    from ..comparison.render import print_compare
    from ..latency.render import print_latency
    from ..pitfalls.render import print_pitfalls
    from ..throughput.render import print_throughput

    return {
        "latency": print_latency,
        "throughput": print_throughput,
        "pitfalls": print_pitfalls,
        "compare": print_compare,
    }


def render_result(result: Any, console: Console, details: bool = False) -> None:
    _renderers()[result.kind](result, console, details)
