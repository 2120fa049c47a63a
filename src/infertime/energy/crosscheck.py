"""The counter against integrated power: NVML power samples from the GPU monitor (GpuWatch's
GpuReading.power_w), integrated by the trapezoid rule over the span of the windows.

Both can be off: zeus#12 found them within 1 % of each other, kokkos-tools PR #295 found
integrated power "more realistic" on its test, and on A100/H100 the power sensor samples about
a quarter of the time (arXiv 2312.02741). A difference beyond the tolerance flags the figure.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace

from .. import stats
from ..telemetry.nvml import GpuReading
from . import findings as found
from .figures import finish
from .policy import EnergyPolicy
from .records import CrossCheck, EnergySection

POWER_NOTE = (
    "NVML power (nvmlDeviceGetPowerUsage: a 1-s average on Ampere and newer except GA100, "
    "instant before) sampled by the GPU monitor every {interval}, trapezoid rule"
)


def integrated_power_w(
    readings: Sequence[GpuReading], start_ns: int, end_ns: int
) -> tuple[float, int, float] | None:
    """Average power of the readings inside [start_ns, end_ns] (trapezoid rule over the span
    they cover), their count and median spacing in seconds; None with fewer than two."""
    inside = sorted(
        (r for r in readings if start_ns <= r.t_ns <= end_ns and r.power_w is not None),
        key=lambda r: r.t_ns,
    )
    if len(inside) < 2:
        return None
    joules = 0.0
    for a, b in itertools.pairwise(inside):
        assert a.power_w is not None and b.power_w is not None
        joules += (a.power_w + b.power_w) / 2 * (b.t_ns - a.t_ns) / 1e9
    span_s = (inside[-1].t_ns - inside[0].t_ns) / 1e9
    if span_s <= 0:
        return None
    spacing = stats.median([(b.t_ns - a.t_ns) / 1e9 for a, b in itertools.pairwise(inside)])
    return joules / span_s, len(inside), spacing


def cross_check(
    section: EnergySection, readings: Sequence[GpuReading], policy: EnergyPolicy
) -> EnergySection:
    """The section with its cross-check, flagged when the two differ beyond the tolerance."""
    if section.figures is None or not section.windows:
        return section
    windows = section.windows
    counter_j = sum(w.energy_j or 0.0 for w in windows)
    tol = policy.cross_check_tolerance

    def without(why: str) -> EnergySection:
        check = CrossCheck(counter_j, None, 0, None, tol, why)
        notes = (*section.findings, found.cross_check_unavailable(why))
        return replace(section, cross_check=check, findings=notes)

    if not all(w.used for w in windows):
        return without("a window was left out, so the windows do not form one span")
    start = windows[0].start_ns
    end = windows[-1].start_ns + round(windows[-1].duration_s * 1e9)
    got = integrated_power_w(readings, start, end)
    if got is None or got[1] < policy.cross_check_min_readings:
        n = 0 if got is None else got[1]
        return without(
            f"{n} power reading(s) inside the windows, {policy.cross_check_min_readings} needed"
        )
    avg_w, n, spacing = got
    integrated_j = avg_w * (end - start) / 1e9
    diff = integrated_j / counter_j - 1
    check = CrossCheck(
        counter_j, integrated_j, n, diff, tol, POWER_NOTE.format(interval=f"{spacing:.3g} s")
    )
    notes = list(section.findings)
    if abs(diff) > tol:
        notes.append(found.cross_check_off(diff, tol))
    checked = finish(
        section.method,
        section.items_per_call,
        section.tokens_per_call,
        section.windows,
        section.figures,
        notes,
    )
    return replace(checked, cross_check=check)
