"""Progress on stderr, only on a terminal, redrawn only between samples (no refresh thread)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..engine.progress import ProgressSink, no_progress

REDRAW_INTERVAL_S = 0.1


@contextmanager
def terminal_progress(enabled: bool = True) -> Iterator[ProgressSink]:
    """A ProgressSink drawing a bar on stderr when it is a TTY; a no-op otherwise.

    auto_refresh is off: a refresh thread would compete with the timed loop for the GIL. The
    engine calls the sink between samples, outside every timed region.
    """
    if not enabled or not sys.stderr.isatty():
        yield no_progress
        return
    console = Console(stderr=True)
    columns = (
        TextColumn("{task.description:<12}"),
        BarColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, auto_refresh=False, transient=True) as bar:
        task = bar.add_task("starting", total=1.0, detail="")
        last = 0.0

        def sink(phase: str, fraction: float | None, detail: str) -> None:
            nonlocal last
            bar.update(task, description=phase, completed=fraction or 0.0, detail=detail)
            now = time.monotonic()
            if now - last >= REDRAW_INTERVAL_S:
                bar.refresh()
                last = now

        yield sink
