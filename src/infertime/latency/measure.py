"""measure_latency: latency and device time of one configuration, with its diagnosis passes."""

from __future__ import annotations

import warnings
from dataclasses import asdict, replace
from typing import Any

from typing_extensions import Unpack

from ..devices import resolve_device
from ..devices.base import Device
from ..energy.policy import EnergyPolicy, energy_policy
from ..engine.latency import measure_figures, measure_replay_latency
from ..engine.progress import ProgressSink, no_progress
from ..errors import ConfigError, option
from ..execution.repeat import measure_in_processes
from ..pipeline.energy import EnergyTarget
from ..pipeline.measurement import Measurement, ProfileTarget, child_spec
from ..policies import SAMPLING_OPTION_NAMES, SamplingOptions, sampling_config
from ..sections import MemoryGrowth
from ..specs.spec import DEFAULT_MODEL, WorkloadOptions, WorkloadSpec, split_options
from ..workload.backends.cuda_graph import CUDA_GRAPH
from ..workload.prepare import notify_slow_precision, prepare_workload, spec_for
from .checks import check_latency
from .result import LatencyAnalysis, LatencyResult, ProcessRun


class LatencyOptions(WorkloadOptions, SamplingOptions, total=False):
    """Keyword options of measure_latency: what is measured, and how to sample it."""

    min_samples: int | None  # samples before stopping (662 gives a p99)
    runs: int | None  # exactly this many samples of each figure, however long it takes
    processes: int  # repeat the whole measurement in this many fresh processes


OPTION_NAMES = SAMPLING_OPTION_NAMES | {"min_samples", "runs", "processes"}


def measure_latency(
    model: Any = DEFAULT_MODEL,
    example_inputs: Any = None,
    *,
    graph_replay: bool = False,
    diagnose: bool = True,
    energy: bool | EnergyPolicy = False,
    progress: ProgressSink = no_progress,
    cuda_graph: bool | None = None,
    **options: Unpack[LatencyOptions],
) -> LatencyResult:
    """Latency (synchronous request) and device time per call (pipelined) of one configuration.

    `model` is a reference ("timm:resnet50", "torchvision:resnet50", "hf:bert",
    "onnx:model.onnx", "pkg.mod:factory"), a WorkloadSpec, or an nn.Module with
    `example_inputs` (a tensor, a sequence of tensors or a dict of tensors, batch dimension
    first). Inputs are fresh seeded N(0, 1) tensors of the example's shape on the device. On a
    GPU, `diagnose` adds a CUPTI kernel-time pass and NVML monitoring; `graph_replay` also
    times the eager model replayed from a CUDA graph, as its own figure (`backend="cuda-graph"`
    instead times only the replay). `cuda_graph` is the old name of `graph_replay`.

    `energy` adds an energy pass after the timed figures (`result.energy`): joules per call
    and per item of back-to-back calls (the pipelined regime), total and above idle, with CIs
    over windows, from NVML's energy counter on a GPU or RAPL on a CPU; "not measured" with
    the reason where there is no readable counter (the timing figures stand either way). An
    EnergyPolicy instead of True changes its windows and baseline.
    """
    if cuda_graph is not None:
        warnings.warn(
            "measure_latency(cuda_graph=...) is now graph_replay=...", DeprecationWarning, 2
        )
        graph_replay = graph_replay or cuda_graph
    workload, sampling = split_options(options, OPTION_NAMES, "measure_latency")
    processes = sampling.pop("processes", 1)
    sampling_config(sampling)  # flags are checked before anything slow happens
    energy_asked = energy_policy(energy)
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise ConfigError(f"{option('processes')} must be an integer >= 2, got {processes!r}")
    if processes != 1:
        return measure_in_fresh_processes(
            model,
            example_inputs,
            workload,
            sampling,
            processes,
            graph_replay,
            diagnose,
            progress,
            energy_asked,
        )
    spec_backend = model.backend if isinstance(model, WorkloadSpec) else workload.get("backend")
    if graph_replay and spec_backend not in (None, "eager"):
        raise ConfigError(
            f"{option('graph_replay')} replays the eager model in a CUDA graph; with "
            f"{option('backend')} {spec_backend} leave it out (torch.compile's mode "
            "reduce-overhead uses CUDA graphs itself)"
        )

    def check_device(device: Device) -> None:
        if graph_replay:
            CUDA_GRAPH.check(device)

    # Prepared outside inference mode, so a caller's module keeps ordinary parameters.
    prepared = prepare_workload(model, example_inputs, workload, check_device=check_device)
    dev = prepared.device
    notify_slow_precision(prepared, progress)
    cfg = sampling_config(sampling, dev.kind)
    batch = prepared.spec.batch_size
    assert batch is not None
    what = f"{prepared.reference} at batch {batch} ({prepared.spec.dtype_label})"
    with Measurement(dev, cfg, diagnose=diagnose, progress=progress, energy=energy_asked) as m:
        measuring = m.enter(prepared, batch)
        call = m.build(prepared, batch)
        with m.engine():
            run = measure_figures(
                call,
                dev,
                cfg,
                on_first_output=lambda out: m.check_finite(out, what),
                progress=progress,
            )
        figures = dict(run.figures)
        # Outside any timed region: a model whose output turns NaN after the first call.
        m.check_finite(call(), f"{what}, after {run.calls_sampled} calls,")
        if graph_replay:
            with m.phase("graph_pass_s"), m.scoped(prepared, batch, CUDA_GRAPH) as replay:
                figures["graph_latency"] = measure_replay_latency(
                    "graph_latency", replay, dev, cfg, run.timer_overhead_s, progress
                )
        # Back-to-back calls, as device time: the energy figures are of the pipelined regime.
        pipelined = figures["device_time" if "device_time" in figures else "latency"]
        m.measure_energy(
            [EnergyTarget(f"batch {batch}", [call], batch, call_s=pipelined.summary.median)]
        )
        # Last: CUPTI slows every later launch in this process.
        m.kernel_pass(
            [
                ProfileTarget(
                    call,
                    figures["latency"].summary.median,
                    figures["device_time"].summary.median if "device_time" in figures else None,
                )
            ]
        )
        analysis = m.analysis(
            LatencyAnalysis,
            backend=m.builds[0],
            launch=m.launch[0] if m.launch else None,
            memory_growth=MemoryGrowth(run.memory_growth_bytes, run.calls_sampled),
        )
        env = m.environment()
    result = LatencyResult(
        settings=prepared.settings(measuring.record, cfg),
        warmup=run.warmup,
        figures=figures,
        timer_overhead_s=run.timer_overhead_s,
        memory=run.memory,
        environment=env,
        analysis=analysis,
    )
    return result.with_diagnostics(tuple(check_latency(result)))


def measure_in_fresh_processes(
    model: Any,
    example_inputs: Any,
    workload: dict[str, Any],
    sampling: dict[str, Any],
    processes: Any,
    graph_replay: bool,
    diagnose: bool,
    progress: ProgressSink,
    energy: EnergyPolicy | None = None,
) -> LatencyResult:
    """The measurement repeated in `processes` fresh processes; every process's figures kept.
    Energy is measured in the last one, after its timed figures (as the diagnosis passes)."""
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 2:
        raise ConfigError(f"{option('processes')} must be an integer >= 2, got {processes!r}")
    if example_inputs is not None or not isinstance(model, (str, WorkloadSpec)):
        raise ConfigError(
            f"{option('processes')} rebuilds the model in each fresh process: it needs a model "
            "reference, not a module"
        )
    spec, given = spec_for(model, workload)
    if given is not None:
        raise ConfigError(f"{option('processes')} needs a device name, not a Device object")
    device = resolve_device(spec.device)
    if graph_replay:
        CUDA_GRAPH.check(device)
    cfg = sampling_config(sampling, device.kind)
    runs = measure_in_processes(
        "latency",
        child_spec(spec, device, spec.threads),
        cfg,
        processes,
        options={"graph_replay": graph_replay, "diagnose": False},
        last_options={"diagnose": diagnose, **({"energy": asdict(energy)} if energy else {})},
        progress=progress,
    )
    last: LatencyResult = runs[-1]
    kept = tuple(
        ProcessRun(r.figures, r.warmup, r.analysis.wall_s.total_s if r.analysis.wall_s else 0.0)
        for r in runs
    )
    result = replace(last, processes=kept, diagnostics=())
    return result.with_diagnostics(tuple(check_latency(result)))
