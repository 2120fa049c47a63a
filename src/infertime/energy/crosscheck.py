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
from ..sections import GpuReading
from . import findings as found
from .figures import finish
from .policy import EnergyPolicy
from .records import CrossCheck, EnergySection, EnergyWindow

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


def check_windows(
    windows: Sequence[EnergyWindow], readings: Sequence[GpuReading], policy: EnergyPolicy
) -> CrossCheck:
    """The counter's energy over `windows` (one span: consecutive, sharing edges) against the
    power readings integrated over the same span; `integrated_j` None says why not in `note`."""
    counter_j = sum(w.energy_j or 0.0 for w in windows)
    tol = policy.cross_check_tolerance
    if not windows or not all(w.used for w in windows):
        why = "a window was left out, so the windows do not form one span"
        return CrossCheck(counter_j, None, 0, None, tol, why)
    start = min(w.start_ns for w in windows)
    end = max(w.start_ns + round(w.duration_s * 1e9) for w in windows)
    got = integrated_power_w(readings, start, end)
    if got is None or got[1] < policy.cross_check_min_readings:
        n = 0 if got is None else got[1]
        why = f"{n} power reading(s) inside the windows, {policy.cross_check_min_readings} needed"
        return CrossCheck(counter_j, None, n, None, tol, why)
    avg_w, n, spacing = got
    integrated_j = avg_w * (end - start) / 1e9
    diff = integrated_j / counter_j - 1
    note = POWER_NOTE.format(interval=f"{spacing:.3g} s")
    return CrossCheck(counter_j, integrated_j, n, diff, tol, note)


def with_check(section: EnergySection, check: CrossCheck) -> EnergySection:
    """The section with `check`, flagged when the two differ beyond the tolerance."""
    notes = list(section.findings)
    if check.difference_rel is None:
        notes.append(found.cross_check_unavailable(check.note))
    elif abs(check.difference_rel) > check.tolerance_rel:
        notes.append(found.cross_check_off(check.difference_rel, check.tolerance_rel))
    checked = finish(
        section.method,
        section.items_per_call,
        section.tokens_per_call,
        section.windows,
        section.figures,
        notes,
    )
    return replace(checked, cross_check=check)


def cross_check(
    section: EnergySection, readings: Sequence[GpuReading], policy: EnergyPolicy
) -> EnergySection:
    """The section with its cross-check, flagged when the two differ beyond the tolerance."""
    if section.figures is None or not section.windows:
        return section
    return with_check(section, check_windows(section.windows, readings, policy))


def cross_check_joint(
    sections: Sequence[EnergySection], readings: Sequence[GpuReading], policy: EnergyPolicy
) -> list[EnergySection]:
    """Interleaved configurations: their windows together form one span (each shares its
    edges with the next, whichever configuration it belongs to), so the cross-check is made
    once over all of them and given to each section with figures. Per configuration it could
    not be: NVML's power is a 1-s average, so each window's readings would carry the
    neighbouring configuration's power."""
    if not any(s.figures is not None and s.windows for s in sections):
        return list(sections)
    windows = [w for s in sections for w in s.windows]
    check = check_windows(windows, readings, policy)
    joint = replace(check, note=f"over every configuration's windows together; {check.note}")
    return [with_check(s, joint) if s.figures is not None and s.windows else s for s in sections]
