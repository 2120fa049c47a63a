"""Sampling one figure until the CI of its median is tight enough, bounded by time and count."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from .. import stats
from ..devices.base import Device
from ..policies import StopPolicy, TimingPolicy
from ..records import Series, StopRecord
from .progress import ProgressSink, no_progress, short_duration
from .timing import time_block

RECENT = 64  # samples the running estimate on the progress line is made of
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


class ChainedBlocks:
    """Pipelined blocks on an asynchronous device, queued back to back with no synchronize
    between them: each block's start mark waits in the queue behind the previous block's work
    while the host queues this block, so every block measures the steady state, never the
    host's lead-in before its first kernel. (A synchronize per block let the device idle
    through that lead-in: with two 14.6 ms calls a block it added 4 % to torch.compile's
    device time at batch 256 on an H100.) One block is in flight while the previous one is
    read; the first is led by one untimed call, and `close()` drains the last, unread."""

    def __init__(self, call: Callable[[], Any], device: Device) -> None:
        self.call = call
        self.device = device
        self.timers = (device.new_timer(), device.new_timer())
        self.blocks = 0
        self.pending_calls = 0
        call()  # the first block's lead: the device is busy when its start mark is reached

    def queue(self, calls: int) -> None:
        timer, call = self.timers[self.blocks % 2], self.call  # no attribute lookup per call
        timer.start()
        for _ in range(calls):
            call()
        timer.stop()
        self.blocks += 1
        self.pending_calls = calls

    def next(self, calls: int) -> float:
        """Queue a block of `calls` calls, then read the one before it: seconds per call."""
        if self.blocks == 0:
            self.queue(calls)
        done, done_calls = self.timers[(self.blocks - 1) % 2], self.pending_calls
        self.queue(calls)
        done.wait()
        return done.elapsed_s() / done_calls

    def close(self) -> None:
        self.device.synchronize()


@contextmanager
def drained(chained: ChainedBlocks | None) -> Iterator[None]:
    """No block left in flight, whatever the sampling loop does; a failure while draining
    after another failure (a CUDA error) does not hide the first."""
    try:
        yield
    except BaseException:
        if chained is not None:
            with suppress(Exception):
                chained.close()
        raise
    if chained is not None:
        chained.close()


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
    chained = None if sync_each or device.kind == "cpu" else ChainedBlocks(call, device)
    with drained(chained):
        while not reason:
            if chained is not None:
                samples.append(chained.next(calls_per_sample))
            else:
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
                done = min(elapsed / budget_s, 1.0) if budget_s > 0 else 1.0
                # A running estimate from the latest samples only: a constant cost, outside
                # every timed region.
                recent = stats.median(samples[-RECENT:])  # seconds per call
                progress(figure, done, f"{n} samples, ≈{short_duration(recent)} a call")
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
