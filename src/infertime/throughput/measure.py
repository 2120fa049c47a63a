"""measure_throughput: max-fit search, throughput curve, peak, knee and latency-budget batches."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from typing_extensions import Unpack

from ..engine.progress import ProgressSink, no_progress
from ..engine.throughput import run_throughput
from ..errors import option
from ..isolation.probe import isolated_prober
from ..policies import SAMPLING_OPTION_NAMES, SamplingOptions, ThroughputPolicy, sampling_config
from ..telemetry.environment import capture
from ..telemetry.kernel_time import cupti_attached
from ..workload.backends import build_call, setup_of
from ..workload.context import measurement_context
from ..workload.prepare import check_finite, notify_slow_precision, prepare_workload
from ..workload.spec import DEFAULT_MODEL, WorkloadOptions, split_options
from .checks import check_throughput
from .result import ThroughputResult


class ThroughputOptions(WorkloadOptions, SamplingOptions, total=False):
    """Keyword options of measure_throughput: what is measured, and how to sample it."""


def measure_throughput(
    model: Any = DEFAULT_MODEL,
    example_inputs: Any = None,
    *,
    max_batch: int | None = None,
    memory_fraction: float | None = None,
    isolate: bool = False,
    latency_budget_s: float | None = None,
    budget_stat: str = "p99",
    knee_fraction: float = 0.95,
    progress: ProgressSink = no_progress,
    **options: Unpack[ThroughputOptions],
) -> ThroughputResult:
    """Throughput (items/s) against batch size up to the largest batch that fits.

    Reports the peak batch (highest throughput), the knee (smallest batch within
    `knee_fraction` of the peak), the max-fit batch (the article's choice) and, with
    `latency_budget_s`, the highest-throughput batch whose p99 (or median) latency meets it.
    The batch size varies, so `batch_size` is not an option here.
    """
    t_start = time.perf_counter()
    workload, sampling = split_options(options, SAMPLING_OPTION_NAMES, "measure_throughput")
    policy = ThroughputPolicy(
        max_batch=max_batch,
        memory_fraction=memory_fraction,
        knee_fraction=knee_fraction,
        latency_budget_s=latency_budget_s,
        budget_stat=budget_stat,
        isolate=isolate,
    )
    sampling_config(sampling)  # flags are checked before anything slow happens
    cupti_before = cupti_attached()
    prepared = prepare_workload(
        model,
        example_inputs,
        workload,
        vary_batch=True,
        rebuilt_by=option("isolate") if isolate else None,
    )
    dev = prepared.device
    notify_slow_precision(prepared, progress)
    cfg = sampling_config(sampling, dev.kind)
    what = f"{prepared.reference} ({prepared.spec.dtype_label})"

    setups: list[dict[str, Any]] = []

    def make_call(batch: int) -> Any:
        call = build_call(prepared, batch)
        setup = setup_of(call)
        if setup is not None:  # a compile per batch size (or one dynamic one), each recorded
            setups.append(setup)
        return call

    with (
        measurement_context(prepared, pause_gc=cfg.timing.disable_gc) as measuring,
        prepared.explaining_failures(1),
    ):
        check_finite(make_call(1)(), f"{what} at batch 1")
        # Probes in fresh processes get the threads this process runs with, whatever was asked.
        prober = (
            isolated_prober(
                replace(prepared.spec, threads=measuring.record.threads), memory_fraction
            )
            if isolate
            else None
        )
        run = run_throughput(make_call, dev, cfg, policy, prober, progress)
        # Outside any timed region: a model whose output turns NaN after its first calls.
        check_finite(make_call(run.peak_batch)(), f"{what} at batch {run.peak_batch}, at the end,")
        printed = measuring.output.lines
        env = capture(dev)
    result = ThroughputResult(
        settings=prepared.settings(measuring.record, cfg),
        policy=policy,
        search=run.search,
        points=run.points,
        peak_batch=run.peak_batch,
        knee_batch=run.knee_batch,
        budget=run.budget,
        timer_overhead_s=run.timer_overhead_s,
        environment=env,
        analysis={
            "model_output_lines": printed,
            "cupti_attached_before": cupti_before,
            "wall_s": {"search_s": run.search.seconds, "total_s": time.perf_counter() - t_start},
            **({"backend_builds": setups} if setups else {}),
        },
    )
    return result.with_diagnostics(tuple(check_throughput(result)))
