"""Latency measurements, device-agnostic: cold call, timer calibration, warm-up, the figures.

A measurement is a warm-up and then a round of sampling. When the calls were still getting
faster through the round (a transient slower than the warm-up's windows can see), the round is
counted as more warm-up and taken again, for as long as the warm-up's time cap allows; a
figure that never settled is marked so (WarmupRecord.steady is False).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from .. import stats
from ..devices.base import Device, MemoryReading
from ..errors import option
from ..policies import MeasureConfig, WarmupPolicy
from ..records import Series, WarmupRecord
from .progress import NOTICE, PLAN, ProgressSink, no_progress
from .sampler import pipelined_calls_per_sample, sample_device_time, sample_latency
from .timing import calibrate_timer_overhead, gc_paused, time_block
from .warmup import warm_up, window_calls

# Share of --max-time the latency figure may use; the device-time figure gets the rest.
LATENCY_BUDGET_SHARE = 0.5
# A captured graph on a warm device needs little warm-up (no allocation or algorithm choice).
REPLAY_WARMUP_MIN_S = 0.1
# One-sided 95 %: a false alarm costs only another round, a miss costs a biased median.
SETTLING_Z = 1.645
# A first call this slow gets a notice of how long the measurement will take.
SLOW_CALL_S = 0.5


def expected_s(call_s: float, config: MeasureConfig) -> float:
    """How long warm-up and sampling should take (the first call standing for all): the
    minimum warm-up, not its cap, and the whole sampling budget."""
    w = config.warmup
    return max(w.min_time_s, w.min_calls * call_s) + max(config.stop.max_time_s, 2 * call_s)


def slow_call_notice(call_s: float, config: MeasureConfig) -> str:
    """How long warm-up and sampling will take with calls this long (the first call, which is
    often the slowest, stands for all)."""
    w = config.warmup
    # Warm-up and sampling each end with a call already under way when their limit passes,
    # and the output is checked once more at the end: a call each, besides the first.
    warm_s = min(w.max_time_s, max(w.min_time_s, w.min_calls * call_s)) + call_s
    sample_s = max(config.stop.max_time_s, 2 * call_s) + call_s
    total = call_s + warm_s + sample_s + call_s
    about = f"{total / 60:.0f} min" if total >= 120 else f"{total:.0f} s"
    return (
        f"the first call took {call_s:.2g} s: this measurement will take about {about} "
        f"(warm-up up to {warm_s:.0f} s, then about {sample_s:.0f} s of sampling); "
        f"{option('max_time_s')} bounds both"
    )


Round = Callable[[WarmupRecord], dict[str, Series]]


@dataclass(frozen=True)
class FiguresRun:
    """What the engine measured; the kind's measure step adds settings and environment."""

    warmup: WarmupRecord
    timer_overhead_s: float
    figures: dict[str, Series]
    memory: MemoryReading
    # Memory held after sampling minus before it (after warm-up), over that many calls: a
    # model that keeps something from every call grows it.
    memory_growth_bytes: int | None = None
    calls_sampled: int = 0


# Device time per call this far above latency, beyond both CIs, is not a real difference.
CONSISTENCY_MARGIN = 0.05


def device_time_above_latency(latency: Series, device_time: Series) -> bool:
    """Pipelined calls measured slower than synchronous ones, beyond noise (which cannot be:
    the GPU never waits for the host between pipelined calls, and on a CPU the two are the
    same quantity). Without CIs, only a gap of more than half counts."""
    lat, dev = latency.summary, device_time.summary
    if dev.median <= lat.median * (1 + CONSISTENCY_MARGIN):
        return False
    if lat.median_ci is not None and dev.median_ci is not None:
        return dev.median_ci[0] > lat.median_ci[1]
    return dev.median > 1.5 * lat.median


def settled_call_s(warm: WarmupRecord, warmup: WarmupPolicy) -> float:
    """What one call takes once warm: the median of the last warm-up window."""
    return warm.recent_call_s(window_calls(warm.recent_call_s(10), warmup))


def sample_until_settled(
    warm: WarmupRecord, take_round: Round, warmup: WarmupPolicy, progress: ProgressSink
) -> tuple[WarmupRecord, dict[str, Series]]:
    """Rounds of sampling until one shows no calls still getting faster (or the cap)."""
    rewarms = 0
    while True:
        figures = take_round(warm)
        spent = sum(s.stop.elapsed_s for s in figures.values() if s.stop)
        if not still_settling(warm, figures):
            return warm, figures
        if warm.seconds + spent > warmup.max_time_s:
            return unsettled(warm, warmup), figures
        rewarms += 1
        progress("warm-up", None, "calls still getting faster: warming up longer")
        warm = extended(warm, figures, spent, rewarms)


def still_settling(warm: WarmupRecord, figures: dict[str, Series]) -> bool:
    """Did the calls keep getting faster from the warm-up's end through these figures?

    The latency record is its samples and, before them, as many of the latest warm-up calls,
    or the second half of the warm-up when that is longer (a slow transient shows over
    seconds, not within one sampling budget); each other figure is a segment of its own.
    """
    segments: list[list[float]] = []
    for name, series in figures.items():
        if name != "latency" or series.calls_per_sample != 1:
            segments.append(list(series.samples_s))  # not on the warm-up's single-call scale
            continue
        # The first warm-up calls carry first-call costs; a short warm-up keeps two thirds.
        warm_calls = len(warm.samples_s) - min(stats.WARMUP_SKIP, len(warm.samples_s) // 3)
        tail = min(warm_calls, max(len(series.samples_s), warm_calls // 2))
        head = warm.samples_s[-tail:] if tail > 0 else ()
        segments.append([*head, *series.samples_s])
    change = stats.significant_trend(segments, z_needed=SETTLING_Z)
    return change is not None and change < 0


def unsettled(warm: WarmupRecord, warmup: WarmupPolicy) -> WarmupRecord:
    return replace(
        warm,
        steady=False,
        message=f"{warm.message}; calls were still getting faster when the warm-up's "
        f"{warmup.max_time_s:g} s cap was reached",
    )


def extended(
    warm: WarmupRecord, figures: dict[str, Series], spent_s: float, rewarms: int
) -> WarmupRecord:
    """The warm-up with a round of samples counted in (single-call latency samples kept)."""
    calls = warm.calls + sum(s.summary.n * s.calls_per_sample for s in figures.values())
    seconds = warm.seconds + spent_s
    latency = figures.get("latency")
    kept = latency.samples_s if latency is not None and latency.calls_per_sample == 1 else ()
    first = warm.message.split("; warm-up extended", 1)[0]
    return replace(
        warm,
        calls=calls,
        seconds=seconds,
        samples_s=(*warm.samples_s, *kept),
        message=(
            f"{first}; warm-up extended {rewarms} time(s), to {calls} calls and "
            f"{seconds:.2f} s, because calls were still getting faster while being sampled"
        ),
    )


def measure_figures(
    call: Callable[[], Any],
    device: Device,
    config: MeasureConfig,
    *,
    on_first_output: Callable[[Any], None] | None = None,
    progress: ProgressSink = no_progress,
) -> FiguresRun:
    """Latency (synchronous request) and pipelined device time per call of `call` on `device`
    (on a CPU, where the two are one quantity, latency alone with the whole budget).

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
        if cold_s >= SLOW_CALL_S:
            progress(NOTICE, None, slow_call_notice(cold_s, config))
        progress(PLAN, expected_s(cold_s, config), "warm-up and sampling")

        # On a CPU a call runs synchronously: pipelined device time is the same quantity as
        # latency, so the whole budget goes to latency and it is the one figure.
        pipelined = device.kind != "cpu"

        def take_round(warm: WarmupRecord) -> dict[str, Series]:
            call_s = settled_call_s(warm, config.warmup)
            latency = sample_latency(
                "latency",
                call,
                device,
                call_s=call_s,
                overhead_s=overhead_s,
                timing=config.timing,
                policy=config.stop,
                budget_s=budget * LATENCY_BUDGET_SHARE if pipelined else budget,
                progress=progress,
            )
            if not pipelined:
                return {"latency": latency}
            # One untimed block moves the device into the pipelined regime and sizes blocks.
            settle_calls = pipelined_calls_per_sample(call_s, overhead_s, config.timing)
            pipe_s = time_block(
                call, device, device.new_timer(), settle_calls, sync_each=False, prime=True
            )
            spent = latency.stop.elapsed_s if latency.stop else 0.0
            calls = pipelined_calls_per_sample(pipe_s, overhead_s, config.timing)
            device_time = sample_device_time(
                call,
                device,
                calls_per_sample=calls,
                policy=config.stop,
                budget_s=budget - spent,  # at least the other share: latency stops at its own
                progress=progress,
            )
            if device_time_above_latency(latency, device_time):
                # Back-to-back calls cannot take longer than calls waited for one by one:
                # something disturbed one figure. Measure device time once more.
                progress("device time", None, "above latency: measuring again")
                device_time = sample_device_time(
                    call,
                    device,
                    calls_per_sample=calls,
                    policy=config.stop,
                    budget_s=budget * (1 - LATENCY_BUDGET_SHARE),
                    progress=progress,
                )
            return {"latency": latency, "device_time": device_time}

        warm = warm_up(call, device, config.warmup, cold_s, progress)
        held = device.allocated_bytes()
        calls_before = warm.calls
        warm, figures = sample_until_settled(warm, take_round, config.warmup, progress)
        after = device.allocated_bytes()
        memory = device.memory()
    calls = warm.calls - calls_before
    calls += sum(s.summary.n * s.calls_per_sample for s in figures.values())
    return FiguresRun(
        warmup=warm,
        timer_overhead_s=overhead_s,
        figures=figures,
        memory=memory,
        memory_growth_bytes=after - held if held is not None and after is not None else None,
        calls_sampled=calls,
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
    warmup = replace(config.warmup, min_time_s=REPLAY_WARMUP_MIN_S)

    def take_round(warm: WarmupRecord) -> dict[str, Series]:
        series = sample_latency(
            figure,
            call,
            device,
            call_s=settled_call_s(warm, warmup),
            overhead_s=overhead_s,
            timing=config.timing,
            policy=config.stop,
            budget_s=config.stop.max_time_s * LATENCY_BUDGET_SHARE,
            progress=progress,
        )
        return {"latency": series}

    with device.activate(), gc_paused(config.timing.disable_gc):
        warm = warm_up(call, device, warmup, 0.0, progress)
        _, figures = sample_until_settled(warm, take_round, warmup, progress)
    return figures["latency"]
