"""Sample one GPU's state through NVML in a separate process while the timed loop runs.

A separate process, not a thread: a sampling thread would take the GIL from the thread that
launches kernels and add host noise to launch-bound figures. The child runs gpu_state.py as a
script (stdlib and pynvml only: importing torch there would itself load the CPU), appends JSON
lines to a file, and the parent reads them when the measurement ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from types import TracebackType

from . import gpu_state
from .gpu_state import GpuReading


class GpuMonitor:
    """Context manager: start sampling on enter, stop and collect readings on exit."""

    def __init__(self, uuid: str | None, index: int, interval_s: float = 0.1) -> None:
        self.uuid = uuid
        self.index = index
        self.interval_s = interval_s
        self.readings: list[GpuReading] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._path: Path | None = None

    def __enter__(self) -> GpuMonitor:
        fd, name = tempfile.mkstemp(prefix="infertime-gpu-", suffix=".jsonl")
        os.close(fd)
        self._path = Path(name)
        # run_path, not `-m` or a script path: neither the package (torch) nor its folder loads.
        runner = (
            "import runpy, sys; sys.argv = sys.argv[1:]; "
            "runpy.run_path(sys.argv[0], run_name='__main__')"
        )
        args = [sys.executable, "-c", runner, gpu_state.__file__, "--out", name]
        args += ["--index", str(self.index), "--interval", str(self.interval_s)]
        if self.uuid:
            args += ["--uuid", self.uuid]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

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


def _read(path: Path) -> list[GpuReading]:
    readings = []
    with contextlib.suppress(OSError):
        for line in path.read_text().splitlines():
            try:
                readings.append(GpuReading.from_dict(json.loads(line)))
            except (ValueError, TypeError):
                continue  # the child may be stopped in the middle of a line
    return readings
