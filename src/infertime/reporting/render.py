"""Render any result kind to the terminal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console

from ..pitfalls.result import PitfallsResult
from ..results import LatencyResult
from ..throughput_results import ThroughputResult
from .latency_table import print_latency
from .pitfalls_table import print_pitfalls
from .throughput_table import print_throughput

_RENDERERS: dict[str, Callable[[Any, Console], None]] = {
    LatencyResult.kind: print_latency,
    ThroughputResult.kind: print_throughput,
    PitfallsResult.kind: print_pitfalls,
}


def render_result(result: Any, console: Console) -> None:
    _RENDERERS[result.kind](result, console)
