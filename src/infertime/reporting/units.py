"""Numbers with units, significant digits chosen for reading, never for hiding precision."""

from __future__ import annotations

import math


def duration(seconds: float | None, digits: int = 4) -> str:
    """1.2345e-3 -> '1.234 ms'; picks ns, µs, ms or s."""
    if seconds is None or not math.isfinite(seconds):
        return "n/a"
    a = abs(seconds)
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if a >= scale:
            return f"{_sig(seconds / scale, digits)} {unit}"
    return f"{_sig(seconds / 1e-9, digits)} ns"


def duration_in(seconds: float, like: float, digits: int = 4) -> str:
    """`seconds` in the unit and with the decimals that `like` gets, without the unit.

    So a range or a spread reads in the same unit and resolution as its centre.
    """
    unit = duration(like, digits).split()[-1]
    scale = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "ns": 1e-9}[unit]
    if like == 0 or not math.isfinite(like):
        return _sig(seconds / scale, digits)
    decimals = max(digits - 1 - math.floor(math.log10(abs(like / scale))), 0)
    return f"{seconds / scale:.{decimals}f}"


def unit_of(seconds: float) -> str:
    return duration(seconds).split()[-1]


def _sig(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(digits - 1 - magnitude, 0)
    return f"{value:.{decimals}f}"


def rate(items_per_s: float | None, unit: str = "items/s") -> str:
    if items_per_s is None or not math.isfinite(items_per_s):
        return "n/a"
    if items_per_s >= 1000:
        return f"{items_per_s:,.0f} {unit}"
    return f"{_sig(items_per_s, 4)} {unit}"


def size_bytes(n: int | None) -> str:
    if n is None:
        return "n/a"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def percent(fraction: float | None, decimals: int = 1) -> str:
    if fraction is None or not math.isfinite(fraction):
        return "n/a"
    return f"{fraction * 100:.{decimals}f} %"
