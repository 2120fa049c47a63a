"""The one place the report reads NVML readings and the kernel-time pass from a result
(today's untyped `analysis` dict; the pipeline refactor types them, and only this changes)."""

from __future__ import annotations

from typing import Any

from ...diagnose.gpu import throttled_samples
from ...records import Series
from ...telemetry.gpu_monitor import readings_of
from ...telemetry.nvml import GpuReading


def readings(result: Any) -> list[GpuReading]:
    """NVML readings taken while the result was measured (none on a CPU or without NVML)."""
    state = (getattr(result, "analysis", None) or {}).get("gpu_state")
    return readings_of(state) if isinstance(state, dict) else []


def throttled(series: Series, result: Any) -> list[int]:
    """Indices of the samples of `series` whose latest NVML reading shows a throttle reason."""
    found = readings(result)
    return throttled_samples(series, found) if found else []


def launch(result: Any) -> dict[str, Any] | None:
    """The kernel-time pass (CUPTI): kernel_time_s, busy_fraction, verdict; None if not run."""
    value = (getattr(result, "analysis", None) or {}).get("launch")
    return value if isinstance(value, dict) and "kernel_time_s" in value else None
