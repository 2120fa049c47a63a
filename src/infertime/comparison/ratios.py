"""Ratios of per-call times with their CIs, the verdict in words, and the regression gate.

A ratio is always other / baseline time per call: above 1 the other configuration is slower.
Three sources, three methods (the simulation in benchmarks/compare_simulation.py checks them):
- interleaved rounds in one process: one ratio per round, paired; the median of the round
  ratios with the order-statistic CI widened for serial correlation between rounds (the same
  interval as a figure's median, stats.median_ci), so a slow host state that outlasts a round
  widens the interval instead of fooling it;
- fresh processes (repeats): each process gives one median per configuration; the geometric
  mean ratio with a t interval on the log ratios, paired by process where the processes
  alternate (ABAB...), Welch's otherwise;
- two single-process results: independent samples; the medians' own CIs combined on the log
  scale. Between-process spread is invisible to this one (docs/statistics.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .. import stats

PAIRED_ROUNDS = "paired rounds, interleaved in one process"
INDEPENDENT = "independent samples from two results"
PROCESSES_PAIRED = "paired fresh processes"
PROCESSES = "fresh processes"


@dataclass(frozen=True)
class Ratio:
    """Time per call of one configuration over the baseline's, with its CI."""

    value: float
    ci: tuple[float, float] | None
    confidence: float
    method: str
    n: int  # rounds, samples (the smaller side) or processes it rests on

    @property
    def half_width(self) -> float | None:
        """The larger distance from the ratio to a CI bound, relative to the ratio."""
        return stats.relative_half_width(self.value, self.ci)


def paired_ratio(
    base_rounds: Sequence[float], other_rounds: Sequence[float], confidence: float = 0.95
) -> Ratio:
    """Median of the per-round ratios, with the serially widened order-statistic CI."""
    ratios = [o / b for b, o in zip(base_rounds, other_rounds, strict=True)]
    return Ratio(
        stats.median(ratios),
        stats.median_ci(ratios, confidence),
        confidence,
        PAIRED_ROUNDS,
        len(ratios),
    )


def paired_half_width(
    base_rounds: Sequence[float], other_rounds: Sequence[float], confidence: float = 0.95
) -> float | None:
    return paired_ratio(base_rounds, other_rounds, confidence).half_width


def independent_ratio(
    base: Sequence[float], other: Sequence[float], confidence: float = 0.95
) -> Ratio:
    """Ratio of two medians from independent time-ordered series; the two medians' CIs
    (each allowing for serial correlation) combined in quadrature on the log scale."""
    mb, mo = stats.median(base), stats.median(other)
    value = mo / mb
    n = min(len(base), len(other))
    cb, co = stats.median_ci(base, confidence), stats.median_ci(other, confidence)
    if cb is None or co is None or min(cb[0], co[0]) <= 0:
        return Ratio(value, None, confidence, INDEPENDENT, n)
    # Each CI's half-width on the log scale, the wider side (the intervals are not symmetric).
    hb = max(math.log(mb / cb[0]), math.log(cb[1] / mb))
    ho = max(math.log(mo / co[0]), math.log(co[1] / mo))
    half = math.hypot(hb, ho)
    ci = (value * math.exp(-half), value * math.exp(half))
    return Ratio(value, ci, confidence, INDEPENDENT, n)


def process_ratio(
    base_medians: Sequence[float],
    other_medians: Sequence[float],
    confidence: float = 0.95,
    paired: bool = True,
) -> Ratio:
    """Geometric-mean ratio of per-process medians with a t interval on the logs.

    paired: process i of each configuration ran next to each other (ABAB...), so the log ratios
    of the pairs are the data; otherwise Welch's interval for a difference of two log means.
    """
    lb = [math.log(x) for x in base_medians]
    lo = [math.log(x) for x in other_medians]
    if paired:
        d = [o - b for b, o in zip(lb, lo, strict=True)]
        k = len(d)
        centre = stats.mean(d)
        if k < 2:
            return Ratio(math.exp(centre), None, confidence, PROCESSES_PAIRED, k)
        t = stats.t_quantile(1 - (1 - confidence) / 2, k - 1)
        half = t * stats.sample_std(d) / math.sqrt(k)
        ci = (math.exp(centre - half), math.exp(centre + half))
        return Ratio(math.exp(centre), ci, confidence, PROCESSES_PAIRED, k)
    centre = stats.mean(lo) - stats.mean(lb)
    n = min(len(lb), len(lo))
    if n < 2:
        return Ratio(math.exp(centre), None, confidence, PROCESSES, n)
    vb, vo = stats.sample_std(lb) ** 2 / len(lb), stats.sample_std(lo) ** 2 / len(lo)
    se = math.sqrt(vb + vo)
    # Welch-Satterthwaite degrees of freedom (at least 1).
    df_den = (vb**2 / (len(lb) - 1) if vb else 0.0) + (vo**2 / (len(lo) - 1) if vo else 0.0)
    df = max(1, round((vb + vo) ** 2 / df_den)) if df_den > 0 else n - 1
    half = stats.t_quantile(1 - (1 - confidence) / 2, df) * se
    ci = (math.exp(centre - half), math.exp(centre + half))
    return Ratio(math.exp(centre), ci, confidence, PROCESSES, n)


def verdict_text(ratio: Ratio, other: str, base: str) -> str:
    """'B is 1.06× faster than A (95 % CI 1.04–1.08)', '... slower ...', or 'B against A: no
    difference beyond ±2.1 % (...)'. Speed-ups are the inverse time ratio, CI bounds too."""
    conf = f"{round(ratio.confidence * 100)} % CI"
    if ratio.ci is None:
        return f"{other} against {base}: {_factor(ratio.value)} by its point estimate; no CI yet"
    lo, hi = ratio.ci
    if hi < 1:
        return (
            f"{other} is {1 / ratio.value:.3g}× faster than {base} ({conf} {1 / hi:.3g}–"
            f"{1 / lo:.3g})"
        )
    if lo > 1:
        return f"{other} is {ratio.value:.3g}× slower than {base} ({conf} {lo:.3g}–{hi:.3g})"
    bound = max(1 - lo, hi - 1)
    return (
        f"{other} against {base}: no difference beyond ±{bound * 100:.1f} % ({conf} of the time "
        f"ratio "
        f"{lo:.3f}–{hi:.3f})"
    )


def _factor(value: float) -> str:
    return f"{1 / value:.3g}× faster" if value < 1 else f"{value:.3g}× slower"


def gate_fails(ratio: Ratio, threshold: float) -> bool:
    """The regression gate: slower beyond `threshold` with the CI's confidence (its lower bound
    above 1 + threshold). A point estimate alone never fails it."""
    return ratio.ci is not None and ratio.ci[0] > 1 + threshold
