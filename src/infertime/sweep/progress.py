"""Sweep progress on stderr: a line per point started and finished, with the counts (done,
running and where, failed) and the time left, from the durations measured so far."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from ..reporting.units import duration
from .executor import Job, Placement
from .identity import PlannedPoint
from .runner import PointOutcome


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class SweepProgress:
    """Prints to `write` (stderr by default); `quiet` prints only failures."""

    def __init__(self, write: Callable[[str], None] | None = None, quiet: bool = False) -> None:
        self.write = write or (lambda line: print(line, file=sys.stderr, flush=True))
        self.quiet = quiet
        self.total = self.done = self.failed = 0
        self.capacity = 1
        self.estimates: list[float] = []
        self.walls: list[float] = []
        self.t0 = time.monotonic()

    def begin(self, todo: int, reused: int, capacity: int, estimates: list[float]) -> None:
        self.total, self.capacity, self.estimates = todo, max(1, capacity), list(estimates)
        self.t0 = time.monotonic()
        if not self.quiet:
            kept = f"; {reused} kept from before" if reused else ""
            self.write(f"sweep: {todo} runs to do, {capacity} at a time{kept}")

    def time_left_s(self, running: int) -> float:
        left = self.total - self.done
        per_run = (
            (sum(self.walls) / len(self.walls))
            if self.walls
            else (sum(self.estimates) / len(self.estimates) if self.estimates else 0.0)
        )
        # Running points are half done on average.
        return max(0.0, (left - running / 2) * per_run / self.capacity)

    def counts(self, running: list[tuple[Job, Placement]]) -> str:
        where = ", ".join(p.where for _, p in running if p.node or p.cuda_visible_devices)
        on = f" ({where})" if where else ""
        failed = f" · {self.failed} failed" if self.failed else ""
        return (
            f"{self.done}/{self.total} done · {len(running)} running{on}{failed} · "
            f"~{_minutes(self.time_left_s(len(running)))} left"
        )

    def started(self, job: Job, point: PlannedPoint, running: list[tuple[Job, Placement]]) -> None:
        if not self.quiet:
            self.write(f"  start  r{job.task.round} {point.point.label()}")

    def finished(
        self,
        job: Job,
        point: PlannedPoint,
        placement: Placement,
        outcome: PointOutcome,
        status: str,
        running: list[tuple[Job, Placement]],
    ) -> None:
        self.done += 1
        self.walls.append(outcome.wall_s)
        if status != "ok":
            self.failed += 1
        if self.quiet and status == "ok":
            return
        mark = "ok    " if status == "ok" else f"FAILED ({outcome.reason}: {outcome.message})"
        where = placement.where
        self.write(
            f"  {mark} r{job.task.round} {point.point.label()} · {duration(outcome.wall_s)}"
            f"{' on ' + where if where else ''} · {self.counts(running)}"
        )

    def stopped(self, job: Job, point: PlannedPoint) -> None:
        if not self.quiet:
            self.write(f"  stopped r{job.task.round} {point.point.label()} (not kept)")

    def note(self, text: str) -> None:
        self.write(text)
