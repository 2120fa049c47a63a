"""All checks of a latency result, in one place, in the order they are shown."""

from __future__ import annotations

from typing import Any

from ..gpu_state import GpuReading
from ..results import Diagnostic, LatencyResult
from .gpu import check_gpu_state, throttled_samples, timed_clock_summary
from .host import check_environment
from .launch import launch_diagnostic
from .noise import check_series, check_warmup

CUPTI_ATTACHED = Diagnostic(
    "cupti_attached",
    "warning",
    "a kernel-time pass (CUPTI) ran earlier in this process: every kernel launch now costs "
    "more, so launch-bound figures are inflated (batch-1 EfficientNet-B0 on an H100: +10 % to "
    "+100 %)",
    "measure in a fresh process (as `infertime run` does), or pass diagnose=False to every "
    "measurement but the last one in a process",
)


def check_result(result: LatencyResult) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    if result.analysis.get("cupti_attached_before"):
        found.append(CUPTI_ATTACHED)
    launch = result.analysis.get("launch")
    if launch:
        found.append(launch_diagnostic(launch))
    found.extend(check_warmup(result.warmup))
    for series in result.figures.values():
        found.extend(check_series(series))
    state = result.analysis.get("gpu_state")
    if state:
        found.extend(check_state(result, state))
    device_kind = result.settings.device.split(":")[0]
    found.extend(check_environment(result.environment, device_kind))
    return found


def check_state(result: LatencyResult, state: dict[str, Any]) -> list[Diagnostic]:
    readings = [GpuReading.from_dict(r) for r in state.get("readings", [])]
    flagged = {
        name: len(throttled_samples(series, readings)) for name, series in result.figures.items()
    }
    summary = timed_clock_summary(result.figures, readings)
    return check_gpu_state(state.get("before", {}), summary, flagged)
