"""A whole throughput measurement: max-fit search, curve, refinement, and the batch choices."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..devices.base import Device
from ..errors import CallFailed, OutOfMemoryError
from ..policies import MeasureConfig, StopPolicy, ThroughputPolicy
from ..records import Series
from .batch_search import Prober, SearchLimits, SearchResult, find_max_fit, in_process_prober
from .budget import P99_SAMPLES, BudgetChoice, choose_under_budget
from .curve import (
    CurvePoint,
    geometric_grid,
    measure_point,
    ok_points,
    pick_knee,
    pick_peak,
    refine_knee,
    refine_peak,
    remeasure_dips,
)
from .progress import CONTEXT, ProgressSink, no_progress
from .sampler import sample_series
from .timing import calibrate_timer_overhead, gc_paused


@dataclass(frozen=True)
class ThroughputRun:
    """What the engine measured; the kind's measure step adds settings and environment."""

    search: SearchResult
    points: tuple[CurvePoint, ...]
    peak_batch: int
    knee_batch: int
    budget: BudgetChoice | None
    timer_overhead_s: float


def run_throughput(
    make_call: Callable[[int], Callable[[], Any]],
    device: Device,
    config: MeasureConfig,
    policy: ThroughputPolicy,
    prober: Prober | None = None,
    progress: ProgressSink = no_progress,
) -> ThroughputRun:
    """Find the max-fit batch, measure the curve up to it, refine, and choose batches."""
    with device.activate():
        if device.oom_signal and policy.memory_fraction is not None:
            device.limit_memory(policy.memory_fraction)
        try:
            return _measure(make_call, device, config, policy, prober, progress)
        finally:
            if device.oom_signal and policy.memory_fraction is not None:
                device.limit_memory(None)


def _measure(
    make_call: Callable[[int], Callable[[], Any]],
    device: Device,
    config: MeasureConfig,
    policy: ThroughputPolicy,
    prober: Prober | None,
    progress: ProgressSink,
) -> ThroughputRun:
    limits = SearchLimits(
        max_batch=policy.max_batch,
        oom_signal=device.oom_signal,
        memory_fraction=policy.memory_fraction or 0.9,
        max_call_s=policy.cpu_max_call_s,
    )
    search = find_max_fit(prober or in_process_prober(make_call, device), limits, device, progress)
    with gc_paused(config.timing.disable_gc):
        overhead = calibrate_timer_overhead(device, config.timing.timer_calibration_pairs)

    def measure(batch: int, reason: str) -> CurvePoint:
        progress(CONTEXT, None, f"batch {batch}")
        return measure_point(make_call, device, batch, config, overhead, reason, progress)

    points = [measure(b, "grid") for b in geometric_grid(search.max_fit)]
    if not ok_points(points):
        raise OutOfMemoryError(
            f"no batch size could be measured on {device.name}: {points[0].error}",
            advice="free the device or pass a smaller --max-batch",
        )
    remeasure_dips(points, measure)
    refine_peak(points, measure, policy.max_refine)
    refine_knee(points, measure, policy.knee_fraction, 3)
    # Refinement adds points: each is checked like the grid's before any choice is made.
    remeasure_dips(points, measure)
    budget = None
    if policy.latency_budget_s is not None:
        budget = choose_under_budget(
            points,
            policy.latency_budget_s,
            policy.budget_stat,
            measure,
            lambda b: tail_latency(make_call, device, b, config, policy.p99_max_time_s, progress),
            lambda: device.now_ns() * 1e-9,
            policy.budget_max_time_s,
        )
    peak = pick_peak(points)
    knee = pick_knee(points, peak, policy.knee_fraction)
    return ThroughputRun(
        search=search,
        points=tuple(sorted(points, key=lambda p: p.batch)),
        peak_batch=peak.batch,
        knee_batch=knee.batch,
        budget=budget,
        timer_overhead_s=overhead,
    )


def tail_latency(
    make_call: Callable[[int], Callable[[], Any]],
    device: Device,
    batch: int,
    config: MeasureConfig,
    max_time_s: float,
    progress: ProgressSink,
) -> Series:
    """Up to 662 synchronous latency samples at one batch, for its p99."""
    policy = StopPolicy(
        precision=1e-9, min_samples=P99_SAMPLES, max_samples=P99_SAMPLES, max_time_s=max_time_s
    )
    try:
        call = make_call(batch)
        with gc_paused(config.timing.disable_gc):
            for _ in range(3):
                call()
            device.synchronize()
            # One call per sample, whatever its length: a p99 is a tail of single calls.
            return sample_series(
                "latency",
                call,
                device,
                calls_per_sample=1,
                sync_each=True,
                policy=policy,
                budget_s=max_time_s,
                progress=progress,
            )
    except Exception as exc:  # an OOM too: the point itself ran at this batch
        raise CallFailed(batch, exc) from exc
