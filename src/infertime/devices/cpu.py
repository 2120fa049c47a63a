"""CPU device: perf_counter_ns timer, nothing to synchronize, peak RSS from /proc (Linux)."""

from __future__ import annotations

import contextlib
import gc
import os
import platform
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from .base import Marks, MemoryReading


class _PerfCounterTimer:
    __slots__ = ("_t0", "_t1")

    def __init__(self) -> None:
        self._t0 = 0
        self._t1 = 0

    def start(self) -> None:
        self._t0 = time.perf_counter_ns()

    def stop(self) -> None:
        self._t1 = time.perf_counter_ns()

    def wait(self) -> None:
        return None  # the host's clock: the stop mark is already past

    def elapsed_s(self) -> float:
        return (self._t1 - self._t0) * 1e-9


def _proc_status_kib(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def meminfo_bytes(field: str) -> int | None:
    """A field of /proc/meminfo (e.g. 'MemAvailable') in bytes, None off Linux."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def cpu_model_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class CpuDevice:
    """The host CPU. Calls are synchronous, so a timer pair around a call is its latency."""

    name = "cpu"
    kind = "cpu"
    timer_name = "time.perf_counter_ns"
    oom_signal = False  # Linux overcommits: the OOM killer ends the process instead

    def __init__(self) -> None:
        self._rss_at_reset_kib: int | None = None

    @property
    def torch_device(self) -> Any:
        import torch

        return torch.device("cpu")

    def now_ns(self) -> int:
        return time.perf_counter_ns()

    def new_timer(self) -> _PerfCounterTimer:
        return _PerfCounterTimer()

    def new_marks(self) -> Marks:
        """perf_counter_ns readings: on a CPU every operation has finished when it returns."""
        from .marks import HostMarks

        return HostMarks()

    def synchronize(self) -> None:
        return None

    def reset_peak_memory(self) -> None:
        # Writing 5 to clear_refs resets VmHWM (peak RSS) to the current RSS (Linux >= 4.0).
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
        self._rss_at_reset_kib = _proc_status_kib("VmRSS")

    def memory(self) -> MemoryReading:
        peak = _proc_status_kib("VmHWM")
        base = self._rss_at_reset_kib
        growth = (peak - base) * 1024 if peak is not None and base is not None else None
        return MemoryReading(
            peak_allocated_bytes=max(growth, 0) if growth is not None else None,
            peak_reserved_bytes=peak * 1024 if peak is not None else None,
            total_bytes=meminfo_bytes("MemTotal"),
            source="VmHWM: process peak RSS; allocated = growth since reset",
        )

    def allocated_bytes(self) -> int | None:
        rss = _proc_status_kib("VmRSS")
        return rss * 1024 if rss is not None else None

    def free_bytes(self) -> int | None:
        return meminfo_bytes("MemAvailable")

    def is_oom(self, exc: BaseException) -> bool:
        if isinstance(exc, MemoryError):
            return True
        return isinstance(exc, RuntimeError) and "can't allocate memory" in str(exc)

    def release_memory(self, collect: bool = True) -> None:
        if collect:
            gc.collect()

    def limit_memory(self, fraction: float | None) -> None:
        # No allocator limit on the CPU; the batch search bounds itself by MemAvailable instead.
        return None

    def activate(self) -> AbstractContextManager[Any]:
        return contextlib.nullcontext()

    def describe(self) -> dict[str, Any]:
        import torch

        return {
            "name": "cpu",
            "model": cpu_model_name(),
            "logical_cores": os.cpu_count(),
            "torch_threads": torch.get_num_threads(),
            "torch_interop_threads": torch.get_num_interop_threads(),
        }
