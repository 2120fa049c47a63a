"""Warm-up until the series is steady: minimum time and calls, then a windowed test, with a cap."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import stats
from ..devices.base import Device
from ..policies import WarmupPolicy
from ..records import WarmupRecord
from .progress import ProgressSink, no_progress
from .timing import time_block


def window_calls(recent_call_s: float, policy: WarmupPolicy) -> int:
    """Calls per window: at least `window_calls` and at least `window_time_s` of work."""
    return max(policy.window_calls, math.ceil(policy.window_time_s / max(recent_call_s, 1e-9)))


def warm_up(
    call: Callable[[], Any],
    device: Device,
    policy: WarmupPolicy,
    cold_call_s: float,
    progress: ProgressSink = no_progress,
) -> WarmupRecord:
    """Run synchronous calls until the last `policy.windows` windows agree, or the cap is hit."""
    timer = device.new_timer()
    samples: list[float] = []
    t0 = device.now_ns()
    next_check = 0
    last: stats.Steadiness | None = None
    while True:
        samples.append(time_block(call, device, timer, 1, sync_each=True))
        elapsed = (device.now_ns() - t0) * 1e-9
        n = len(samples)
        if n >= policy.max_calls or elapsed >= policy.max_time_s:
            return _not_steady(samples, elapsed, cold_call_s, policy, last)
        if elapsed < policy.min_time_s or n < policy.min_calls or n < next_check:
            continue
        w = window_calls(stats.median(samples[-10:]), policy)
        need = policy.windows * w
        if n < need:
            next_check = need
            continue
        last = stats.steadiness(samples[-need:], policy.windows, policy.tolerance)
        progress("warm-up", min(elapsed / policy.max_time_s, 1.0), f"{n} calls")
        if last.steady:
            return WarmupRecord(
                calls=n,
                seconds=elapsed,
                steady=True,
                message=(
                    f"steady after {n} calls, {elapsed:.2f} s (last {policy.windows} windows of "
                    f"{w} calls within {last.spread_rel:.1%}, allowed {last.allowed_rel:.1%})"
                ),
                cold_call_s=cold_call_s,
                samples_s=tuple(samples),
            )
        next_check = n + max(1, w // 2)


def _not_steady(
    samples: list[float],
    elapsed: float,
    cold_call_s: float,
    policy: WarmupPolicy,
    last: stats.Steadiness | None,
) -> WarmupRecord:
    why = (
        f"; last windows differ by {last.spread_rel:.1%} (allowed {last.allowed_rel:.1%})"
        if last is not None
        else ""
    )
    cap = "call cap" if len(samples) >= policy.max_calls else f"{policy.max_time_s:g} s cap"
    return WarmupRecord(
        calls=len(samples),
        seconds=elapsed,
        steady=False,
        message=f"never steady: stopped at the {cap} after {len(samples)} calls{why}",
        cold_call_s=cold_call_s,
        samples_s=tuple(samples),
    )
