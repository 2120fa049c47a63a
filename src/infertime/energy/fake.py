"""A public fake for energy tests: a FakeDevice that draws power, and a counter that reads it.

PoweredFakeDevice draws `idle_w` always and `busy_w(batch)` while its simulated GPU runs a
call; `idle(seconds)` lets the host sleep on the simulated clock, so baselines and counter
polling need no real sleep. FakeEnergyCounter reads that energy the way hardware does: in steps
of an update period, in millijoules, optionally wrapping, reset, frozen or failing.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from typing import Any

from ..devices.fake import CallCost, CostModel, FakeDevice, constant
from ..sections import GpuReading
from .counter import CounterReadError
from .records import Finding


class PoweredFakeDevice(FakeDevice):
    """A FakeDevice with a power model: idle power always, and more while the GPU is busy."""

    def __init__(
        self,
        cost: CostModel | None = None,
        *,
        idle_w: float = 70.0,
        busy_w: float | Callable[[int], float] = 400.0,
        **kwargs: Any,
    ) -> None:
        self._last_cost = CallCost(0.0, 0.0)
        inner = cost or constant()

        def recorded(i: int, b: int) -> CallCost:
            self._last_cost = inner(i, b)
            return self._last_cost

        super().__init__(recorded, **kwargs)
        self.idle_w = idle_w
        self._busy_w = busy_w
        # Busy intervals in time order: starts, ends, and the energy above idle before each end.
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._extra_w: list[float] = []
        self._cum_j: list[float] = []

    def busy_w(self, batch: int) -> float:
        return self._busy_w(batch) if callable(self._busy_w) else self._busy_w

    def make_call(self, batch: int = 1) -> Callable[[], None]:
        inner = super().make_call(batch)
        extra_w = self.busy_w(batch) - self.idle_w

        def call() -> None:
            launch_s, free_s = self._host_s, self._gpu_free_s
            inner()
            c = self._last_cost
            # Where FakeDevice starts the work (devices/fake.py, make_call): once the GPU is
            # free and the launch has reached its first kernel.
            start = max(free_s, launch_s + min(c.lead_s, c.host_s))
            self._add_busy(start, start + c.device_s, extra_w)

        return call

    def _add_busy(self, start: float, end: float, extra_w: float) -> None:
        if end <= start:
            return
        before = self._cum_j[-1] if self._cum_j else 0.0
        self._starts.append(start)
        self._ends.append(end)
        self._extra_w.append(extra_w)
        self._cum_j.append(before + (end - start) * extra_w)

    def idle(self, seconds: float) -> None:
        """The host sleeps: its simulated clock moves on, queued GPU work keeps running."""
        self._host_s += max(seconds, 0.0)

    def energy_j(self, t_s: float) -> float:
        """Energy drawn from time 0 to `t_s`, exactly."""
        k = bisect.bisect_left(self._ends, t_s)  # intervals [0, k) ended by t_s
        busy = self._cum_j[k - 1] if k else 0.0
        if k < len(self._starts) and self._starts[k] < t_s:
            busy += (t_s - self._starts[k]) * self._extra_w[k]
        return self.idle_w * max(t_s, 0.0) + busy

    def power_readings(
        self, start_ns: int, end_ns: int, interval_s: float = 0.1, bias: float = 1.0
    ) -> list[GpuReading]:
        """What the NVML monitor would record: one reading per interval, each the average power
        over the interval before it (times `bias`, to simulate a sensor that reads off)."""
        readings = []
        t = start_ns / 1e9 + interval_s
        while t <= end_ns / 1e9 + 1e-12:
            avg_w = (self.energy_j(t) - self.energy_j(t - interval_s)) / interval_s
            readings.append(GpuReading(round(t * 1e9), 1755, 2619, 60, avg_w * bias, 99, 0))
            t += interval_s
        return readings


class FakeEnergyCounter:
    """Reads a PoweredFakeDevice's energy as a hardware counter would (EnergyCounter)."""

    source = "fake"
    description = "fake energy counter"

    def __init__(
        self,
        device: PoweredFakeDevice,
        *,
        update_period_s: float = 0.01,
        phase_s: float = 0.0037,
        offset_j: float = 1.0e6,
        resolution_j: float = 1e-3,
        wrap_j: float | None = None,
        reset_at_s: float | None = None,
        stuck_from_s: float | None = None,
        fail_at_s: float | None = None,
        findings: tuple[Finding, ...] = (),
        scope: str = "the fake device",
    ) -> None:
        self.device = device
        self.update_period_s = update_period_s
        self.phase_s = phase_s
        self.offset_j = offset_j
        self.resolution_j = resolution_j
        self.wrap_j = wrap_j
        self.reset_at_s = reset_at_s
        self.stuck_from_s = stuck_from_s
        self.fail_at_s = fail_at_s
        self.findings = findings
        self.scope = scope
        self.reads = 0

    @property
    def wraps_j(self) -> tuple[float | None, ...]:
        return (self.wrap_j,)

    def _tick_s(self, t_s: float) -> float:
        """The last update at or before t_s: the counter shows the energy at that moment."""
        k = math.floor((t_s - self.phase_s) / self.update_period_s)
        return max(self.phase_s + k * self.update_period_s, 0.0)

    def value_j(self) -> float:
        t_s = self.device.now_ns() / 1e9
        if self.fail_at_s is not None and t_s >= self.fail_at_s:
            raise CounterReadError("fake counter: GPU is lost")
        tick = self._tick_s(t_s)
        if self.stuck_from_s is not None:
            tick = min(tick, self._tick_s(self.stuck_from_s))  # no update after that
        if self.reset_at_s is not None and tick >= self.reset_at_s:
            value = self.device.energy_j(tick) - self.device.energy_j(self.reset_at_s)
        else:
            value = self.offset_j + self.device.energy_j(tick)
        if self.wrap_j is not None:
            value %= self.wrap_j
        return math.floor(value / self.resolution_j + 1e-9) * self.resolution_j

    def value_mj(self) -> int:
        """The reading as NVML returns it (integer millijoules), for the fake pynvml."""
        return round(self.value_j() * 1000)

    def read_j(self) -> tuple[float, ...]:
        self.reads += 1
        return (self.value_j(),)

    def scope_findings(self) -> tuple[Finding, ...]:
        return self.findings
