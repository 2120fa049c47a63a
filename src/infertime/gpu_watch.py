"""Read a GPU's state before, during (sampled in a child process) and after a timed loop."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from . import gpu_state
from .devices.base import Device
from .gpu_monitor import GpuMonitor


class GpuWatch:
    def __init__(self, uuid: str | None, index: int, interval_s: float = 0.1) -> None:
        self.uuid = uuid
        self.index = index
        self.before: dict[str, Any] = {}
        self.after: dict[str, Any] = {}
        self.monitor: GpuMonitor | None = None
        self.interval_s = interval_s

    def __enter__(self) -> GpuWatch:
        self.before = gpu_state.snapshot(self.uuid, self.index)
        if "error" not in self.before:
            self.monitor = GpuMonitor(self.uuid, self.index, self.interval_s).__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.monitor is not None:
            self.monitor.__exit__(exc_type, exc, tb)
        if exc_type is None:
            self.after = gpu_state.snapshot(self.uuid, self.index)

    def to_dict(self) -> dict[str, Any]:
        readings = self.monitor.readings if self.monitor is not None else []
        return {
            "before": self.before,
            "after": self.after,
            "interval_s": self.interval_s,
            "readings": [r.to_dict() for r in readings],
        }


def gpu_watch(device: Device) -> GpuWatch:
    info = device.describe()
    return GpuWatch(info.get("uuid"), int(info.get("index", 0)))
