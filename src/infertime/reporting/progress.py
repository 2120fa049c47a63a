"""Progress on stderr: a bar on a terminal (redrawn only between samples, no refresh thread),
and notices (NOTICE phase) as lines wherever stderr goes."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from ..engine.progress import CONTEXT, NOTICE, PLAN, ProgressSink, no_progress

REDRAW_INTERVAL_S = 0.1
# The engine's phase names, as a reader would say them.
PHASE_WORDS = {
    "device_time": "device time",
    "graph_latency": "graph replay",
    "batch search": "batch search",
    "no warm-up": "fresh process",
    "comparing": "interleaved rounds",
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
        TextColumn("{task.description}"),
        BarColumn(bar_width=12),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[left]}"),
    )
    with Progress(*columns, console=console, auto_refresh=False, transient=True) as bar:
        task = bar.add_task("starting", total=1.0, detail="", left="")
        yield BarSink(bar, task)


class BarSink:
    """The bar's state: what is measured (CONTEXT), the phase, and the plan (PLAN) that time
    left is estimated from. The bar never moves back within a phase; with a plan, it shows
    the plan's share done and the seconds it should still take ("finishing" past it)."""

    def __init__(self, bar: Progress, task: TaskID) -> None:
        self.bar = bar
        self.task = task
        self.context = ""
        self.phase = ""
        self.done = 0.0
        self.plan: tuple[float, float] | None = None  # (start, expected seconds)
        self.last_draw = 0.0

    def __call__(self, phase: str, fraction: float | None, detail: str) -> None:
        now = time.monotonic()
        if phase == NOTICE:
            self.bar.console.print(detail, markup=False, highlight=False)
            return
        if phase == CONTEXT:
            self.context, self.phase, self.done = detail, "", 0.0
            self.plan = None
            self._draw(now, "", force=True)
            return
        if phase == PLAN:
            self.plan = (now, float(fraction or 0.0))
            return
        if phase != self.phase:
            self.phase, self.done = phase, 0.0
        if self.plan is not None:
            start, expected = self.plan
            fraction = (now - start) / expected if expected > 0 else None
        if fraction is not None:
            self.done = max(self.done, min(fraction, 0.99))
        self._draw(now, detail)

    def _draw(self, now: float, detail: str, force: bool = False) -> None:
        words = PHASE_WORDS.get(self.phase, self.phase)
        what = " · ".join(w for w in (self.context, words) if w) or "starting"
        left = ""
        if self.plan is not None:
            start, expected = self.plan
            remaining = expected - (now - start)
            left = f"≈{remaining:.0f} s left" if remaining >= 1 else "finishing"
        self.bar.update(self.task, description=what, completed=self.done, detail=detail, left=left)
        if force or now - self.last_draw >= REDRAW_INTERVAL_S:
            self.bar.refresh()
            self.last_draw = now
