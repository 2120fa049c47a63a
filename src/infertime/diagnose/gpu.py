"""GPU state checks: clocks and clock-event reasons, samples taken while throttled, sharing, MIG."""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

from ..records import Diagnostic, Series
from ..sections import GpuReading, GpuState
from ..telemetry.nvml import decode_reasons, is_throttled

LOW_CLOCK_RATIO = 0.9


def throttled_samples(series: Series, readings: Sequence[GpuReading]) -> list[int]:
    """Indices of samples whose most recent NVML reading shows a throttle reason."""
    if not readings or not series.start_ns:
        return []
    times = [r.t_ns for r in readings]
    flagged = []
    for i, offset in enumerate(series.sample_end_offsets_s):
        k = bisect_right(times, series.start_ns + int(offset * 1e9)) - 1
        if k >= 0 and is_throttled(readings[k].reasons):
            flagged.append(i)
    return flagged


def clock_summary(readings: Sequence[GpuReading], start_ns: int, end_ns: int) -> dict[str, Any]:
    during = [r for r in readings if start_ns <= r.t_ns <= end_ns]
    clocks = [r.sm_clock_mhz for r in during if r.sm_clock_mhz]
    bits = 0
    for r in during:
        bits |= r.reasons
    temps = [r.temperature_c for r in during if r.temperature_c is not None]
    powers = [r.power_w for r in during if r.power_w is not None]
    return {
        "readings": len(during),
        "sm_clock_mhz_min": min(clocks) if clocks else None,
        "sm_clock_mhz_median": statistics.median(clocks) if clocks else None,
        "sm_clock_mhz_max": max(clocks) if clocks else None,
        "temperature_c_max": max(temps) if temps else None,
        "power_w_median": statistics.median(powers) if powers else None,
        "reasons_seen": decode_reasons(bits),
        "throttled_readings": sum(1 for r in during if is_throttled(r.reasons)),
    }


def timed_clock_summary(
    figures: Mapping[str, Series], readings: Sequence[GpuReading]
) -> dict[str, Any]:
    """clock_summary over the readings taken while any figure was being sampled."""
    starts = [s.start_ns for s in figures.values() if s.start_ns]
    ends = [
        s.start_ns + int(s.sample_end_offsets_s[-1] * 1e9)
        for s in figures.values()
        if s.start_ns and s.sample_end_offsets_s
    ]
    return clock_summary(readings, min(starts, default=0), max(ends, default=0))


def check_gpu_state(
    before: dict[str, Any], summary: dict[str, Any], flagged: dict[str, int]
) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    if "error" in before:
        return [
            Diagnostic(
                "gpu_state_unknown",
                "info",
                f"GPU state not read: {before['error']}",
                "install nvidia-ml-py to record clocks, throttling and other processes",
            )
        ]
    others = before.get("other_processes") or []
    if others:
        found.append(
            Diagnostic(
                "gpu_shared",
                "warning",
                f"{len(others)} other process(es) use this GPU",
                "their kernels share the GPU with yours; measure on an idle GPU",
                {"processes": others},
            )
        )
    if before.get("mig_mode"):
        found.append(
            Diagnostic(
                "mig",
                "info",
                "MIG is enabled: figures apply to this GPU instance, not to the whole GPU",
                "never compare MIG slices with whole GPUs",
            )
        )
    if before.get("persistence_mode") is False:
        found.append(
            Diagnostic(
                "persistence_off",
                "info",
                "persistence mode is off: the driver may unload between runs (slow first call)",
                "infertime never changes it; an administrator can enable it with nvidia-smi -pm 1",
            )
        )
    max_clock = before.get("sm_clock_max_mhz")
    median_clock = summary.get("sm_clock_mhz_median")
    throttle_reasons = [r for r in summary.get("reasons_seen", []) if r not in ("GPU idle",)]
    if max_clock and median_clock and median_clock < LOW_CLOCK_RATIO * max_clock:
        found.append(
            Diagnostic(
                "low_clock",
                "warning" if summary.get("throttled_readings") else "info",
                f"SM clock during timing: median {median_clock:.0f} MHz of {max_clock} MHz max"
                + (f" ({', '.join(throttle_reasons)})" if throttle_reasons else ""),
                "a power or thermal limit holds the clock down; figures from such a run are "
                "slower than the GPU's best",
                {"median_mhz": median_clock, "max_mhz": max_clock},
            )
        )
    total_flagged = sum(flagged.values())
    if total_flagged:
        parts = ", ".join(f"{n} {figure}" for figure, n in flagged.items() if n)
        found.append(
            Diagnostic(
                "throttled_samples",
                "warning",
                f"samples taken while the GPU reported throttling: {parts}",
                "they are kept (the median is robust); for steady figures let the GPU cool or "
                "measure with a lighter duty cycle",
                dict(flagged),
            )
        )
    return found


def check_watched(state: GpuState, figures: Mapping[str, Series]) -> list[Diagnostic]:
    """The NVML watch of a measurement against its timed series (by name): throttling, low
    clocks, other processes, MIG."""
    readings = state.readings
    flagged = {name: len(throttled_samples(series, readings)) for name, series in figures.items()}
    summary = timed_clock_summary(figures, readings)
    return check_gpu_state(state.before, summary, flagged)
