"""A mean over measurement windows with its Student-t confidence interval, and sums of such.

Why a t interval and not infertime.stats' median CI: energy windows are few (3 to a dozen) and
each is an average over thousands of calls and at least two seconds, so a window's value is
close to normal (central limit theorem), while the distribution-free median CI needs 6 samples
at 95 % (stats.quantile_ci gives None below that). The t interval assumes independent windows;
a drift across windows (a GPU warming up) is looked for separately (figures.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .. import stats


@dataclass(frozen=True)
class Estimate:
    """A value and its confidence interval (None with a single window), over `n` windows."""

    value: float
    ci: tuple[float, float] | None
    n: int

    @property
    def half_width(self) -> float | None:
        return None if self.ci is None else (self.ci[1] - self.ci[0]) / 2

    @property
    def half_width_rel(self) -> float | None:
        """Half-width relative to the value (None when undefined or the value is not positive)."""
        half = self.half_width
        return None if half is None or self.value <= 0 else half / self.value

    def scaled(self, factor: float) -> Estimate:
        """The same estimate in other units (factor > 0)."""
        ci = None if self.ci is None else (self.ci[0] * factor, self.ci[1] * factor)
        return Estimate(self.value * factor, ci, self.n)


def t_interval(xs: Sequence[float], confidence: float = 0.95) -> Estimate:
    """Mean of `xs` with the t interval mean ± t(n - 1) s / sqrt(n)."""
    if not xs:
        raise ValueError("no windows to estimate from")
    m = stats.mean(xs)
    if len(xs) < 2:
        return Estimate(m, None, len(xs))
    half = stats.t_quantile(1 - (1 - confidence) / 2, len(xs) - 1)
    half *= stats.sample_std(xs) / math.sqrt(len(xs))
    return Estimate(m, (m - half, m + half), len(xs))


def minus(a: Estimate, b: Estimate) -> Estimate:
    """a - b for independent estimates: half-widths added in quadrature (both at one
    confidence level, each close to normal), and undefined where either is."""
    value = a.value - b.value
    ha, hb = a.half_width, b.half_width
    if ha is None or hb is None:
        return Estimate(value, None, a.n)
    half = math.hypot(ha, hb)
    return Estimate(value, (value - half, value + half), a.n)


def separated(a: Estimate, b: Estimate) -> bool | None:
    """Whether two estimates differ beyond their noise (their difference's CI excludes 0);
    None when either has no CI."""
    d = minus(a, b)
    if d.ci is None:
        return None
    return d.ci[0] > 0 or d.ci[1] < 0
