"""The small protocol the engine talks to: host clock, timer pairs, synchronize, memory, OOM."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


class Timer(Protocol):
    """A start/stop pair on the device's own timeline; read it after `Device.synchronize()`
    or after `wait()`, which blocks the host until the stop mark is reached and leaves later
    queued work running."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def wait(self) -> None: ...

    def elapsed_s(self) -> float: ...


class Marks(Protocol):
    """Points on one device timeline, one event (or reading) per point, read after one
    synchronize: consecutive differences are the intervals, first-to-last the span, from the
    same points (a Timer is a start/stop pair, which would record two events at every
    boundary). `reset` before each sequence of marks (devices/marks.py implements them)."""

    name: str

    def reset(self, count: int) -> None:
        """Start a new sequence that will record exactly `count` marks (at least 2)."""
        ...

    def mark(self) -> None: ...

    def intervals_s(self) -> list[float]:
        """Time between each pair of consecutive marks, each read on its own."""
        ...

    def span_s(self) -> float:
        """Time from the first mark to the last, read on its own (not a sum)."""
        ...


@dataclass(frozen=True)
class MemoryReading:
    """Peak memory since the last reset, in bytes; None where the device cannot tell."""

    peak_allocated_bytes: int | None
    peak_reserved_bytes: int | None
    total_bytes: int | None
    source: str  # how it was read, e.g. "torch.cuda.max_memory_allocated" or "VmHWM"


@runtime_checkable
class Device(Protocol):
    """What the engine needs from a device; implemented by CUDA, CPU and the fake device."""

    @property
    def name(self) -> str:  # "cuda:0", "cpu", "fake:0"
        ...

    @property
    def kind(self) -> str:  # "cuda", "cpu" or "fake"
        ...

    @property
    def timer_name(self) -> str:  # what the timer reads, for the report
        ...

    @property
    def oom_signal(self) -> bool:  # does running out of memory raise (GPU) or kill (CPU)?
        ...

    def now_ns(self) -> int:
        """Host wall clock, for budgets (never for samples on a GPU)."""
        ...

    def new_timer(self) -> Timer: ...

    def new_marks(self) -> Marks:
        """Marks on this device's timeline (one event per point): CUDA events on the current
        stream, perf_counter_ns on a CPU, a chain of timer pairs elsewhere."""
        ...

    def synchronize(self) -> None:
        """Wait until all work queued on this device is done."""
        ...

    def reset_peak_memory(self) -> None: ...

    def memory(self) -> MemoryReading: ...

    def allocated_bytes(self) -> int | None:
        """Memory held right now (GPU: allocated by tensors; CPU: resident set), if known."""
        ...

    def free_bytes(self) -> int | None:
        """Memory that new allocations can still take, where the device can tell."""
        ...

    def is_oom(self, exc: BaseException) -> bool: ...

    def release_memory(self, collect: bool = True) -> None:
        """Return cached memory to the system (after a full garbage collection if `collect`)."""
        ...

    def limit_memory(self, fraction: float | None) -> None:
        """Make allocations beyond `fraction` of the device's memory fail (None: no limit)."""
        ...

    def activate(self) -> AbstractContextManager[Any]:
        """Make this device current for code that allocates on 'the current device'."""
        ...

    def describe(self) -> dict[str, Any]: ...
