"""The windowed measurement: back-to-back calls in windows of at least `window_s`, the device
synchronized and the counter read at each edge; consecutive windows share their edges, so the
counter's staleness at the edges telescopes and the whole run is off by one period at most.

Torch-free, on the Device protocol only (device.synchronize, device.now_ns), so the fake
device drives it in tests. A counter error stops the windows and is returned, never raised: the
caller's timing figures do not depend on energy. An error raised by the call itself propagates.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..devices.base import Device
from .counter import CounterReadError, EnergyCounter, delta
from .estimate import t_interval
from .policy import EnergyPolicy
from .records import EnergyWindow


@dataclass(frozen=True)
class WindowsRun:
    """The windows of one configuration, and why they stopped."""

    windows: tuple[EnergyWindow, ...]
    stop: str  # "precision" | "max_windows" | "max_time" | "zero_window" | "counter_error"
    error: str | None  # the counter's error, when stop is "counter_error"
    call_s: float  # the last estimate of one call's wall time (host clock, synchronized)
    lead_in_s: float


def lead_in(
    call: Callable[[], Any], device: Device, seconds: float, call_s: float | None
) -> tuple[float, float]:
    """Back-to-back calls for `seconds` before the first window (clocks and power settle, and
    the GPU's 1-s power average is full when the windows start); returns (seconds per call,
    seconds spent). Without an estimate of the call's time, blocks double from one call."""
    device.synchronize()
    t0 = device.now_ns()
    calls = 1 if call_s is None else max(1, math.ceil(seconds / call_s))
    while True:
        start = device.now_ns()
        for _ in range(calls):
            call()
        device.synchronize()
        end = device.now_ns()
        per_call = max((end - start) / 1e9 / calls, 1e-9)
        spent = (end - t0) / 1e9
        if spent >= seconds:
            return per_call, spent
        calls = max(1, min(calls * 2, math.ceil((seconds - spent) / per_call)))


def fill_window(
    call: Callable[[], Any], device: Device, window_s: float, call_s: float, edge_t: int
) -> tuple[int, int, float]:
    """Back-to-back calls from the edge at `edge_t` until at least `window_s` has passed,
    synchronized at the end: (the end's device.now_ns(), calls, seconds)."""
    calls = 0
    n = max(1, math.ceil(window_s / call_s))
    while True:
        for _ in range(n):
            call()
        calls += n
        device.synchronize()
        t = device.now_ns()
        elapsed = (t - edge_t) / 1e9
        if elapsed >= window_s:
            return t, calls, elapsed
        # The estimate was low: top up (one more synchronize, a gap of microseconds).
        call_s = max(elapsed / calls, 1e-9)
        n = max(1, math.ceil((window_s - elapsed) / call_s * 1.05))


def stop_reason(used: list[EnergyWindow], elapsed_s: float, policy: EnergyPolicy) -> str | None:
    if len(used) < policy.min_windows:
        return None
    per_call = [w.energy_j / w.calls for w in used if w.energy_j is not None]
    rel = t_interval(per_call, policy.confidence).half_width_rel
    if rel is not None and rel <= policy.precision:
        return "precision"
    if len(used) >= policy.max_windows:
        return "max_windows"
    if elapsed_s >= policy.max_time_s:
        return "max_time"
    return None


def run_windows(
    call: Callable[[], Any],
    device: Device,
    counter: EnergyCounter,
    window_s: float,
    policy: EnergyPolicy,
    call_s: float | None = None,
) -> WindowsRun:
    """Windows of back-to-back calls until the stopping rule (EnergyPolicy) is met."""
    call_s, lead_s = lead_in(call, device, policy.lead_in_s, call_s)
    device.synchronize()
    edge_t = device.now_ns()
    try:
        edge_e = counter.read_j()
    except CounterReadError as exc:
        return WindowsRun((), "counter_error", str(exc), call_s, lead_s)
    first_t = edge_t
    windows: list[EnergyWindow] = []
    # Resets are excluded and replaced; this many windows in all ends even a resetting counter.
    cap = policy.max_windows + policy.min_windows
    while len(windows) < cap:
        t, calls, elapsed = fill_window(call, device, window_s, call_s, edge_t)
        try:
            e = counter.read_j()
        except CounterReadError as exc:
            return WindowsRun(tuple(windows), "counter_error", str(exc), call_s, lead_s)
        d = delta(edge_e, e, counter.wraps_j)
        windows.append(
            EnergyWindow(
                start_ns=edge_t,
                duration_s=elapsed,
                calls=calls,
                energy_j=d.energy_j,
                wrapped=d.wrapped,
                excluded="the counter was reset (it went down)" if d.reset else None,
            )
        )
        call_s = max(elapsed / calls, 1e-9)
        edge_t, edge_e = t, e
        if d.energy_j is not None and d.energy_j <= 0:
            return WindowsRun(tuple(windows), "zero_window", None, call_s, lead_s)
        used = [w for w in windows if w.used]
        stop = stop_reason(used, (t - first_t) / 1e9, policy)
        if stop is not None:
            return WindowsRun(tuple(windows), stop, None, call_s, lead_s)
    return WindowsRun(tuple(windows), "max_windows", None, call_s, lead_s)
