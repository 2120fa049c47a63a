"""The local executor: one point at a time on a CPU, one worker per GPU with several GPUs.

GPU points run one per GPU (CUDA_VISIBLE_DEVICES set to that GPU's UUID) with the CPU cores
split between the GPUs' workers (each child pinned to its share, OMP_NUM_THREADS set to it,
both recorded). A CPU point runs alone with every core: points side by side would share cores
and slow each other.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .executor import Finished, Job, Placement
from .fingerprint import Fingerprint, Gpu, HostProbe, probe
from .identity import file_name
from .runner import PointRunner, SubprocessRunner, runner_failed
from .store import STAGED


@dataclass
class _Slot:
    gpu: Gpu | None
    cores: tuple[int, ...] | None
    busy: Job | None = None
    placement: Placement | None = None


def split_cores(cores: Sequence[int], parts: int) -> list[tuple[int, ...]]:
    """Cores in `parts` contiguous shares as equal as can be (neighbours share caches)."""
    ordered = sorted(cores)
    if parts < 1 or len(ordered) < parts:
        raise ConfigError(f"{len(ordered)} CPU cores cannot be split between {parts} workers")
    size, extra = divmod(len(ordered), parts)
    shares, start = [], 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        shares.append(tuple(ordered[start:end]))
        start = end
    return shares


class LocalExecutor:
    """Points on this machine. `gpus`: NVML indices to use (default: every visible GPU)."""

    name = "local"

    def __init__(
        self,
        runner: PointRunner | None = None,
        gpus: Sequence[int] | None = None,
        host: HostProbe | None = None,
    ) -> None:
        self.staging = Path(".")
        self.runner = runner or SubprocessRunner()
        self.wanted_gpus = list(gpus) if gpus is not None else None
        self.host = host
        self.done: queue.Queue[Finished] = queue.Queue()
        self.stop_event = threading.Event()
        self.slots: list[_Slot] = []
        self.cpu_slot: _Slot | None = None
        self.threads: list[threading.Thread] = []

    @property
    def gpus_available(self) -> bool:
        return bool(self.slots)

    def open(self, staging: Path) -> list[Fingerprint]:
        self.staging = staging
        host = self.host or probe()
        self.host = host
        gpus = list(host.gpus)
        if self.wanted_gpus is not None:
            known = {g.index: g for g in gpus}
            missing = [i for i in self.wanted_gpus if i not in known]
            if missing:
                raise ConfigError(
                    f"--gpus names GPU {missing[0]}, which this machine does not show "
                    f"(visible: {', '.join(str(i) for i in known) or 'none'})"
                )
            gpus = [known[i] for i in self.wanted_gpus]
        cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        if len(gpus) > 1:
            shares = split_cores(cores, len(gpus))
            self.slots = [_Slot(g, s) for g, s in zip(gpus, shares, strict=True)]
        else:
            self.slots = [_Slot(g, None) for g in gpus]
        self.cpu_slot = _Slot(None, None)
        warm = getattr(self.runner, "warm", None)
        if warm is not None:  # the fork server's imports overlap the driver's set-up
            for slot in self.slots or [self.cpu_slot]:
                warm(self._env(slot), slot.cores)
        return [host.for_cpu(), *(host.for_gpu(s.gpu) for s in self.slots if s.gpu)]

    @staticmethod
    def _env(slot: _Slot) -> dict[str, str]:
        """What a point's process gets on this slot: its GPU, and its share of the cores."""
        env: dict[str, str] = {}
        if slot.gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = slot.gpu.uuid
            env["CUDA_DEVICE_ORDER"] = "PCI_BUS_ID"
        if slot.cores:
            env["OMP_NUM_THREADS"] = str(len(slot.cores))
        return env

    def capacity(self) -> int:
        return max(1, len(self.slots))

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "gpus": [
                {
                    "index": s.gpu.index,
                    "uuid": s.gpu.uuid,
                    "name": s.gpu.name,
                    "cores": list(s.cores) if s.cores else None,
                }
                for s in self.slots
                if s.gpu is not None
            ],
            "cpu_points": "one at a time, every core",
            "start": getattr(self.runner, "start", "fresh"),
            # the fork server's own start-up (its imports), paid once, not per point
            "fork_server_import_s": getattr(self.runner, "import_s", None),
        }

    def _all(self) -> list[_Slot]:
        return [*self.slots, *([self.cpu_slot] if self.cpu_slot else [])]

    def running(self) -> list[tuple[Job, Placement]]:
        return [(s.busy, s.placement) for s in self._all() if s.busy and s.placement]

    def try_start(self, job: Job) -> bool:
        assert self.host is not None and self.cpu_slot is not None
        if any(s.busy for s in self._all()) and (job.device_kind == "cpu" or not self.slots):
            return False  # a CPU point runs alone
        if self.cpu_slot.busy:
            return False
        if job.device_kind == "cpu" or not self.slots:
            # A CUDA point on a machine without GPUs runs too: its command says why it cannot.
            slot = self.cpu_slot
        else:
            free = [s for s in self.slots if s.busy is None]
            if not free:
                return False
            slot = free[0]
        self._start(slot, job)
        return True

    def _start(self, slot: _Slot, job: Job) -> None:
        assert self.host is not None
        env = self._env(slot)
        gpu = slot.gpu
        fingerprint = self.host.for_gpu(gpu) if gpu is not None else self.host.for_cpu()
        placement = Placement(
            node=self.host.node,
            device="cuda" if gpu is not None else "cpu",
            device_model=gpu.name if gpu is not None else self.host.cpu_model,
            cuda_visible_devices=env.get(
                "CUDA_VISIBLE_DEVICES", os.environ.get("CUDA_VISIBLE_DEVICES")
            ),
            cores=slot.cores,
            threads_env=env.get("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS")),
            fingerprint=fingerprint,
        )
        slot.busy, slot.placement = job, placement
        name = file_name(job.task.key, fingerprint.hash, job.task.round)[: -len(".json")]
        out_path = self.staging / f".{name}{STAGED}"

        def work() -> None:
            try:
                outcome = self.runner.run(job.task, env, out_path, self.stop_event, slot.cores)
            except Exception as exc:  # the runner itself broke: a failed point, not a hang
                outcome = runner_failed(exc)
            self.done.put(Finished(job, placement, outcome, out_path))

        thread = threading.Thread(target=work, name=f"sweep-{job.task.key}", daemon=True)
        self.threads.append(thread)
        thread.start()

    def collect(self, timeout_s: float) -> list[Finished]:
        out: list[Finished] = []
        try:
            out.append(self.done.get(timeout=timeout_s))
            while True:
                out.append(self.done.get_nowait())
        except queue.Empty:
            pass
        for finished in out:
            for slot in self._all():
                if slot.busy is finished.job:
                    slot.busy, slot.placement = None, None
        self.threads = [t for t in self.threads if t.is_alive()]
        return out

    def stop(self) -> None:
        self.stop_event.set()

    def close(self) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=30)
        close_runner = getattr(self.runner, "close", None)
        if close_runner is not None:
            close_runner()  # the fork server, when there is one
