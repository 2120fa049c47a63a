"""NVML readings and throttle flags from a result's typed sections (sections.GpuState), for
every kind: `analysis.gpu_state` is on the `Analysis` base."""

from __future__ import annotations

from typing import Any

from ...diagnose.gpu import throttled_samples
from ...records import Series
from ...sections import GpuReading, GpuState


def state(result: Any) -> GpuState | None:
    """The NVML watch around the engine step; None on a CPU, without NVML, or not recorded."""
    analysis = getattr(result, "analysis", None)
    found = getattr(analysis, "gpu_state", None)
    return found if isinstance(found, GpuState) else None


def readings(result: Any) -> tuple[GpuReading, ...]:
    """NVML readings taken while the result was measured (none on a CPU or without NVML)."""
    found = state(result)
    return found.readings if found is not None else ()


def throttled(series: Series, result: Any) -> list[int]:
    """Indices of the samples of `series` whose latest NVML reading shows a throttle reason."""
    found = readings(result)
    return throttled_samples(series, found) if found else []
