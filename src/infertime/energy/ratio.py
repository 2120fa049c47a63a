"""Energy per item of one configuration over another's, paired by round of interleaved windows.

Round k holds one window of each configuration, side by side in time (interleave.py), so both
saw the same temperature and clocks; the ratio of their energies per item in that round is
free of the drift that moves both. The estimate is the geometric mean of the rounds' ratios
with the t interval of their logarithms (the same reasoning as estimate.py: few rounds, each an
average over seconds of calls).
"""

from __future__ import annotations

import math

from .estimate import Estimate, t_interval
from .records import EnergySection, EnergyWindow


def _per_item(w: EnergyWindow, items_per_call: int) -> float | None:
    if not w.used or w.energy_j is None or w.energy_j <= 0 or w.calls <= 0:
        return None
    return w.energy_j / w.calls / items_per_call


def paired_ratio(
    base: EnergySection, other: EnergySection, confidence: float = 0.95
) -> Estimate | None:
    """J/item of `other` over `base`, round by round; None without figures on both sides or
    with fewer than two rounds where both windows were used."""
    if base.figures is None or other.figures is None:
        return None
    logs = []
    for a, b in zip(base.windows, other.windows, strict=False):
        x, y = _per_item(a, base.items_per_call), _per_item(b, other.items_per_call)
        if x is not None and y is not None:
            logs.append(math.log(y / x))
    if len(logs) < 2:
        return None
    est = t_interval(logs, confidence)
    ci = None if est.ci is None else (math.exp(est.ci[0]), math.exp(est.ci[1]))
    return Estimate(math.exp(est.value), ci, est.n)
