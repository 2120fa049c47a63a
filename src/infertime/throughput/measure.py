"""measure_throughput: max-fit search, throughput curve, peak, knee and latency-budget batches."""

from __future__ import annotations

from typing import Any

from typing_extensions import Unpack

from ..engine.progress import ProgressSink, no_progress
from ..engine.throughput import run_throughput
from ..errors import option
from ..pipeline.measurement import Measurement
from ..policies import SAMPLING_OPTION_NAMES, SamplingOptions, ThroughputPolicy, sampling_config
from ..sections import Analysis
from ..specs.spec import DEFAULT_MODEL, WorkloadOptions, split_options
from ..workload.backends import build_call
from ..workload.prepare import notify_slow_precision, prepare_workload
from .checks import check_throughput
from .probe import isolated_prober
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
    diagnose: bool = True,
    progress: ProgressSink = no_progress,
    **options: Unpack[ThroughputOptions],
) -> ThroughputResult:
    """Throughput (items/s) against batch size up to the largest batch that fits.

    Reports the peak batch (highest throughput), the knee (smallest batch within
    `knee_fraction` of the peak), the max-fit batch (the article's choice) and, with
    `latency_budget_s`, the highest-throughput batch whose p99 (or median) latency meets it.
    The batch size varies, so `batch_size` is not an option here. On a GPU, `diagnose` watches
    its clocks and throttling through NVML while the curve is measured.
    """
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
    with Measurement(dev, cfg, diagnose=diagnose, progress=progress) as m:

        def make_call(batch: int) -> Any:
            call = build_call(prepared, batch)
            m.record_build(call)  # a compile per batch size (or one dynamic one)
            return call

        measuring = m.enter(prepared, 1)
        m.check_finite(make_call(1)(), f"{what} at batch 1")
        prober = isolated_prober(m.child_spec(prepared.spec), memory_fraction) if isolate else None
        with m.engine():
            run = run_throughput(make_call, dev, cfg, policy, prober, progress)
        # Outside any timed region: a model whose output turns NaN after its first calls.
        m.check_finite(
            make_call(run.peak_batch)(), f"{what} at batch {run.peak_batch}, at the end,"
        )
        m.wall["search_s"] = run.search.seconds
        analysis = m.analysis(Analysis, backend_builds=tuple(b for b in m.builds if b is not None))
        env = m.environment()
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
        analysis=analysis,
    )
    return result.with_diagnostics(tuple(check_throughput(result)))
