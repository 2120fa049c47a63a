"""Sample one GPU's state through NVML in a separate process while the timed loop runs.

A separate process, not a thread: a sampling thread would take the GIL from the thread that
launches kernels and add host noise to launch-bound figures. The child appends JSON lines to a
file; the parent reads them when the measurement ends.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from .gpu_state import GpuReading, _nvml, read_dynamic


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
        args = [sys.executable, "-m", "infertime.gpu_monitor", "--out", name]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infertime.gpu_monitor")
    parser.add_argument("--out", required=True)
    parser.add_argument("--uuid")
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--interval", type=float, default=0.1)
    ns = parser.parse_args(argv)
    nvml = _nvml()
    if nvml is None:
        return 1
    handle = (
        nvml.nvmlDeviceGetHandleByUUID(ns.uuid)
        if ns.uuid
        else nvml.nvmlDeviceGetHandleByIndex(ns.index)
    )
    with open(ns.out, "a", encoding="utf-8") as f:
        while True:
            reading = read_dynamic(nvml, handle, time.perf_counter_ns())
            f.write(json.dumps(reading.to_dict()) + "\n")
            f.flush()
            time.sleep(ns.interval)


if __name__ == "__main__":
    sys.exit(main())
