"""The Ray executor: each point a Ray task holding one GPU (or a node's CPU cores), in a fresh
worker process (max_calls=1), never retried by Ray (a failure is a result).

The task starts the point's own fresh interpreter through the same PointRunner as the local
executor, so no point measures inside a process that also runs Ray's threads; it fingerprints
the place it was given (node, the GPU Ray assigned) and sends the result document back. Only
the driver writes the results folder. Every alive node is probed first (its fingerprints are
what `--resume` accepts).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..errors import ConfigError, InfertimeError, MissingDependencyError
from .executor import Finished, Job, Placement
from .fingerprint import Fingerprint, HostProbe, probe
from .runner import PointOutcome, PointRunner, SubprocessRunner

CONNECT_TIMEOUT_S = 10.0  # to open a TCP connection to the cluster's address
# A run whose Ray worker died before answering: where it ran is unknown. Its failure is kept
# under this fingerprint, which every cluster accepts, so it is never run again silently.
UNKNOWN_PLACE = Fingerprint({"place": "unknown", "why": "the Ray worker died before answering"})


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise MissingDependencyError("ray", "ray", "--executor ray") from None
    return ray


def check_address(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """A `ray://host:port` or `host:port` address must accept a connection (one line if not)."""
    if address == "auto":
        address = _auto_address()
    parsed = urlparse(address if "://" in address else f"tcp://{address}")
    host, port = parsed.hostname, parsed.port
    if not host or not port:
        raise ConfigError(f"--ray-address {address!r} is not auto, ray://HOST:PORT or HOST:PORT")
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise InfertimeError(
            f"no Ray cluster answers at {address}: {exc.strerror or exc}",
            advice="check the address, or start the cluster with `ray start --head`",
        ) from None


def _auto_address() -> str:
    """The running cluster's GCS address, as `ray.init(address="auto")` finds it."""
    try:
        from ray._private.services import canonicalize_bootstrap_address_or_die

        return str(canonicalize_bootstrap_address_or_die("auto"))
    except Exception as exc:  # none running, several, or Ray's private API moved
        raise InfertimeError(
            f"no running Ray cluster found for --ray-address auto: {first(exc)}",
            advice="start one with `ray start --head`",
        ) from None


def run_on_node(
    task: Any, device_kind: str, cpus: int, runner: PointRunner
) -> tuple[dict[str, Any], Fingerprint, PointOutcome]:
    """In a Ray worker: fingerprint the place Ray gave this task, run the point, answer."""
    import ray

    node = f"{socket.gethostname()}/{ray.get_runtime_context().get_node_id()[:6]}"
    host = probe()  # sees the GPU Ray assigned through CUDA_VISIBLE_DEVICES
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if device_kind == "cuda" and host.gpus:
        fingerprint, model = host.for_gpu(host.gpus[0]), host.gpus[0].name
    else:
        fingerprint, model = host.for_cpu(), host.cpu_model
    env = {"OMP_NUM_THREADS": str(cpus)}
    placement = {
        "node": node,
        "device": device_kind,
        "device_model": model,
        "cuda_visible_devices": visible,
        "cores": None,
        "omp_num_threads": env["OMP_NUM_THREADS"],
    }
    with tempfile.TemporaryDirectory(prefix="infertime-sweep-") as folder:
        out = Path(folder) / "result.json"
        outcome = runner.run(task, env, out, threading.Event())
    return placement, fingerprint, outcome


def probe_node() -> HostProbe:
    return probe()


class RayExecutor:
    """Points on a Ray cluster. `address`: None starts a local instance with `init` (tests:
    num_cpus, num_gpus), "auto" joins the running cluster, "ray://HOST:PORT" a remote one."""

    name = "ray"

    def __init__(
        self,
        address: str | None = None,
        runner: PointRunner | None = None,
        cpus_per_point: int | None = None,
        init: dict[str, Any] | None = None,
    ) -> None:
        self.address = address
        self.runner = runner or SubprocessRunner()
        self.cpus_per_point = cpus_per_point
        self.init = init or {}
        self.inflight: dict[Any, Job] = {}
        self.started_ray = False
        self.gpus_total = 0
        self.slots = 1
        self.point_cpus = 1
        self.node_probes: list[HostProbe] = []
        self._remote: Any = None

    @property
    def gpus_available(self) -> bool:
        return self.gpus_total > 0

    def open(self, staging: Path) -> list[Fingerprint]:
        ray = _ray()
        if self.address is not None:
            check_address(self.address)
        self._connect(ray)
        nodes = [n for n in ray.nodes() if n.get("Alive")]
        if not nodes:
            raise InfertimeError("the Ray cluster has no alive node")
        self.gpus_total = int(sum(n["Resources"].get("GPU", 0) for n in nodes))
        cpu_nodes = [int(n["Resources"].get("CPU", 0)) for n in nodes]
        if self.gpus_total:
            ratios = [
                int(n["Resources"].get("CPU", 0)) // int(n["Resources"]["GPU"])
                for n in nodes
                if n["Resources"].get("GPU", 0) >= 1
            ]
            self.point_cpus = self.cpus_per_point or max(1, min(ratios))
            self.slots = self.gpus_total
        else:
            # A CPU point takes a whole node: points side by side would share its cores.
            self.point_cpus = self.cpus_per_point or max(1, min(cpu_nodes))
            self.slots = sum(c // self.point_cpus for c in cpu_nodes) or 1
        self.node_probes = self._probe_nodes(ray, nodes)
        # max_calls=1: a fresh worker process per point; max_retries=0: a crashed point is a
        # result, not a rerun (Ray's default retries it).
        self._remote = ray.remote(max_calls=1, max_retries=0, retry_exceptions=False)(run_on_node)
        places = [f for p in self.node_probes for f in p.fingerprints()]
        return [*places, UNKNOWN_PLACE]

    def _connect(self, ray: Any) -> None:
        """ray.init in this thread: Ray ties its local processes (GCS, raylet) to the thread
        that starts them, which a watchdog thread would kill on leaving. The time limit comes
        from checking the address first (check_address)."""
        previous = signal.getsignal(signal.SIGTERM)
        options: dict[str, Any] = {"log_to_driver": False, "logging_level": "ERROR"}
        if self.address is None:
            options.update({"include_dashboard": False, **self.init})
        else:
            options["address"] = self.address
        try:
            ray.init(**options)
        except Exception as exc:
            where = self.address or "a local Ray instance"
            raise InfertimeError(f"cannot connect to {where}: {first(exc)}") from None
        finally:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGTERM, previous)  # ray.init replaces the driver's
        self.started_ray = True

    def _probe_nodes(self, ray: Any, nodes: list[dict[str, Any]]) -> list[HostProbe]:
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        remote = ray.remote(probe_node)
        refs = [
            remote.options(
                num_cpus=0,
                max_retries=0,
                scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False),
            ).remote()
            for n in nodes
        ]
        probes: list[HostProbe] = ray.get(refs, timeout=120)
        return probes

    def capacity(self) -> int:
        return self.slots

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": self.address,
            "nodes": [p.node for p in self.node_probes],
            "gpus": self.gpus_total,
            "cpus_per_point": self.point_cpus,
            "slots": self.slots,
        }

    def running(self) -> list[tuple[Job, Placement]]:
        # Where a task runs is known when it answers; until then it is "on the cluster".
        return [(job, _pending_placement(job)) for job in self.inflight.values()]

    def try_start(self, job: Job) -> bool:
        if len(self.inflight) >= self.slots:
            return False
        gpus = 1 if self.gpus_total else 0
        ref = self._remote.options(
            num_gpus=gpus,
            num_cpus=self.point_cpus,
        ).remote(job.task, job.device_kind, self.point_cpus, self.runner)
        self.inflight[ref] = job
        return True

    def collect(self, timeout_s: float) -> list[Finished]:
        ray = _ray()
        if not self.inflight:
            time.sleep(min(timeout_s, 0.05))
            return []
        ready, _ = ray.wait(list(self.inflight), num_returns=1, timeout=timeout_s)
        if ready:
            ready, _ = ray.wait(list(self.inflight), num_returns=len(self.inflight), timeout=0)
        out = []
        for ref in ready:
            job = self.inflight.pop(ref)
            out.append(self._answer(ray, ref, job))
        return out

    def _answer(self, ray: Any, ref: Any, job: Job) -> Finished:
        try:
            record, fingerprint, outcome = ray.get(ref)
        except Exception as exc:  # the task or its worker died: a failure, or a stop
            cancelled = type(exc).__name__ == "TaskCancelledError"
            status, reason = ("stopped", None) if cancelled else ("failed", "worker-died")
            now = time.time()
            outcome = PointOutcome(
                status, None, reason, first(exc), None, "", now, now, 0.0, None, None
            )
            return Finished(job, _pending_placement(job, UNKNOWN_PLACE), outcome)
        placement = Placement(
            node=record["node"],
            device=record["device"],
            device_model=record["device_model"],
            cuda_visible_devices=record["cuda_visible_devices"],
            cores=None,
            threads_env=record["omp_num_threads"],
            fingerprint=fingerprint,
        )
        return Finished(job, placement, outcome)

    def stop(self) -> None:
        ray = _ray()
        for ref in list(self.inflight):
            with contextlib.suppress(Exception):
                ray.cancel(ref, force=True)  # kills the worker; its child dies with it

    def close(self) -> None:
        if self.started_ray:
            ray = _ray()
            ray.shutdown()
            self.started_ray = False


def first(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _pending_placement(job: Job, fingerprint: Fingerprint = UNKNOWN_PLACE) -> Placement:
    return Placement("", job.device_kind, "?", None, None, None, fingerprint)
