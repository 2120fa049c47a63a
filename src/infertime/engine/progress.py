"""How the engine reports progress: a callback; the CLI draws it, tests ignore it."""

from __future__ import annotations

from typing import Protocol


class ProgressSink(Protocol):
    def __call__(self, phase: str, fraction: float | None, detail: str) -> None:
        """phase: short name; fraction: 0..1 or None if unknown; detail: one short line."""
        ...


def no_progress(phase: str, fraction: float | None, detail: str) -> None:
    return None
