"""Throughput curve: items/s at batches on a geometric grid, refined where neighbours differ.

Each point is the article's throughput, (calls x batch) / seconds over back-to-back calls with
a timer around the block, sampled until the CI of its median is tight enough; it carries its
latency per call and its peak memory.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from ..devices.base import Device, MemoryReading
from ..errors import CallFailed, first_line
from ..policies import MeasureConfig, StopPolicy, WarmupPolicy
from ..records import Series
from .progress import ProgressSink, no_progress
from .sampler import sample_device_time, sample_latency
from .timing import gc_paused
from .warmup import warm_up

POINT_BLOCK_S = 0.02  # a pipelined sample of a curve point lasts at least this long (as in run)
# The fewest samples for a 95 % CI of the median that allows for serial correlation
# (stats.serial_inflation) when the samples look independent.
POINT_MIN_SAMPLES = 16
# A point may outrun --max-time to reach its minimum samples, but not beyond this, unless it
# needs more for POINT_FLOOR_SAMPLES: EfficientNet-B0's largest batches take 0.2-0.6 s a call
# on an H100, and 16 samples at every large point made the whole curve take 90 s instead of 45.
# Slower points get fewer samples, and CIs that say so (often n/a at 6 samples: that few cannot
# rule out serial correlation).
POINT_MAX_TIME_S = 2.5
POINT_FLOOR_SAMPLES = 6  # the fewest with a distribution-free 95 % CI of the median
TIE_TOLERANCE = 0.01  # a smaller batch ties with the peak if within noise and within 1 %
# Differences below this are never told apart, however tight the CIs: between-process spread
# of large-batch throughput is a few tenths of a percent (docs/validation).
NOISE_FLOOR = 0.005


@dataclass(frozen=True)
class CurvePoint:
    """Throughput at one batch size, with its raw samples."""

    batch: int
    reason: str  # "grid", "peak", "knee" or "budget"
    status: str  # "ok", "oom", or "dip" (far below both neighbours twice: not used for choices)
    device_time: Series | None = None
    latency: Series | None = None
    warmup_steady: bool | None = None
    memory: MemoryReading | None = None  # peak memory of the point (None when it did not run)
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.device_time is not None

    @property
    def measured(self) -> bool:
        """It ran and has a throughput (which `ok` also requires to be plausible)."""
        return self.device_time is not None

    @property
    def items_per_s(self) -> float:
        assert self.device_time is not None
        return self.batch / self.device_time.summary.median

    @property
    def items_per_s_ci(self) -> tuple[float, float] | None:
        assert self.device_time is not None
        ci = self.device_time.summary.median_ci
        if ci is None or ci[0] <= 0:
            return None
        return self.batch / ci[1], self.batch / ci[0]


def point_policies(config: MeasureConfig) -> tuple[WarmupPolicy, StopPolicy, StopPolicy]:
    """Warm-up and stopping for curve points: a new batch size on an already warm device."""
    # A new batch size on a warm device: first-call costs (allocation, algorithm choice) are
    # gone after a call or two, so warm-up is short and capped at half a second.
    warm = WarmupPolicy(
        min_time_s=0.05,
        min_calls=2,
        window_calls=2,
        window_time_s=0.02,
        windows=2,
        tolerance=0.02,
        max_time_s=0.5,
    )
    # Half the run's budget per point (large calls get what their minimum samples need): a
    # curve has a dozen or more points, and the whole measurement should take about a minute.
    stop = replace(
        config.stop, min_samples=POINT_MIN_SAMPLES, max_time_s=config.stop.max_time_s / 2
    )
    latency = replace(config.stop, min_samples=20, precision=0.05, max_time_s=0.3)
    return warm, stop, latency


def pipelined_calls(call_s: float) -> int:
    return max(1, math.ceil(POINT_BLOCK_S / max(call_s, 1e-9)))


def measure_point(
    make_call: Callable[[int], Callable[[], Any]],
    device: Device,
    batch: int,
    config: MeasureConfig,
    overhead_s: float,
    reason: str,
    progress: ProgressSink = no_progress,
) -> CurvePoint:
    """Warm up the new shape, then sample throughput (and latency) at `batch`."""
    warm_policy, stop, latency_stop = point_policies(config)
    device.release_memory(collect=False)
    device.reset_peak_memory()
    t0 = device.now_ns()
    try:
        with gc_paused(config.timing.disable_gc):
            device_time, latency, steady = _sample_point(
                make_call,
                device,
                batch,
                warm_policy,
                stop,
                latency_stop,
                overhead_s,
                config,
                progress,
            )
    except Exception as exc:
        if not device.is_oom(exc):
            raise CallFailed(batch, exc) from exc
        error = first_line(exc)
    else:
        memory = device.memory()
        return CurvePoint(
            batch,
            reason,
            "ok",
            device_time,
            latency,
            steady,
            memory,
            (device.now_ns() - t0) * 1e-9,
        )
    device.release_memory()
    return CurvePoint(batch, reason, "oom", seconds=(device.now_ns() - t0) * 1e-9, error=error)


def _sample_point(
    make_call: Callable[[int], Callable[[], Any]],
    device: Device,
    batch: int,
    warm_policy: WarmupPolicy,
    stop: StopPolicy,
    latency_stop: StopPolicy,
    overhead_s: float,
    config: MeasureConfig,
    progress: ProgressSink,
) -> tuple[Series, Series, bool]:
    call = make_call(batch)
    warm = warm_up(call, device, warm_policy, 0.0, progress)  # its first call is the cold one
    call_s = warm.recent_call_s(4)
    k = pipelined_calls(call_s)
    enough = (POINT_MIN_SAMPLES + 0.5) * k * call_s
    cap = max(POINT_MAX_TIME_S, (POINT_FLOOR_SAMPLES + 0.5) * k * call_s)
    device_time = sample_device_time(
        call,
        device,
        calls_per_sample=k,
        policy=stop,
        budget_s=min(max(stop.max_time_s, enough), cap),
        progress=progress,
    )
    if k == 1:
        # One call per sample, synchronized: the pipelined samples are latency samples.
        latency = replace(device_time, figure="latency")
    else:
        latency = sample_latency(
            "latency",
            call,
            device,
            call_s=call_s,
            overhead_s=overhead_s,
            timing=config.timing,
            policy=latency_stop,
            budget_s=latency_stop.max_time_s,
            progress=progress,
        )
    return device_time, latency, warm.steady


def geometric_grid(max_batch: int, start: int = 1) -> list[int]:
    """Powers of two from `start` up to `max_batch`, and `max_batch` itself."""
    grid = []
    b = start
    while b < max_batch:
        grid.append(b)
        b *= 2
    grid.append(max_batch)
    return grid


def midpoint(a: int, b: int) -> int | None:
    """A batch between a and b (geometric mean), on a multiple of 8 when the gap allows."""
    lo, hi = min(a, b), max(a, b)
    if hi - lo < 2:
        return None
    mid = round(math.sqrt(lo * hi))
    if hi - lo > 32:
        mid = max(lo + 1, min(hi - 1, round(mid / 8) * 8))
    return mid if lo < mid < hi else None


def relative_noise(p: CurvePoint, q: CurvePoint) -> float:
    """How far apart two throughputs may be and still be one value: CIs, at least a floor."""
    ref = max(p.items_per_s, q.items_per_s)
    half = 0.0
    for point in (p, q):
        ci = point.items_per_s_ci
        half += (ci[1] - ci[0]) / 2 if ci else 0.01 * ref
    return max(NOISE_FLOOR, half / ref)


def differ(p: CurvePoint, q: CurvePoint) -> bool:
    """True when two throughputs differ by more than their noise (and the floor)."""
    ref = max(p.items_per_s, q.items_per_s)
    return abs(p.items_per_s - q.items_per_s) / ref > relative_noise(p, q)


def ok_points(points: list[CurvePoint]) -> list[CurvePoint]:
    return sorted((p for p in points if p.ok), key=lambda p: p.batch)


# A point whose throughput is below this share of both neighbours' is not what a curve does
# (a slower kernel at one batch size costs tens of percent, not half): noise, measured again.
DIP_RATIO = 0.5


def dips(points: list[CurvePoint]) -> list[CurvePoint]:
    """Points far below both their neighbours."""
    ok = ok_points(points)
    return [
        p
        for q, p, r in zip(ok, ok[1:], ok[2:], strict=False)
        if p.items_per_s < DIP_RATIO * min(q.items_per_s, r.items_per_s)
    ]


def remeasure_dips(points: list[CurvePoint], measure: Callable[[int, str], CurvePoint]) -> None:
    """Measure each dip again; one that is still a dip is marked and left out of the choices."""
    for dip in dips(points):
        again = measure(dip.batch, dip.reason)
        i = points.index(dip)
        points[i] = again
        if again in dips(points):
            points[i] = replace(again, status="dip")


def pick_peak(points: list[CurvePoint]) -> CurvePoint:
    """Highest throughput; points that cannot be told apart from it go to the smaller batch."""
    ok = ok_points(points)
    best = max(ok, key=lambda p: p.items_per_s)
    floor = (1 - TIE_TOLERANCE) * best.items_per_s
    tied = [p for p in ok if p.items_per_s >= floor and not differ(p, best)]
    return min([*tied, best], key=lambda p: p.batch)


def pick_knee(points: list[CurvePoint], peak: CurvePoint, fraction: float) -> CurvePoint:
    """The smallest batch whose throughput is within `fraction` of the peak's."""
    return next(p for p in ok_points(points) if p.items_per_s >= fraction * peak.items_per_s)


GOLDEN = 0.381966  # 2 - golden ratio: where golden-section search places its next point


def refine_peak(
    points: list[CurvePoint], measure: Callable[[int, str], CurvePoint], max_extra: int
) -> None:
    """Golden-section search for the peak in log(batch), inside the bracket of its neighbours.

    Each step probes the wider side of the bracket, a golden fraction away from the best point,
    so an asymmetric curve (steep rise, slow fall) cannot pull the search the wrong way. A side
    whose throughput does not differ from the best beyond noise is a plateau and is left alone.
    """
    for _ in range(max_extra):
        ok = ok_points(points)
        best = max(ok, key=lambda p: p.items_per_s)
        i = ok.index(best)
        sides = [
            ok[j]
            for j in (i - 1, i + 1)
            if 0 <= j < len(ok) and differ(ok[j], best) and abs(ok[j].batch - best.batch) > 1
        ]
        if not sides:
            return
        side = max(sides, key=lambda s: (abs(math.log(s.batch / best.batch)), s.items_per_s))
        target = best.batch * (side.batch / best.batch) ** GOLDEN
        m = _batch_between(best.batch, side.batch, target)
        if m is None or any(p.batch == m for p in points):
            return
        points.append(measure(m, "peak"))


def _batch_between(a: int, b: int, target: float) -> int | None:
    """An integer strictly between a and b near `target`, on a multiple of 8 for wide gaps."""
    lo, hi = min(a, b), max(a, b)
    if hi - lo < 2:
        return None
    m = round(target / 8) * 8 if hi - lo > 32 else round(target)
    m = max(lo + 1, min(hi - 1, m))
    return m


def refine_knee(
    points: list[CurvePoint],
    measure: Callable[[int, str], CurvePoint],
    fraction: float,
    max_extra: int,
) -> None:
    """Bisect between the knee and the grid point below it, which falls short of the fraction."""
    for _ in range(max_extra):
        peak = pick_peak(points)
        knee = pick_knee(points, peak, fraction)
        below = [p for p in ok_points(points) if p.batch < knee.batch]
        if not below:
            return
        m = midpoint(below[-1].batch, knee.batch)
        if m is None or any(p.batch == m for p in points):
            return
        points.append(measure(m, "knee"))
