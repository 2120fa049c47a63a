"""Where points run: the interface the driver uses, and what comes back from each run.

An executor places jobs (never two on one GPU, never a CPU point beside another point), runs
each through a PointRunner in a fresh process, and hands back, in the driver's thread, the
outcome with where it ran. Only the driver writes the results folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .fingerprint import Fingerprint
from .runner import PointOutcome, PointTask


@dataclass(frozen=True)
class Job:
    task: PointTask
    device_kind: str  # "cuda" or "cpu"


@dataclass(frozen=True)
class Placement:
    """Where one run ran: node, device, the GPU and cores it was given, its environment."""

    node: str
    device: str  # "cpu" or "cuda" (as the child saw it: the one visible GPU)
    device_model: str  # GPU or CPU model: the table groups by it
    cuda_visible_devices: str | None
    cores: tuple[int, ...] | None  # CPU cores the child was pinned to (None: not pinned)
    threads_env: str | None  # OMP_NUM_THREADS given to the child
    fingerprint: Fingerprint

    def record(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "device": self.device,
            "device_model": self.device_model,
            "cuda_visible_devices": self.cuda_visible_devices,
            "cores": list(self.cores) if self.cores is not None else None,
            "omp_num_threads": self.threads_env,
        }

    @property
    def where(self) -> str:
        """For progress lines: 'node1 GPU-3fa2…' or 'cpu'."""
        device = self.cuda_visible_devices or self.device
        return f"{self.node} {device}" if self.node else device


@dataclass(frozen=True)
class Finished:
    job: Job
    placement: Placement
    outcome: PointOutcome
    staged: Path | None = None  # the child's own file, removed once the driver has stored it


class Executor(Protocol):
    name: str

    def open(self, staging: Path) -> list[Fingerprint]:
        """Start (or connect), probe every machine: the fingerprint of every place a point
        may run (what `--resume` accepts). Children on this machine may write in `staging`."""
        ...

    @property
    def gpus_available(self) -> bool:
        """Whether points on device auto run on GPUs (known after `open`)."""
        ...

    def capacity(self) -> int:
        """How many points may run at once."""
        ...

    def try_start(self, job: Job) -> bool:
        """Start `job` if a place is free for it now; False leaves it for later."""
        ...

    def running(self) -> list[tuple[Job, Placement]]: ...

    def collect(self, timeout_s: float) -> list[Finished]:
        """Runs that finished, waiting up to `timeout_s` for the first."""
        ...

    def stop(self) -> None:
        """End every running child; their outcomes come back from `collect` as "stopped"."""
        ...

    def close(self) -> None: ...

    def describe(self) -> dict[str, Any]:
        """What the manifest records about the executor (workers, GPUs, cores)."""
        ...
