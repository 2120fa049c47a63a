"""Table cells that carry the number they show and where it is in the result file."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..units import duration, percent, rate, size_bytes


@dataclass(frozen=True)
class Cell:
    """What a reader sees (`text`), and for a number its exact value and its source
    (sources.py), written as data-value and data-source so that a test or a script can check
    every number against the result file."""

    text: str
    value: float | int | None = None
    source: str | None = None

    @property
    def numeric(self) -> bool:
        return self.value is not None


def _finite(value: float | int | None) -> bool:
    return value is not None and math.isfinite(value)


def text(words: str, source: str | None = None) -> Cell:
    return Cell(words, None, source)


def seconds(value: float | None, source: str | None = None) -> Cell:
    """A duration: '1.234 ms'."""
    return Cell(duration(value), value, source) if _finite(value) else Cell("n/a")


def items_per_s(value: float | None, source: str | None = None, unit: bool = True) -> Cell:
    """A throughput: '30,655 items/s', or '30,655' under a column that names the unit."""
    if not _finite(value):
        return Cell("n/a")
    return Cell(rate(value, "items/s" if unit else "").strip(), value, source)


def size(value: int | None, source: str | None = None) -> Cell:
    return Cell(size_bytes(value), value, source) if value is not None else Cell("n/a")


def fraction(value: float | None, source: str | None = None, signed: bool = False) -> Cell:
    """A share or a relative difference as a percentage: '1.2 %', '+4.5 %'."""
    if not _finite(value):
        return Cell("n/a")
    assert value is not None
    shown = f"{value * 100:+.1f} %" if signed else percent(value)
    return Cell(shown, value, source)


def ratio(value: float | None, source: str | None = None) -> Cell:
    """A time ratio to the baseline: '1.0234×'."""
    return Cell(f"{value:.4f}×", value, source) if _finite(value) else Cell("n/a")


def count(value: int | None, source: str | None = None) -> Cell:
    return Cell(str(value), value, source) if value is not None else Cell("n/a")


def number(value: float | None, source: str | None = None, spec: str = ".4g") -> Cell:
    return Cell(format(value, spec), value, source) if _finite(value) else Cell("n/a")
