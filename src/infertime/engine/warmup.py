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
from .sampler import PROGRESS_INTERVAL_S
from .timing import time_block


def window_calls(recent_call_s: float, policy: WarmupPolicy) -> int:
    """Calls per window: at least `window_calls` and at least `window_time_s` of work."""
    return max(policy.window_calls, math.ceil(policy.window_time_s / max(recent_call_s, 1e-9)))


# Window medians of a few slow calls cannot see a slow decay (5 calls of 20 ms with 5 % noise:
# a 2x cold start with tau 3 s passed the window test in 5 % of runs and left the median 89 %
# too slow). A rank trend over the same calls at one-sided 90 % adds the power; a false alarm
# costs only half a window more of warm-up.
STILL_FASTER_Z = 1.2816


def still_faster(calls: list[float]) -> bool:
    """A decreasing rank trend through the calls of the last windows, beyond noise."""
    found = stats.trend(calls)
    return found is not None and found.z <= -STILL_FASTER_Z and found.change_rel < 0


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
    reported = 0.0
    while True:
        samples.append(time_block(call, device, timer, 1, sync_each=True))
        elapsed = (device.now_ns() - t0) * 1e-9
        n = len(samples)
        at_cap = n >= policy.max_calls or elapsed >= policy.max_time_s
        if elapsed - reported >= PROGRESS_INTERVAL_S or at_cap:
            reported = elapsed
            progress("warm-up", min(elapsed / policy.max_time_s, 1.0), f"{n} calls")
        ready = elapsed >= policy.min_time_s and n >= policy.min_calls and n >= next_check
        if ready or at_cap:
            w = window_calls(stats.median(samples[-10:]), policy)
            need = policy.windows * w
            if n >= need:
                last = stats.steadiness(samples[-need:], policy.windows, policy.tolerance)
                # The cap is checked after steadiness: a series steady at the cap is steady.
                if (
                    last.steady
                    and not still_faster(samples[-need:])
                    and (ready or n >= policy.min_calls)
                ):
                    return _steady(samples, elapsed, cold_call_s, policy, last, w)
                next_check = n + max(1, w // 2)
            else:
                next_check = need
        if at_cap:
            return _not_steady(samples, elapsed, cold_call_s, policy, last)


def _steady(
    samples: list[float],
    elapsed: float,
    cold_call_s: float,
    policy: WarmupPolicy,
    last: stats.Steadiness,
    w: int,
) -> WarmupRecord:
    # What the test can rule out: a trend larger than the allowed spread over the time the
    # windows span. A slower one (a GPU heating for minutes) passes, and the drift check on
    # the measured samples has to catch it.
    span_s = stats.median(samples[-10:]) * w * (policy.windows - 1)
    slope = f"; rules out a trend steeper than {last.allowed_rel / span_s:.0%}/s" if span_s else ""
    n = len(samples)
    return WarmupRecord(
        calls=n,
        seconds=elapsed,
        steady=True,
        message=(
            f"steady after {n} calls, {elapsed:.2f} s (last {policy.windows} windows of "
            f"{w} calls within {last.spread_rel:.1%}, allowed {last.allowed_rel:.1%}{slope})"
        ),
        cold_call_s=cold_call_s,
        samples_s=tuple(samples),
    )


def _not_steady(
    samples: list[float],
    elapsed: float,
    cold_call_s: float,
    policy: WarmupPolicy,
    last: stats.Steadiness | None,
) -> WarmupRecord:
    if last is None:
        why = ""
    elif last.spread_rel > last.allowed_rel:
        why = f"; last windows differ by {last.spread_rel:.1%} (allowed {last.allowed_rel:.1%})"
    else:  # the windows agreed, but the calls were still getting faster through them
        why = (
            f"; the last windows agree within {last.spread_rel:.1%}, but the calls were still "
            "getting faster through them"
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
