"""The typed sections probes write around the engine step (a result's `analysis`).

Each probe of the measurement pipeline (pipeline/) writes one section: wall time, CUPTI state,
model output, backend builds, the NVML watch, the kernel-time pass. A kind's result adds its
own sections by subclassing `Analysis`. Files of schema version 5 and older kept these as an
untyped dict with the same keys and shapes; they load into these types (unknown keys are
ignored). torch-free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class GpuReading:
    """One sample of the GPU's dynamic state."""

    t_ns: int  # time.perf_counter_ns() of the reading (CLOCK_MONOTONIC on Linux)
    sm_clock_mhz: int | None
    mem_clock_mhz: int | None
    temperature_c: int | None
    power_w: float | None
    utilization_pct: int | None
    reasons: int  # clock-event reason bits


@dataclass(frozen=True)
class WallTimes:
    """Host seconds by phase of one measurement (model build and imports in `prepare_s`)."""

    total_s: float = 0.0
    prepare_s: float | None = None
    engine_s: float | None = None
    search_s: float | None = None
    graph_pass_s: float | None = None
    kernel_pass_s: float | None = None
    cold_start_s: float | None = None
    energy_s: float | None = None  # the energy pass: calibration and windows


@dataclass(frozen=True)
class BackendBuild:
    """What building one call cost and chose, where the backend does work at build time (a
    compile, an export), always outside warm-up and samples."""

    backend: str
    batch: int | None = None
    definition: str | None = None
    # --backend compile
    mode: str | None = None
    dynamic: bool | None = None
    compile_s: float | None = None
    fresh_compile: bool | None = None
    # --backend onnxruntime
    onnxruntime: str | None = None
    provider: str | None = None
    exporter: str | None = None
    export_s: float | None = None
    export_reused: bool | None = None
    session_s: float | None = None
    session_options: dict[str, Any] | None = None
    max_abs_diff_vs_eager: float | None = None
    inputs_bound: int | None = None


@dataclass(frozen=True)
class LaunchAnalysis:
    """The kernel-time pass (CUPTI) against latency: the GPU busy fraction and its verdict."""

    kernel_time_s: float
    kernels_per_call: float
    latency_s: float
    busy_fraction: float
    verdict: str  # "launch-bound" | "mixed" | "GPU-bound"
    definition: str = "GPU busy fraction = CUPTI kernel time per call / median latency"
    profiled_calls: int | None = None
    device_time_s: float | None = None  # pipelined device time per call, where measured
    host_syncs_per_call: int | None = None  # None: not counted (CPU, or could not tell)
    name: str | None = None  # the configuration, in a comparison


@dataclass(frozen=True)
class GpuState:
    """The NVML watch around the engine step: snapshots before and after (as NVML reports
    them, or {"error": why}), and readings every `interval_s` in between."""

    before: dict[str, Any]
    after: dict[str, Any] = field(default_factory=dict)
    interval_s: float = 0.1
    readings: tuple[GpuReading, ...] = ()


@dataclass(frozen=True)
class MemoryGrowth:
    """Memory held after sampling minus after warm-up, over that many calls: a model that keeps
    something from every call grows it."""

    bytes: int | None
    calls: int
    source: str = "held memory after sampling minus after warm-up"


@dataclass(frozen=True)
class Analysis:
    """The sections every kind's measurement records (the probes'); None: not recorded."""

    wall_s: WallTimes | None = None
    cupti_attached_before: bool | None = None
    model_output_lines: int | None = None
    backend: BackendBuild | None = None  # the one call timed (run)
    # every call built, in build order (a throughput sweep's batches, a comparison's copies)
    backend_builds: tuple[BackendBuild | None, ...] = ()
    gpu_state: GpuState | None = None

    @property
    def printed(self) -> int:
        return self.model_output_lines or 0
