"""Before measuring: the counter's update period (polled until it changed several times) and
the idle baseline (the device idle for at least idle_s, read in sub-windows).

Why the period is measured: NVML's total-energy counter changes only every ~10 ms or more
("the value seems to change every 10ms or so", gpuopenanalytics/pynvml PR #18; PETSc's
PetscLogGpuEnergyMeter notes 20-100 ms on newer GPUs), so a short window reads 0 J (Zeus's
ZeusMonitor.end_window warns "shorter than the GPU's energy counter update period"). Each window
edge is stale by up to one period: windows of >= 200 periods bound that error to 0.5 %.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from ..devices.base import Device
from .counter import CounterReadError, EnergyCounter, delta
from .estimate import t_interval
from .policy import EnergyPolicy
from .records import IdleBaseline, UpdatePeriod

Sleep = Callable[[float], None]


class CounterStuckError(CounterReadError):
    """The counter did not move where it must (a device draws power even idle)."""


def measure_update_period(
    counter: EnergyCounter, device: Device, sleep: Sleep, policy: EnergyPolicy
) -> UpdatePeriod:
    """Poll every `period_poll_s` until the value changed `period_intervals + 1` times; the
    intervals between changes (the first change only sets the phase) are the period's
    distribution, each known to about one polling interval."""
    start = device.now_ns()
    last = counter.read_j()
    changes: list[int] = []
    waited_from = start
    while len(changes) < policy.period_intervals + 1:
        sleep(policy.period_poll_s)
        value = counter.read_j()
        t = device.now_ns()
        if value != last:
            changes.append(t)
            last, waited_from = value, t
        elif (t - waited_from) / 1e9 > policy.period_timeout_s:
            raise CounterStuckError(
                f"the counter did not change in {policy.period_timeout_s:g} s "
                f"({len(changes)} changes seen)"
            )
    intervals = tuple((b - a) / 1e9 for a, b in itertools.pairwise(changes))
    return UpdatePeriod(intervals, policy.period_poll_s, (changes[-1] - start) / 1e9)


def measure_idle(
    counter: EnergyCounter,
    device: Device,
    sleep: Sleep,
    period: UpdatePeriod,
    policy: EnergyPolicy,
) -> IdleBaseline:
    """Average power with nothing queued: `idle_windows` consecutive sub-windows sharing their
    edges (so the quantization error of the whole baseline is one period, not one per window)."""
    device.synchronize()
    sub_s = policy.idle_window_s(period.median_s)
    t0 = device.now_ns()
    edge_t, edge_e = t0, counter.read_j()
    energies: list[float] = []
    durations: list[float] = []
    for k in range(1, policy.idle_windows + 1):
        target = t0 + round(k * sub_s * 1e9)
        while (now := device.now_ns()) < target:
            sleep((target - now) / 1e9)
        t, e = device.now_ns(), counter.read_j()
        d = delta(edge_e, e, counter.wraps_j)
        if d.reset:
            raise CounterReadError("the counter was reset during the idle baseline")
        assert d.energy_j is not None
        if d.energy_j <= 0:
            raise CounterStuckError(
                f"the counter read {d.energy_j:g} J over {(t - edge_t) / 1e9:.2f} s idle"
            )
        energies.append(d.energy_j)
        durations.append((t - edge_t) / 1e9)
        edge_t, edge_e = t, e
    powers = [e / s for e, s in zip(energies, durations, strict=True)]
    return IdleBaseline(
        tuple(energies), tuple(durations), t0, t_interval(powers, policy.confidence)
    )
