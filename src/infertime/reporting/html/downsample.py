"""Fewer points to draw, the same picture: extremes kept, statistics never computed from these."""

from __future__ import annotations

from collections.abc import Sequence

MAX_POINTS = 2000  # per plot; a 2,000-point line is about 25 kB of SVG


def minmax(
    x: Sequence[float], y: Sequence[float], max_points: int = MAX_POINTS
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """At most `max_points` of (x, y): per bucket of consecutive points, the lowest and the
    highest in their time order, so every spike (and the global min and max) stays visible."""
    n = len(y)
    if n != len(x):
        raise ValueError(f"{len(x)} x values for {n} y values")
    if n <= max_points:
        return tuple(x), tuple(y)
    if max_points < 2:
        raise ValueError("downsampling needs room for at least two points")
    buckets = max_points // 2
    keep: list[int] = []
    for b in range(buckets):
        lo, hi = b * n // buckets, (b + 1) * n // buckets
        if hi <= lo:
            continue
        chunk = range(lo, hi)
        i_min = min(chunk, key=y.__getitem__)
        i_max = max(chunk, key=y.__getitem__)
        keep.extend(sorted({i_min, i_max}))
    return tuple(x[i] for i in keep), tuple(y[i] for i in keep)


def ecdf(
    values: Sequence[float], max_points: int = MAX_POINTS
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The empirical CDF's steps (value, share of samples ≤ value) at evenly spaced ranks,
    first and last always included."""
    s = sorted(values)
    n = len(s)
    if n == 0:
        return (), ()
    if n <= max_points:
        ranks = list(range(n))
    else:
        ranks = sorted({round(i * (n - 1) / (max_points - 1)) for i in range(max_points)})
    return tuple(s[i] for i in ranks), tuple((i + 1) / n for i in ranks)
