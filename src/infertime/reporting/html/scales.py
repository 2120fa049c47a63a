"""Display units for plotted values: seconds as ms or µs, bytes as MiB, fractions as %."""

from __future__ import annotations

import math
from collections.abc import Iterable

from .figures import Axis

_TIME = (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9))
_BYTES = (("GiB", 2.0**30), ("MiB", 2.0**20), ("KiB", 2.0**10), ("B", 1.0))


def display_unit(unit: str, values: Iterable[float | None]) -> tuple[float, str]:
    """(divisor, unit text): values / divisor are shown, labelled with the unit text."""
    finite = sorted(abs(v) for v in values if v is not None and math.isfinite(v) and v != 0)
    typical = finite[len(finite) // 2] if finite else 0.0
    if unit == "s":
        return next(((scale, name) for name, scale in _TIME if typical >= scale), (1e-9, "ns"))
    if unit == "bytes":
        return next(((scale, name) for name, scale in _BYTES if typical >= scale), (1.0, "B"))
    if unit == "fraction":
        return 0.01, "%"
    return 1.0, unit


def axis_label(axis: Axis, unit_text: str) -> str:
    """'latency per call (ms)'; a time ratio keeps its own words."""
    if not unit_text or unit_text == "×":
        return axis.label
    return f"{axis.label} ({unit_text})"
