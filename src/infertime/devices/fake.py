"""A public fake device with a simulated host and GPU timeline, for tests without a GPU or sleeps.

The host clock and the device queue are simulated: a call costs the host `host_s` to launch and
the device `device_s` to run; device work starts once the device is free and the host has begun
launching, and cannot end before the launch ends. Timer events take their timestamp when the
device reaches them, and synchronize moves the host clock to the end of queued work. This gives
the real regimes: launch-bound (host_s > device_s) and GPU-bound, synchronous and pipelined.
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from .base import Marks, MemoryReading


@dataclass(frozen=True)
class CallCost:
    """Simulated cost of one call: host launch time and device work, in seconds."""

    host_s: float
    device_s: float
    # Host time before the call's first work reaches the device (Python before the first
    # kernel); at most host_s. A device that idles waits through it.
    lead_s: float = 0.0


# (index of the call since the device was made, batch size) -> cost
CostModel = Callable[[int, int], CallCost]


class FakeOutOfMemory(RuntimeError):
    """What the fake device raises where a real one would run out of memory."""


def constant(host_s: float = 10e-6, device_s: float = 1e-3) -> CostModel:
    return lambda _i, _b: CallCost(host_s, device_s)


def linear(
    host_s: float = 50e-6, fixed_device_s: float = 100e-6, per_item_s: float = 10e-6
) -> CostModel:
    """Device time grows linearly with batch size: throughput rises and saturates."""
    return lambda _i, b: CallCost(host_s, fixed_device_s + per_item_s * b)


def by_batch(device_s_of_batch: Callable[[int], float], host_s: float = 50e-6) -> CostModel:
    """Any throughput curve: device time per call as a function of the batch size."""
    return lambda _i, b: CallCost(host_s, device_s_of_batch(b))


def scripted(costs: Sequence[CallCost | float], then: CostModel | None = None) -> CostModel:
    """Exact costs for the first calls (floats are device seconds with 1 µs launch), then `then`."""
    fixed = [c if isinstance(c, CallCost) else CallCost(1e-6, float(c)) for c in costs]
    last = fixed[-1]

    def model(i: int, b: int) -> CallCost:
        if i < len(fixed):
            return fixed[i]
        return then(i, b) if then is not None else last

    return model


def warming(base: CostModel, cold_factor: float = 5.0, settle_calls: int = 50) -> CostModel:
    """Calls start `cold_factor` times slower and decay exponentially towards `base`."""

    def model(i: int, b: int) -> CallCost:
        c = base(i, b)
        f = 1.0 + (cold_factor - 1.0) * math.exp(-5.0 * i / settle_calls)
        return CallCost(c.host_s * f, c.device_s * f)

    return model


def noisy(base: CostModel, cv: float = 0.02, seed: int = 0) -> CostModel:
    """Multiplies both costs by seeded log-normal noise with the given coefficient of variation."""
    rng = random.Random(seed)
    sigma = math.sqrt(math.log1p(cv * cv))

    def model(i: int, b: int) -> CallCost:
        c = base(i, b)
        return CallCost(
            c.host_s * rng.lognormvariate(0, sigma), c.device_s * rng.lognormvariate(0, sigma)
        )

    return model


def autocorrelated(base: CostModel, phi: float, cv: float, seed: int = 0) -> CostModel:
    """Multiplies both costs by 1 + cv * z, with z a stationary AR(1) series of unit variance:
    neighbouring calls share slow and fast host states."""
    rng = random.Random(seed)
    state = {"z": rng.gauss(0.0, 1.0)}
    scale = math.sqrt(1.0 - phi * phi)

    def model(i: int, b: int) -> CallCost:
        state["z"] = phi * state["z"] + scale * rng.gauss(0.0, 1.0)
        f = max(1.0 + cv * state["z"], 0.05)
        c = base(i, b)
        return CallCost(c.host_s * f, c.device_s * f)

    return model


def two_state(
    base: CostModel, slow_factor: float, enter: float, leave: float, cv: float, seed: int = 0
) -> CostModel:
    """A host with a persistent slow state: entered with probability `enter` per call, left
    with `leave`; both costs times `slow_factor` there, and lognormal noise of `cv` always."""
    rng = random.Random(seed)
    state = {"slow": rng.random() < enter / (enter + leave)}
    sigma = math.sqrt(math.log1p(cv * cv))

    def model(i: int, b: int) -> CallCost:
        if state["slow"]:
            state["slow"] = rng.random() >= leave
        else:
            state["slow"] = rng.random() < enter
        f = (slow_factor if state["slow"] else 1.0) * rng.lognormvariate(0, sigma)
        c = base(i, b)
        return CallCost(c.host_s * f, c.device_s * f)

    return model


def spiky(base: CostModel, every: int, factor: float) -> CostModel:
    """Every `every`-th call is `factor` times slower (a periodic hiccup: GC, an interrupt)."""

    def model(i: int, b: int) -> CallCost:
        c = base(i, b)
        f = factor if i % every == every - 1 else 1.0
        return CallCost(c.host_s * f, c.device_s * f)

    return model


def drifting(base: CostModel, slowdown_per_call: float) -> CostModel:
    """Device time grows by a relative `slowdown_per_call` each call (a throttling GPU)."""
    return lambda i, b: CallCost(
        base(i, b).host_s, base(i, b).device_s * (1 + slowdown_per_call * i)
    )


class _FakeTimer:
    __slots__ = ("_device", "_t0", "_t1")

    def __init__(self, device: FakeDevice) -> None:
        self._device = device
        self._t0 = 0.0
        self._t1 = 0.0

    def start(self) -> None:
        self._t0 = self._device._record_event()

    def stop(self) -> None:
        self._t1 = self._device._record_event()

    def wait(self) -> None:
        self._device._wait_until(self._t1)

    def elapsed_s(self) -> float:
        if self._t1 > self._device._host_s + 1e-15:
            raise RuntimeError("fake timer read before synchronize: events not complete")
        return self._t1 - self._t0


class FakeDevice:
    """Simulated device. `make_call(batch)` gives the callable the engine times.

    Memory: each call of batch b peaks at `base_memory_bytes + memory_per_item_bytes * b`; with
    `oom_signal` (a GPU) a call above `total_memory_bytes` (or the limit set by `limit_memory`)
    raises FakeOutOfMemory, without it (a CPU) it silently succeeds. `leak_per_call_bytes`
    makes every call keep that much (a model that leaks).
    """

    def __init__(
        self,
        cost: CostModel | None = None,
        *,
        index: int = 0,
        kind: str = "fake",
        sync_cost_s: float = 5e-6,
        event_cost_s: float = 1e-6,
        memory_per_item_bytes: int = 1 << 20,
        base_memory_bytes: int = 100 << 20,
        total_memory_bytes: int = 80 << 30,
        oom_signal: bool = True,
        oom_above_batch: int | None = None,
        leak_per_call_bytes: int = 0,
    ) -> None:
        self.cost = cost or constant()
        self.index = index
        self._kind = kind
        self.sync_cost_s = sync_cost_s
        self.event_cost_s = event_cost_s
        self.memory_per_item_bytes = memory_per_item_bytes
        self.base_memory_bytes = base_memory_bytes
        self.total_memory_bytes = total_memory_bytes
        self.oom_signal = oom_signal
        self.oom_above_batch = oom_above_batch
        self.leak_per_call_bytes = leak_per_call_bytes
        self._host_s = 0.0
        self._gpu_free_s = 0.0
        self._memory_fraction: float | None = None
        self._peak_bytes = 0
        self.calls = 0
        self.calls_by_batch: dict[int, int] = {}
        self.events: list[tuple[str, int]] = []  # ("record" | "sync", device index)
        self.released = 0

    # -- identity ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return f"fake:{self.index}"

    @property
    def kind(self) -> str:
        return self._kind

    timer_name = "fake clock"

    # -- time -------------------------------------------------------------------------------
    def now_ns(self) -> int:
        return round(self._host_s * 1e9)

    def new_timer(self) -> _FakeTimer:
        return _FakeTimer(self)

    def new_marks(self) -> Marks:
        """A chain of fake timer pairs: each interval and the whole on the simulated clock."""
        from .marks import TimerChainMarks

        return TimerChainMarks(self)

    def _record_event(self) -> float:
        self.events.append(("record", self.index))
        self._host_s += self.event_cost_s
        stamp = max(self._host_s, self._gpu_free_s)
        self._gpu_free_s = stamp
        return stamp

    def synchronize(self) -> None:
        self.events.append(("sync", self.index))
        self._host_s = max(self._host_s, self._gpu_free_s) + self.sync_cost_s

    def _wait_until(self, stamp: float) -> None:
        """An event synchronize: the host waits for one recorded mark, not for all work."""
        self.events.append(("wait", self.index))
        self._host_s = max(self._host_s, stamp) + self.sync_cost_s

    # -- work -------------------------------------------------------------------------------
    def _limit_bytes(self) -> float:
        if self._memory_fraction is None:
            return float(self.total_memory_bytes)
        return self._memory_fraction * self.total_memory_bytes

    def needed_bytes(self, batch: int) -> int:
        return self.base_memory_bytes + self.memory_per_item_bytes * batch

    def _fits(self, batch: int) -> bool:
        if self.oom_above_batch is not None and batch > self.oom_above_batch:
            return False
        return self.needed_bytes(batch) <= self._limit_bytes()

    def make_call(self, batch: int = 1) -> Callable[[], None]:
        """The callable for one batch size; creating inputs too large raises FakeOutOfMemory."""
        if self.oom_signal and not self._fits(batch):
            raise FakeOutOfMemory(f"fake device out of memory creating inputs for batch {batch}")

        def call() -> None:
            if self.oom_signal and not self._fits(batch):
                raise FakeOutOfMemory(f"fake device out of memory at batch {batch}")
            c = self.cost(self.calls, batch)
            self.calls += 1
            self.calls_by_batch[batch] = self.calls_by_batch.get(batch, 0) + 1
            launch_start = self._host_s
            self._host_s += c.host_s
            work_start = max(self._gpu_free_s, launch_start + min(c.lead_s, c.host_s))
            self._gpu_free_s = max(work_start + c.device_s, self._host_s)
            self._peak_bytes = max(self._peak_bytes, self.needed_bytes(batch))

        return call

    # -- memory -----------------------------------------------------------------------------
    def reset_peak_memory(self) -> None:
        self._peak_bytes = 0

    def memory(self) -> MemoryReading:
        return MemoryReading(
            peak_allocated_bytes=self._peak_bytes,
            peak_reserved_bytes=self._peak_bytes,
            total_bytes=self.total_memory_bytes,
            source="fake",
        )

    def allocated_bytes(self) -> int | None:
        """The base memory, and what a leaking model kept from every call so far."""
        return self.base_memory_bytes + self.leak_per_call_bytes * self.calls

    def free_bytes(self) -> int | None:
        return int(self._limit_bytes()) - self.base_memory_bytes

    def is_oom(self, exc: BaseException) -> bool:
        return isinstance(exc, FakeOutOfMemory)

    def release_memory(self, collect: bool = True) -> None:
        self.released += 1

    def limit_memory(self, fraction: float | None) -> None:
        self._memory_fraction = fraction

    def activate(self) -> AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def describe(self) -> dict[str, Any]:
        return {
            "name": "fake device",
            "index": self.index,
            "total_memory_bytes": self.total_memory_bytes,
        }
