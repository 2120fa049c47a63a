"""One latency measurement, device-agnostic: cold call, timer calibration, warm-up, two figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import stats
from ..config import MeasureConfig
from ..devices.base import Device, MemoryReading
from ..results import Series, WarmupRecord
from .progress import ProgressSink, no_progress
from .sampler import latency_calls_per_sample, pipelined_calls_per_sample, sample_series
from .timing import calibrate_timer_overhead, gc_paused, time_block
from .warmup import warm_up, window_calls

# Share of --max-time the latency figure may use; the device-time figure gets the rest.
LATENCY_BUDGET_SHARE = 0.5


@dataclass(frozen=True)
class EngineRun:
    """What the engine measured; the API layer adds settings and environment to make a result."""

    warmup: WarmupRecord
    timer_overhead_s: float
    figures: dict[str, Series]
    memory: MemoryReading


def measure_call(
    call: Callable[[], Any],
    device: Device,
    config: MeasureConfig,
    *,
    on_first_output: Callable[[Any], None] | None = None,
    progress: ProgressSink = no_progress,
) -> EngineRun:
    """Measure latency and pipelined device time of `call` on `device`.

    `on_first_output` sees the first call's output (outside any timed region), e.g. to reject
    NaN; an exception from it or from the call propagates before anything else is timed.
    """
    with device.activate(), gc_paused(config.timing.disable_gc):
        device.reset_peak_memory()
        first: list[Any] = []
        cold_s = time_block(lambda: first.append(call()), device, device.new_timer(), 1, True)
        if on_first_output is not None:
            on_first_output(first[0])
        first.clear()

        overhead_s = calibrate_timer_overhead(device, config.timing.timer_calibration_pairs)
        warm = warm_up(call, device, config.warmup, cold_s, progress)
        recent = warm.samples_s[-window_calls(stats.median(warm.samples_s[-10:]), config.warmup) :]
        call_s = stats.median(recent)

        budget = config.stop.max_time_s
        latency = sample_series(
            "latency",
            call,
            device,
            calls_per_sample=latency_calls_per_sample(call_s, overhead_s, config.timing),
            sync_each=True,
            policy=config.stop,
            budget_s=budget * LATENCY_BUDGET_SHARE,
            progress=progress,
        )

        # One untimed block moves the device into the pipelined regime and sizes its blocks.
        settle_calls = pipelined_calls_per_sample(call_s, overhead_s, config.timing)
        pipe_s = time_block(call, device, device.new_timer(), settle_calls, sync_each=False)
        spent = latency.stop.elapsed_s if latency.stop else 0.0
        device_time = sample_series(
            "device_time",
            call,
            device,
            calls_per_sample=pipelined_calls_per_sample(pipe_s, overhead_s, config.timing),
            sync_each=False,
            policy=config.stop,
            budget_s=budget - spent,  # at least the other share: latency stops at its own
            progress=progress,
        )
        memory = device.memory()
    return EngineRun(
        warmup=warm,
        timer_overhead_s=overhead_s,
        figures={"latency": latency, "device_time": device_time},
        memory=memory,
    )
