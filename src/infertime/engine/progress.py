"""How the engine reports progress: a callback; the CLI draws it, tests ignore it.

Besides phases with a fraction done, two special phases: CONTEXT names what is being measured
now (a configuration and copy, a batch size, a process k of n) and PLAN announces how long the
next stretch should take (its seconds in `fraction`), so that time left is an estimate rather
than a guess from the bar's speed.
"""

from __future__ import annotations

from typing import Protocol

# A phase for one line the user should read now, even where no progress bar is drawn (e.g.
# "calls take 2 s each: this will take about 40 s").
NOTICE = "notice"
# What is being measured now: `detail` names it ("B (copy 2)", "batch 64", "process 2 of 5").
CONTEXT = "context"
# How long the work from now on should take: `fraction` carries the seconds, `detail` what.
PLAN = "plan"


class ProgressSink(Protocol):
    def __call__(self, phase: str, fraction: float | None, detail: str) -> None:
        """phase: short name; fraction: 0..1 or None if unknown; detail: one short line."""
        ...


def no_progress(phase: str, fraction: float | None, detail: str) -> None:
    return None


def short_duration(seconds: float) -> str:
    """A time per call for a progress line: '93.6 µs', '12.4 ms', '1.20 s'."""
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"
