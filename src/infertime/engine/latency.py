"""Latency measurements, device-agnostic: cold call, timer calibration, warm-up, the figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..devices.base import Device, MemoryReading
from ..policies import MeasureConfig, WarmupPolicy
from ..records import Series, WarmupRecord
from .progress import ProgressSink, no_progress
from .sampler import pipelined_calls_per_sample, sample_device_time, sample_latency
from .timing import calibrate_timer_overhead, gc_paused, time_block
from .warmup import warm_up, window_calls

# Share of --max-time the latency figure may use; the device-time figure gets the rest.
LATENCY_BUDGET_SHARE = 0.5
# A captured graph on a warm device needs little warm-up (no allocation or algorithm choice).
REPLAY_WARMUP_MIN_S = 0.1


@dataclass(frozen=True)
class FiguresRun:
    """What the engine measured; the kind's measure step adds settings and environment."""

    warmup: WarmupRecord
    timer_overhead_s: float
    figures: dict[str, Series]
    memory: MemoryReading


def _warm_then_latency(
    figure: str,
    call: Callable[[], Any],
    device: Device,
    config: MeasureConfig,
    warmup: WarmupPolicy,
    cold_s: float,
    overhead_s: float,
    budget_s: float,
    progress: ProgressSink,
) -> tuple[WarmupRecord, float, Series]:
    """Warm up until steady, then sample synchronous latency: (warm-up, settled call, series)."""
    warm = warm_up(call, device, warmup, cold_s, progress)
    call_s = warm.recent_call_s(window_calls(warm.recent_call_s(10), warmup))
    latency = sample_latency(
        figure,
        call,
        device,
        call_s=call_s,
        overhead_s=overhead_s,
        timing=config.timing,
        policy=config.stop,
        budget_s=budget_s,
        progress=progress,
    )
    return warm, call_s, latency


def measure_figures(
    call: Callable[[], Any],
    device: Device,
    config: MeasureConfig,
    *,
    on_first_output: Callable[[Any], None] | None = None,
    progress: ProgressSink = no_progress,
) -> FiguresRun:
    """Latency (synchronous request) and pipelined device time per call of `call` on `device`.

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
        budget = config.stop.max_time_s
        warm, call_s, latency = _warm_then_latency(
            "latency",
            call,
            device,
            config,
            config.warmup,
            cold_s,
            overhead_s,
            budget * LATENCY_BUDGET_SHARE,
            progress,
        )
        # One untimed block moves the device into the pipelined regime and sizes its blocks.
        settle_calls = pipelined_calls_per_sample(call_s, overhead_s, config.timing)
        pipe_s = time_block(call, device, device.new_timer(), settle_calls, sync_each=False)
        spent = latency.stop.elapsed_s if latency.stop else 0.0
        device_time = sample_device_time(
            call,
            device,
            calls_per_sample=pipelined_calls_per_sample(pipe_s, overhead_s, config.timing),
            policy=config.stop,
            budget_s=budget - spent,  # at least the other share: latency stops at its own
            progress=progress,
        )
        memory = device.memory()
    return FiguresRun(
        warmup=warm,
        timer_overhead_s=overhead_s,
        figures={"latency": latency, "device_time": device_time},
        memory=memory,
    )


def measure_replay_latency(
    figure: str,
    call: Callable[[], Any],
    device: Device,
    config: MeasureConfig,
    overhead_s: float,
    progress: ProgressSink = no_progress,
) -> Series:
    """Latency of an already warm call (a graph replay): short warm-up, half the budget."""
    with device.activate(), gc_paused(config.timing.disable_gc):
        warmup = replace(config.warmup, min_time_s=REPLAY_WARMUP_MIN_S)
        _, _, series = _warm_then_latency(
            figure,
            call,
            device,
            config,
            warmup,
            0.0,
            overhead_s,
            config.stop.max_time_s * LATENCY_BUDGET_SHARE,
            progress,
        )
    return series
