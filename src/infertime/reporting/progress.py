"""Progress on stderr: a bar on a terminal (redrawn only between samples, no refresh thread),
and notices (NOTICE phase) as lines wherever stderr goes."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from ..engine.progress import NOTICE, ProgressSink, no_progress

REDRAW_INTERVAL_S = 0.1
# The engine's phase names, as a reader would say them.
PHASE_WORDS = {
    "device_time": "device time",
    "graph_latency": "graph replay",
    "batch search": "batch search",
    "no warm-up": "fresh process",
}


@contextmanager
def terminal_progress(
    enabled: bool = True, notice: Callable[[str], None] | None = None
) -> Iterator[ProgressSink]:
    """A ProgressSink: a bar on stderr when it is a terminal, and notices passed to `notice`.

    auto_refresh is off: a refresh thread would compete with the timed loop for the GIL. The
    engine calls the sink between samples, outside every timed region.
    """
    if not enabled:
        yield no_progress
        return
    if not sys.stderr.isatty():

        def notices_only(phase: str, fraction: float | None, detail: str) -> None:
            if phase == NOTICE and notice is not None:
                notice(detail)

        yield notices_only
        return
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description:<13}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, auto_refresh=False, transient=True) as bar:
        task = bar.add_task("starting", total=1.0, detail="")
        last = 0.0

        def sink(phase: str, fraction: float | None, detail: str) -> None:
            nonlocal last
            if phase == NOTICE:
                bar.console.print(detail, markup=False, highlight=False, soft_wrap=True)
                return
            words = PHASE_WORDS.get(phase, phase)
            bar.update(task, description=words, completed=fraction or 0.0, detail=detail)
            now = time.monotonic()
            if now - last >= REDRAW_INTERVAL_S:
                bar.refresh()
                last = now

        yield sink
