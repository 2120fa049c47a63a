"""Where a test's timing runs: the device it asks for, one GPU per pytest-xdist worker, or a
refusal (never two timings on one device at once); a device this machine lacks skips it."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Worker:
    """A pytest-xdist worker: `gw<index>` of `count`."""

    id: str
    index: int
    count: int


class Refused(Exception):
    """The timing cannot run here without sharing its device: the test fails, in one line."""


class Unavailable(Exception):
    """This machine has no such device: the test is skipped, with this reason."""


def worker_of(config: Any) -> Worker | None:
    """This process's pytest-xdist worker, None outside xdist (xdist sets `workerinput`)."""
    given = getattr(config, "workerinput", None)
    if not isinstance(given, dict):
        return None
    wid = str(given.get("workerid", "gw0"))
    count = given.get("workercount") or os.environ.get("PYTEST_XDIST_WORKER_COUNT") or 1
    index = int(wid[2:]) if wid.startswith("gw") and wid[2:].isdigit() else 0
    return Worker(wid, index, int(count))


def place(requested: str, worker: Worker | None, cuda_count: Callable[[], int]) -> str:
    """The device name to measure on: `requested` ("auto", "cpu", "cuda", "cuda:N"); under
    pytest-xdist with several workers, worker k times on cuda:k only, and CPU timings are
    refused (every worker shares the CPU)."""
    name = requested.strip().lower()
    if name == "auto":
        name = "cuda" if cuda_count() > 0 else "cpu"
    kind, _, index = name.partition(":")
    count = cuda_count() if kind == "cuda" else 0
    if kind == "cuda":
        if count == 0:
            raise Unavailable(f"infertime: the test times on {name}; this machine has no CUDA GPU")
        if index.isdigit() and int(index) >= count:
            raise Unavailable(
                f"infertime: the test times on {name}; this machine has {count} GPU(s)"
            )
    if worker is None or worker.count <= 1:
        return name
    if kind != "cuda":
        raise Refused(
            f"infertime: pytest-xdist runs {worker.count} workers on this machine's CPU, so "
            "timings would run side by side and slow each other; run the timing tests in one "
            "process (-p no:xdist, or -n 0)"
        )
    if worker.count > count:
        raise Refused(
            f"infertime: pytest-xdist runs {worker.count} workers and this machine has {count} "
            f"GPU(s), so two timings would share a GPU; run at most -n {count} (one GPU per "
            "worker), or the timing tests with -p no:xdist"
        )
    mine = f"cuda:{worker.index}"
    if index.isdigit() and int(index) != worker.index:
        raise Refused(
            f"infertime: the test asks for {name}, and under pytest-xdist worker {worker.id} "
            f"times on {mine} only (one GPU per worker); ask for device 'cuda'"
        )
    return mine


def cuda_count() -> int:
    """CUDA GPUs torch sees (imports torch: called when a test measures)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0
