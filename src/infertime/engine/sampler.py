"""Sampling one figure until the CI of its median is tight enough, bounded by time and count."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import stats
from ..devices.base import Device
from ..policies import StopPolicy, TimingPolicy
from ..records import Series, StopRecord
from .progress import ProgressSink, no_progress
from .timing import time_block

PROGRESS_INTERVAL_S = 0.1  # how often the progress sink hears from a sampling loop


def latency_calls_per_sample(call_s: float, overhead_s: float, timing: TimingPolicy) -> int:
    """1 for calls long enough that the timer's overhead is negligible, else a block."""
    threshold = max(timing.block_threshold_s, overhead_s / timing.max_overhead_ratio)
    if call_s >= threshold:
        return 1
    return math.ceil(threshold / max(call_s, 1e-9))


def pipelined_calls_per_sample(call_s: float, overhead_s: float, timing: TimingPolicy) -> int:
    """Enough back-to-back calls that a block lasts `pipeline_block_s` (and at least 2 calls)."""
    target = max(timing.pipeline_block_s, overhead_s / timing.max_overhead_ratio)
    return max(timing.min_pipeline_calls, math.ceil(target / max(call_s, 1e-9)))


def _stop_record(
    reason: str, samples: list[float], policy: StopPolicy, elapsed: float, budget_s: float
) -> StopRecord:
    rel = stats.median_ci_half_width(samples, policy.confidence)
    n = len(samples)
    ci = f"CI of the median ±{rel:.2%}" if rel is not None else "CI of the median undefined"
    target = f"target ±{policy.precision:.2%}"
    if reason == "precision":
        passes = policy.consecutive_passes
        checks = f" at {passes} checks in a row" if passes > 1 else ""
        message = f"{ci} ≤ {target}{checks}, after {n} samples ({elapsed:.2f} s)"
    elif reason == "max_time" and budget_s <= 0:
        message = f"no time budget left (earlier figures used it) after {n} samples; {ci}"
    elif reason == "max_time":
        short = (
            f" (fewer than the {policy.min_samples} asked for)" if n < policy.min_samples else ""
        )
        relation = "≤" if rel is not None and rel <= policy.precision else ">"
        message = (
            f"time budget {budget_s:.2f} s reached after {n} samples{short}; "
            f"{ci} {relation} {target}"
        )
    else:
        message = f"sample cap {policy.max_samples} reached; {ci} vs {target}"
    return StopRecord(reason, message, policy.precision, rel, elapsed)


def sample_series(
    figure: str,
    call: Callable[[], Any],
    device: Device,
    *,
    calls_per_sample: int,
    sync_each: bool,
    policy: StopPolicy,
    budget_s: float,
    progress: ProgressSink = no_progress,
) -> Series:
    """Collect samples until precision is reached (after min samples), the budget or the cap."""
    timer = device.new_timer()
    samples: list[float] = []
    offsets: list[float] = []
    t0 = device.now_ns()
    next_check = policy.min_samples
    passes = 0  # consecutive checks that met the precision target
    reported = -PROGRESS_INTERVAL_S
    reason = ""
    while not reason:
        samples.append(time_block(call, device, timer, calls_per_sample, sync_each))
        elapsed = (device.now_ns() - t0) * 1e-9
        offsets.append(elapsed)
        n = len(samples)
        if n >= next_check:
            rel = stats.median_ci_half_width(samples, policy.confidence)
            # One passing check is not enough: stopping on the first CI that happens to be
            # narrow makes the reported CIs cover less than they say (docs/statistics.md).
            passes = passes + 1 if rel is not None and rel <= policy.precision else 0
            if passes >= policy.consecutive_passes:
                reason = "precision"
            # Re-check at ~10 % more samples: sorting stays off the per-sample path.
            next_check = max(n + 1, math.ceil(n * 1.1))
        if elapsed - reported >= PROGRESS_INTERVAL_S:  # slow calls report every sample
            reported = elapsed
            progress(figure, min(elapsed / budget_s, 1.0) if budget_s > 0 else 1.0, f"{n} samples")
        if not reason and elapsed >= budget_s:
            reason = "max_time"
        if not reason and n >= policy.max_samples:
            reason = "max_samples"
    return Series(
        figure=figure,
        samples_s=tuple(samples),
        calls_per_sample=calls_per_sample,
        sample_end_offsets_s=tuple(offsets),
        stop=_stop_record(reason, samples, policy, elapsed, budget_s),
        confidence=policy.confidence,
        start_ns=t0,
    )


def sample_latency(
    figure: str,
    call: Callable[[], Any],
    device: Device,
    *,
    call_s: float,
    overhead_s: float,
    timing: TimingPolicy,
    policy: StopPolicy,
    budget_s: float,
    progress: ProgressSink = no_progress,
) -> Series:
    """Synchronous requests: each call synchronized; short calls timed in blocks of calls."""
    return sample_series(
        figure,
        call,
        device,
        calls_per_sample=latency_calls_per_sample(call_s, overhead_s, timing),
        sync_each=True,
        policy=policy,
        budget_s=budget_s,
        progress=progress,
    )


def sample_device_time(
    call: Callable[[], Any],
    device: Device,
    *,
    calls_per_sample: int,
    policy: StopPolicy,
    budget_s: float,
    progress: ProgressSink = no_progress,
) -> Series:
    """Pipelined: blocks of back-to-back calls, one synchronize per block."""
    return sample_series(
        "device_time",
        call,
        device,
        calls_per_sample=calls_per_sample,
        sync_each=False,
        policy=policy,
        budget_s=budget_s,
        progress=progress,
    )
