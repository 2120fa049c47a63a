"""measure_latency: latency and device time of one configuration, with its diagnosis passes."""

from __future__ import annotations

import time
from contextlib import ExitStack, nullcontext
from dataclasses import replace
from typing import Any

from typing_extensions import Unpack

from ..devices import resolve_device
from ..devices.base import Device
from ..diagnose.launch import launch_analysis
from ..engine.latency import measure_figures, measure_replay_latency
from ..engine.progress import ProgressSink, no_progress
from ..errors import ConfigError, option
from ..isolation.repeat import measure_in_processes
from ..policies import SAMPLING_OPTION_NAMES, SamplingOptions, sampling_config
from ..telemetry.environment import capture
from ..telemetry.gpu_monitor import watch_gpu
from ..telemetry.host_sync import count_host_syncs
from ..telemetry.kernel_time import cupti_attached, kernel_pass_calls, profile_kernel_time
from ..workload.backends import build_call, close_call, opened, setup_of
from ..workload.backends.cuda_graph import CUDA_GRAPH
from ..workload.context import measurement_context
from ..workload.prepare import check_finite, notify_slow_precision, prepare_workload, spec_for
from ..workload.spec import DEFAULT_MODEL, WorkloadOptions, WorkloadSpec, split_options
from .checks import check_latency
from .result import LatencyResult, ProcessRun


class LatencyOptions(WorkloadOptions, SamplingOptions, total=False):
    """Keyword options of measure_latency: what is measured, and how to sample it."""

    min_samples: int | None  # samples before stopping (662 gives a p99)
    processes: int  # repeat the whole measurement in this many fresh processes


OPTION_NAMES = SAMPLING_OPTION_NAMES | {"min_samples", "processes"}


def measure_latency(
    model: Any = DEFAULT_MODEL,
    example_inputs: Any = None,
    *,
    cuda_graph: bool = False,
    diagnose: bool = True,
    progress: ProgressSink = no_progress,
    **options: Unpack[LatencyOptions],
) -> LatencyResult:
    """Latency (synchronous request) and device time per call (pipelined) of one configuration.

    `model` is a reference ("timm:resnet50", "torchvision:resnet50", "pkg.mod:factory"), a
    WorkloadSpec, or an nn.Module with `example_inputs` (a tensor, a sequence of tensors or a
    dict of tensors, batch dimension first). Inputs are fresh seeded N(0, 1) tensors of the
    example's shape on the device. On a GPU, `diagnose` adds a CUPTI kernel-time pass and NVML
    monitoring; `cuda_graph` adds CUDA-graph replay latency as its own figure.
    """
    t_start = time.perf_counter()
    workload, sampling = split_options(options, OPTION_NAMES, "measure_latency")
    processes = sampling.pop("processes", 1)
    sampling_config(sampling)  # flags are checked before anything slow happens
    if processes != 1:
        return measure_in_fresh_processes(
            model, example_inputs, workload, sampling, processes, cuda_graph, diagnose, progress
        )
    cupti_was_attached = cupti_attached()
    spec_backend = model.backend if isinstance(model, WorkloadSpec) else workload.get("backend")
    if cuda_graph and spec_backend not in (None, "eager"):
        raise ConfigError(
            f"--cuda-graph replays the eager model; with {option('backend')} {spec_backend} "
            "leave it out (torch.compile's mode reduce-overhead uses CUDA graphs itself)"
        )

    def check_device(device: Device) -> None:
        if cuda_graph:
            CUDA_GRAPH.check(device)

    # Prepared outside inference mode, so a caller's module keeps ordinary parameters.
    prepared = prepare_workload(model, example_inputs, workload, check_device=check_device)
    dev = prepared.device
    notify_slow_precision(prepared, progress)
    cfg = sampling_config(sampling, dev.kind)
    on_gpu = dev.kind == "cuda"
    batch = prepared.spec.batch_size
    assert batch is not None
    what = f"{prepared.reference} at batch {batch} ({prepared.spec.dtype_label})"
    wall: dict[str, float] = {}
    analysis: dict[str, Any] = {"cupti_attached_before": cupti_was_attached}
    with (
        measurement_context(prepared, pause_gc=cfg.timing.disable_gc) as measuring,
        prepared.explaining_failures(batch),
        ExitStack() as closing,
    ):
        call = build_call(prepared, batch)
        closing.callback(close_call, call)  # also when the model fails
        setup = setup_of(call)
        if setup is not None:
            analysis["backend"] = setup
        watch = watch_gpu(dev) if diagnose and on_gpu else None
        wall["prepare_s"] = elapsed_s(t_start)
        t0 = time.perf_counter()
        with watch if watch is not None else nullcontext():
            run = measure_figures(
                call,
                dev,
                cfg,
                on_first_output=lambda out: check_finite(out, what),
                progress=progress,
            )
        figures = dict(run.figures)
        wall["engine_s"] = elapsed_s(t0)
        # Outside any timed region: a model whose output turns NaN after the first call.
        check_finite(call(), f"{what}, after {run.calls_sampled} calls,")
        analysis["memory_growth"] = {
            "bytes": run.memory_growth_bytes,
            "calls": run.calls_sampled,
            "source": "held memory after sampling minus after warm-up",
        }
        if watch is not None:
            analysis["gpu_state"] = watch.record()
        if cuda_graph:
            t1 = time.perf_counter()
            with opened(CUDA_GRAPH, prepared, batch) as replay:
                figures["graph_latency"] = measure_replay_latency(
                    "graph_latency", replay, dev, cfg, run.timer_overhead_s, progress
                )
            wall["graph_pass_s"] = elapsed_s(t1)
        if diagnose and on_gpu:  # last: CUPTI slows every later launch in this process
            t1 = time.perf_counter()
            latency_s = figures["latency"].summary.median
            kernel = profile_kernel_time(call, dev, kernel_pass_calls(latency_s))
            analysis["launch"] = {
                **launch_analysis(kernel.kernel_time_s, kernel.kernels_per_call, latency_s),
                "device_time_s": figures["device_time"].summary.median,
                "profiled_calls": kernel.calls,
                "host_syncs_per_call": count_host_syncs(call, dev),
            }
            wall["kernel_pass_s"] = elapsed_s(t1)
        wall["total_s"] = elapsed_s(t_start)
        analysis["wall_s"] = wall
        analysis["model_output_lines"] = measuring.output.lines
        env = capture(dev)
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
    cuda_graph: bool,
    diagnose: bool,
    progress: ProgressSink,
) -> LatencyResult:
    """The measurement repeated in `processes` fresh processes; every process's figures kept."""
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
    if cuda_graph:
        CUDA_GRAPH.check(device)
    cfg = sampling_config(sampling, device.kind)
    runs = measure_in_processes(
        replace(spec, device=device.name),
        cfg,
        processes,
        cuda_graph=cuda_graph,
        diagnose=diagnose,
        progress=progress,
    )
    last = runs[-1]
    kept = tuple(
        ProcessRun(r.figures, r.warmup, r.analysis.get("wall_s", {}).get("total_s", 0.0))
        for r in runs
    )
    result = replace(last, processes=kept, diagnostics=())
    return result.with_diagnostics(tuple(check_latency(result)))


def elapsed_s(since: float) -> float:
    return time.perf_counter() - since
