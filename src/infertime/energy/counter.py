"""What a hardware energy counter offers the measurement: a raw read per domain, how each domain
wraps, what the counter covers, and typed ways for it to be missing or to fail.

A counter read is raw (joules since some origin, per domain); the difference of two reads is
the energy between them. Counters update in steps (NVML about every 10-100 ms, RAPL about every
millisecond), so the update period is measured (calibrate.py), never assumed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from .records import Finding


class CounterReadError(Exception):
    """A read failed (an NVML error, a file that vanished): energy is withheld from then on,
    with this message; timing is not affected."""


@dataclass(frozen=True)
class CounterUnavailable:
    """No usable counter for this device, and why: the figure says 'not measured'."""

    source: str  # "nvml" | "rapl" | "none"
    reason: str


@runtime_checkable
class EnergyCounter(Protocol):
    """A cumulative energy counter, read whole (all its domains at once)."""

    @property
    def source(self) -> str:  # "nvml", "rapl" or "fake"
        ...

    @property
    def description(self) -> str:  # the counter, named for the report
        ...

    @property
    def scope(self) -> str:  # what it covers, e.g. "whole GPU board (all processes)"
        ...

    @property
    def wraps_j(self) -> tuple[float | None, ...]:
        """Per domain: the value at which it wraps to 0 (None: it never wraps in practice)."""
        ...

    def read_j(self) -> tuple[float, ...]:
        """Joules per domain since the counter's origin; raises CounterReadError."""
        ...

    def scope_findings(self) -> tuple[Finding, ...]:
        """What makes the counter cover more than this process (MIG, other processes)."""
        ...


@dataclass(frozen=True)
class Delta:
    """Energy between two reads, or None with the reason (a reset) it cannot be known."""

    energy_j: float | None
    wrapped: bool = False
    reset: bool = False


def delta(
    before: Sequence[float], after: Sequence[float], wraps_j: Sequence[float | None]
) -> Delta:
    """The energy between two reads, domain by domain.

    A domain that went down wrapped if it has a wrap value (RAPL's max_energy_range_uj: one
    wrap is assumed, which holds while a window is shorter than the range at full power, about
    10 minutes for a 400 W package); without one it was reset (NVML's counter starts again
    when the driver reloads, and vLLM's energy.py drops such deltas too): unknown.
    """
    total = 0.0
    wrapped = False
    for b, a, w in zip(before, after, wraps_j, strict=True):
        if a >= b:
            total += a - b
        elif w is not None:
            total += a + w - b
            wrapped = True
        else:
            return Delta(None, reset=True)
    return Delta(total, wrapped=wrapped)
