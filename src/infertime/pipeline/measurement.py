"""The one measurement skeleton every kind runs through, and the probes around its engine step.

A kind's measure function opens a `Measurement`, prepares its model(s), enters the measurement
context through it, builds its calls through it, runs its engine step inside `engine()`, and
finishes with `analysis()` and `environment()`. What used to be written by hand in each kind
(and had drifted) is done here once:

- CUPTI state: whether a kernel-time pass ran earlier in this process (at the start);
- wall time by phase (`phase(...)`, `engine()`), total at the end;
- backend builds: what building each call cost (a compile, an export), in build order;
- model output: lines the model printed inside every context entered;
- the NVML watch around the engine step (GPU, `diagnose`);
- the energy pass (`--energy`), after the timed figures and before CUPTI (pipeline/energy.py);
- the kernel-time pass (CUPTI) and host-sync count, last: CUPTI slows every later launch;
- finite output before and after the engine step;
- the spec a child process gets (threads and device rules applied once, `child_spec`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field, fields, replace
from types import TracebackType
from typing import Any

from ..devices.base import Device
from ..diagnose.launch import launch_analysis
from ..energy.policy import EnergyPolicy
from ..energy.probe import EnergyProbe
from ..energy.records import EnergyRecord
from ..engine.progress import ProgressSink, no_progress
from ..policies import MeasureConfig
from ..sections import Analysis, BackendBuild, GpuState, LaunchAnalysis, WallTimes
from ..specs.spec import WorkloadSpec
from ..telemetry.gpu_monitor import GpuWatch, watch_gpu
from ..telemetry.host_sync import count_host_syncs
from ..telemetry.kernel_time import cupti_attached, kernel_pass_calls, profile_kernel_time
from ..workload.backends import Backend, close_call, get_backend, setup_of
from ..workload.context import Measuring, measurement_context
from ..workload.outputs import check_finite
from ..workload.prepare import PreparedModel
from .energy import EnergyTarget, energy_pass, open_probe


@dataclass(frozen=True)
class ProfileTarget:
    """A call the kernel-time pass profiles after timing, with the figures it is judged by."""

    call: Callable[[], Any]
    latency_s: float
    device_time_s: float | None = None
    name: str | None = None  # the configuration, in a comparison
    count_syncs: bool = True


@dataclass
class Measurement:
    """One measurement's state; use as a context manager (`with Measurement(...) as m:`)."""

    device: Device
    config: MeasureConfig
    diagnose: bool = True
    progress: ProgressSink = no_progress
    started: float = field(default_factory=time.perf_counter)
    cupti_before: bool = field(default_factory=cupti_attached)
    builds: list[BackendBuild | None] = field(default_factory=list)
    contexts: list[Measuring] = field(default_factory=list)
    wall: dict[str, float] = field(default_factory=dict)
    gpu_state: GpuState | None = None
    launch: list[LaunchAnalysis | None] = field(default_factory=list)
    energy: EnergyPolicy | None = None  # the energy probe's policy; None: not asked for
    energy_probe: EnergyProbe | None = None  # opened on first use (a test may give its own)
    energy_record: EnergyRecord | None = None
    _stack: ExitStack = field(default_factory=ExitStack)

    def __enter__(self) -> Measurement:
        self._stack.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        return self._stack.__exit__(exc_type, exc, tb)

    @property
    def on_gpu(self) -> bool:
        return self.device.kind == "cuda"

    # -- the model(s) ---------------------------------------------------------------------

    def enter(self, prepared: PreparedModel, batch: int | None = None) -> Measuring:
        """Enter the measurement context of `prepared` (until the measurement ends); with
        `batch`, a failure of the model inside becomes one clear error naming that batch."""
        self._stack.callback(prepared.restore)  # a caller's module, as it came, afterwards
        measuring = self._stack.enter_context(
            measurement_context(prepared, pause_gc=self.config.timing.disable_gc)
        )
        self.contexts.append(measuring)
        if batch is not None:
            self._stack.enter_context(prepared.explaining_failures(batch))
        return measuring

    def build(
        self, prepared: PreparedModel, batch: int, backend: Backend | None = None
    ) -> Callable[[], Any]:
        """The call to time at `batch` (the spec's backend unless given), closed (its graph
        or session freed) when the measurement ends; what building it cost is recorded."""
        chosen = backend if backend is not None else get_backend(prepared.spec.backend)
        call = chosen.build(prepared, batch)
        self._stack.callback(close_call, call)
        self.builds.append(setup_of(call))
        return call

    def record_build(self, call: Callable[[], Any]) -> None:
        """Record what building a call cost, for a call the kind holds itself (a throughput
        curve builds and drops one per batch)."""
        self.builds.append(setup_of(call))

    def scoped(self, prepared: PreparedModel, batch: int, backend: Backend | None = None) -> Any:
        """A call built like `build` (not recorded), closed when the returned block ends."""
        chosen = backend if backend is not None else get_backend(prepared.spec.backend)

        @contextmanager
        def opened() -> Iterator[Callable[[], Any]]:
            call = chosen.build(prepared, batch)
            try:
                yield call
            finally:
                close_call(call)

        return opened()

    @staticmethod
    def check_finite(output: Any, what: str) -> None:
        """Refuse a model whose output holds NaN or inf (outside any timed region)."""
        check_finite(output, what)

    # -- the engine step and its probes ----------------------------------------------------

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Wall time of a phase (`name` ends in _s), recorded in the wall-time section."""
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.wall[name] = self.wall.get(name, 0.0) + time.perf_counter() - t0

    @contextmanager
    def engine(self, watch: bool = True) -> Iterator[None]:
        """The engine step: its wall time, and on a GPU (with `diagnose`) the NVML watch."""
        if "prepare_s" not in self.wall:
            self.wall["prepare_s"] = time.perf_counter() - self.started
        gpu_watch: GpuWatch | None = (
            watch_gpu(self.device) if watch and self.diagnose and self.on_gpu else None
        )
        with self.phase("engine_s"), gpu_watch if gpu_watch is not None else nullcontext():
            yield
        if gpu_watch is not None:
            self.gpu_state = gpu_watch.record()

    def kernel_pass(self, targets: Sequence[ProfileTarget | None]) -> None:
        """The CUPTI kernel-time pass over each target, after timing (GPU, `diagnose`): the
        launch analysis of each (None where a target is None). Run it last: CUPTI stays
        attached and slows every later launch in this process."""
        if not (self.diagnose and self.on_gpu):
            return
        with self.phase("kernel_pass_s"):
            for target in targets:
                if target is None:
                    self.launch.append(None)
                    continue
                kernel = profile_kernel_time(
                    target.call, self.device, kernel_pass_calls(target.latency_s)
                )
                found = launch_analysis(
                    kernel.kernel_time_s, kernel.kernels_per_call, target.latency_s
                )
                syncs = count_host_syncs(target.call, self.device) if target.count_syncs else None
                self.launch.append(
                    replace(
                        found,
                        profiled_calls=kernel.calls,
                        device_time_s=target.device_time_s,
                        host_syncs_per_call=syncs,
                        name=target.name,
                    )
                )

    def measure_energy(self, targets: Sequence[EnergyTarget], **how: Any) -> EnergyRecord | None:
        """The energy pass over `targets` (pipeline/energy.py; `how`: interleaved, throughput,
        peak_batch), when energy was asked for: after the timed figures, before the
        kernel-time pass. Its record becomes the analysis' `energy` section."""
        if self.energy is None:
            return None
        if self.energy_probe is None:
            self.energy_probe = open_probe(self.device, self.energy)
        with self.phase("energy_s"):
            self.energy_record = energy_pass(
                self.energy_probe, targets, progress=self.progress, **how
            )
        return self.energy_record

    # -- what the measurement recorded -----------------------------------------------------

    def wall_times(self) -> WallTimes:
        return WallTimes(total_s=time.perf_counter() - self.started, **self.wall)

    def analysis(self, kind: type[Analysis] = Analysis, **sections: Any) -> Any:
        """The probes' sections, and the kind's own (`sections`: its launch analysis, and
        which builds it records, `backend` or `backend_builds`), as the kind's type."""
        base: dict[str, Any] = {
            "wall_s": self.wall_times(),
            "cupti_attached_before": self.cupti_before,
            "model_output_lines": sum(m.output.lines for m in self.contexts),
            "gpu_state": self.gpu_state,
        }
        if "energy" in {f.name for f in fields(kind)}:  # kinds that carry the energy probe
            base["energy"] = self.energy_record
        return kind(**{**base, **sections})

    def environment(self) -> dict[str, Any]:
        """What the result depends on, read inside the context (threads in force)."""
        from ..telemetry.environment import capture

        return capture(self.device)

    # -- child processes ------------------------------------------------------------------

    def child_spec(self, spec: WorkloadSpec) -> WorkloadSpec:
        """The spec a fresh process rebuilds the model from (see `child_spec`)."""
        threads = self.contexts[0].record.threads if self.contexts else None
        return child_spec(spec, self.device, threads)


def child_spec(spec: WorkloadSpec, device: Device | None, threads: int | None) -> WorkloadSpec:
    """The one place a child's spec is made: the device resolved in the parent (so a child
    never picks another GPU) and the threads this process runs with, whatever was asked (a
    caller's own torch.set_num_threads reaches the child too)."""
    changes: dict[str, Any] = {}
    if device is not None:
        changes["device"] = device.name
    if threads is None and spec.threads is None:
        import torch

        threads = torch.get_num_threads()
    if threads is not None:
        changes["threads"] = threads
    return replace(spec, **changes)


def elapsed_s(since: float) -> float:
    return time.perf_counter() - since
