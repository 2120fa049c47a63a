"""One figure measured in several fresh processes: the typical value and how far processes differ.

A single process's CI is about that process: on the H100 host, batch-1 medians of fresh
processes minutes apart differed by 2× while each run's CI covered about a quarter of the
others' medians (docs/validation.md). With k processes, their medians are the data: on the log
scale, the typical figure is their mean (a geometric mean), its CI is a t interval with k − 1
degrees of freedom, and the range one new process will probably fall in is the prediction
interval exp(mean ± t · s · √(1 + 1/k)). Cochran's Q and I² say how much of the spread between
processes their own CIs do not explain. torch-free.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from . import stats


@dataclass(frozen=True)
class AcrossProcesses:
    """The medians of k processes and what they say together (times per call, seconds)."""

    medians: tuple[float, ...]
    typical: float  # geometric mean of the medians
    typical_ci: tuple[float, float] | None  # where the typical figure lies
    prediction: tuple[float, float] | None  # where one new process's median will probably lie
    between_cv: float  # SD of the log medians: the relative spread between processes
    within_se: float | None  # median over processes of their own median's relative SE
    heterogeneity: float | None  # I²: share of the spread that within-process noise cannot explain
    confidence: float

    @property
    def processes(self) -> int:
        return len(self.medians)


def across_processes(
    medians: Sequence[float],
    half_widths: Sequence[float | None] = (),
    confidence: float = 0.95,
) -> AcrossProcesses:
    """Typical figure, its CI and the prediction interval from per-process medians.

    `half_widths`: each process's own relative CI half-width of its median (at `confidence`),
    for within-process spread and I²; None where a process had no CI.
    """
    if not medians or any(not m > 0 for m in medians):
        raise ValueError("across_processes needs positive medians")
    logs = [math.log(m) for m in medians]
    k = len(logs)
    centre = stats.mean(logs)
    s = stats.sample_std(logs) if k > 1 else 0.0
    typical_ci = prediction = None
    if k > 1:
        t = stats.t_quantile(1 - (1 - confidence) / 2, k - 1)
        h = t * s / math.sqrt(k)
        typical_ci = (math.exp(centre - h), math.exp(centre + h))
        p = t * s * math.sqrt(1 + 1 / k)
        prediction = (math.exp(centre - p), math.exp(centre + p))
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    # A relative half-width h of a median is about h on the log scale too (h small); / z: an SE.
    ses = [math.log1p(h) / z for h in half_widths if h is not None and h > 0]
    within = stats.median(ses) if ses else None
    return AcrossProcesses(
        medians=tuple(medians),
        typical=math.exp(centre),
        typical_ci=typical_ci,
        prediction=prediction,
        between_cv=s,
        within_se=within,
        heterogeneity=_i_squared(logs, half_widths, z),
        confidence=confidence,
    )


def _i_squared(logs: list[float], half_widths: Sequence[float | None], z: float) -> float | None:
    """Higgins' I² = (Q − df) / Q from Cochran's Q with inverse-variance weights."""
    if len(half_widths) != len(logs) or len(logs) < 2:
        return None
    if any(h is None or h <= 0 for h in half_widths):
        return None
    weights = [(z / math.log1p(h)) ** 2 for h in half_widths if h is not None]
    pooled = math.fsum(w * y for w, y in zip(weights, logs, strict=True)) / math.fsum(weights)
    q = math.fsum(w * (y - pooled) ** 2 for w, y in zip(weights, logs, strict=True))
    df = len(logs) - 1
    return max(0.0, (q - df) / q) if q > 0 else 0.0
