"""How the engine reports progress: a callback; the CLI draws it, tests ignore it."""

from __future__ import annotations

from typing import Protocol

# A phase for one line the user should read now, even where no progress bar is drawn (e.g.
# "calls take 2 s each: this will take about 40 s").
NOTICE = "notice"


class ProgressSink(Protocol):
    def __call__(self, phase: str, fraction: float | None, detail: str) -> None:
        """phase: short name; fraction: 0..1 or None if unknown; detail: one short line."""
        ...


def no_progress(phase: str, fraction: float | None, detail: str) -> None:
    return None
