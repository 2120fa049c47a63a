"""A GPU's state before, during and after a timed loop: NVML snapshots and a sampling process.

Sampling runs in a separate process, not a thread: a sampling thread would take the GIL from
the thread that launches kernels and add host noise to launch-bound figures. The child runs
nvml.py as a script (stdlib and pynvml only: importing torch there would itself load the CPU),
appends JSON lines to a file, and the parent reads them when the loop ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

from ..devices.base import Device
from ..sections import GpuReading, GpuState
from . import nvml


class GpuWatch:
    """Context manager: a snapshot on enter, readings every `interval_s` inside, one on exit."""

    def __init__(self, uuid: str | None, index: int, interval_s: float = 0.1) -> None:
        self.uuid = uuid
        self.index = index
        self.interval_s = interval_s
        self.before: dict[str, Any] = {}
        self.after: dict[str, Any] = {}
        self.readings: list[GpuReading] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._path: Path | None = None

    def __enter__(self) -> GpuWatch:
        self.before = nvml.snapshot(self.uuid, self.index)
        if "error" not in self.before:
            self._start_sampler()
        return self

    def _start_sampler(self) -> None:
        from ..processes import start_script

        fd, name = tempfile.mkstemp(prefix="infertime-gpu-", suffix=".jsonl")
        os.close(fd)
        self._path = Path(name)
        args = ["--out", name, "--index", str(self.index), "--interval", str(self.interval_s)]
        if self.uuid:
            args += ["--uuid", self.uuid]
        self._proc = start_script(nvml.__file__, args)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._path is not None:
            self.readings = _read(self._path)
            self._path.unlink(missing_ok=True)
        if exc_type is None:
            self.after = nvml.snapshot(self.uuid, self.index)

    def record(self) -> GpuState:
        """What the result keeps (its `gpu_state` section)."""
        return GpuState(
            before=self.before,
            after=self.after,
            interval_s=self.interval_s,
            readings=tuple(self.readings),
        )


def watch_gpu(device: Device) -> GpuWatch:
    info = device.describe()
    return GpuWatch(info.get("uuid"), int(info.get("index", 0)))


def _read(path: Path) -> list[GpuReading]:
    readings = []
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            try:
                readings.append(GpuReading(**json.loads(line)))
            except (ValueError, TypeError):
                continue  # the child may be stopped in the middle of a line
    return readings
