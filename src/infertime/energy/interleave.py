"""Energy windows of several configurations, interleaved: one window of each per round, the
order reversed every other round (A B, B A, A B ...), every window sharing its edges with its
neighbours, whichever configuration they belong to.

Why interleaved rather than one configuration after the other: a GPU's power at the same work
rises as it warms (leakage grows with temperature) and its clocks move with it, over tens of
seconds; measured one after the other, the later configuration would pay for the earlier one's
heat. Alternating windows of at least max(2 s, 200 update periods) put both under the same
drift, and pair each window of one configuration with the neighbouring window of another (a
paired ratio, ratio.py). A window's edges are stale by up to one update period whichever
configuration ran before it, so each window carries that error on its own (±period / window,
0.5 % at 200 periods) instead of telescoping over one configuration's run; the CI over windows
holds it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..devices.base import Device
from .counter import CounterReadError, EnergyCounter, delta
from .policy import EnergyPolicy
from .records import EnergyWindow
from .windows import WindowsRun, fill_window, lead_in, stop_reason


def run_interleaved(
    arms: Sequence[Sequence[Callable[[], Any]]],
    device: Device,
    counter: EnergyCounter,
    window_s: float,
    policy: EnergyPolicy,
    call_s: Sequence[float | None] | None = None,
    names: Sequence[str] | None = None,
) -> list[WindowsRun]:
    """One WindowsRun per configuration. `arms[i]` holds configuration i's calls (its copies,
    used in turn, one per round); `call_s[i]` an estimate of one of its calls' time.

    Every configuration gets the same number of windows: rounds go on until each meets the
    stopping rule (EnergyPolicy: precision, windows, its share of max_time_s x configurations).
    A counter error or a window that read 0 J stops all of them (the counter is shared)."""
    n = len(arms)
    labels = list(names) if names is not None else [chr(65 + i) for i in range(n)]
    estimates: list[float] = []
    leads: list[float] = []
    for i, copies in enumerate(arms):
        est, spent = lead_in(copies[0], device, policy.lead_in_s, call_s[i] if call_s else None)
        estimates.append(est)
        leads.append(spent)
    windows: list[list[EnergyWindow]] = [[] for _ in arms]

    def runs(stops: Sequence[str], errors: Sequence[str | None]) -> list[WindowsRun]:
        return [
            WindowsRun(tuple(windows[i]), stops[i], errors[i], estimates[i], leads[i])
            for i in range(n)
        ]

    device.synchronize()
    edge_t = device.now_ns()
    try:
        edge_e = counter.read_j()
    except CounterReadError as exc:
        return runs(["counter_error"] * n, [str(exc)] * n)
    first_t = edge_t
    for r in range(policy.max_windows + policy.min_windows):
        for i in range(n) if r % 2 == 0 else reversed(range(n)):
            call = arms[i][r % len(arms[i])]
            t, calls, elapsed = fill_window(call, device, window_s, estimates[i], edge_t)
            try:
                e = counter.read_j()
            except CounterReadError as exc:
                return runs(["counter_error"] * n, [str(exc)] * n)
            d = delta(edge_e, e, counter.wraps_j)
            windows[i].append(
                EnergyWindow(
                    start_ns=edge_t,
                    duration_s=elapsed,
                    calls=calls,
                    energy_j=d.energy_j,
                    wrapped=d.wrapped,
                    excluded="the counter was reset (it went down)" if d.reset else None,
                )
            )
            estimates[i] = max(elapsed / calls, 1e-9)
            edge_t, edge_e = t, e
            if d.energy_j is not None and d.energy_j <= 0:
                why = f"the counter read 0 J over a window of {labels[i]}"
                stops = ["zero_window" if j == i else "counter_error" for j in range(n)]
                return runs(stops, [None if j == i else why for j in range(n)])
        share_s = (edge_t - first_t) / 1e9 / n
        reasons = [stop_reason([w for w in ws if w.used], share_s, policy) for ws in windows]
        if all(reason is not None for reason in reasons):
            return runs([reason or "" for reason in reasons], [None] * n)
    return runs(["max_windows"] * n, [None] * n)
