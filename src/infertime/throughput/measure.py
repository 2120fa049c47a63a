"""measure_throughput: max-fit search, throughput curve, peak, knee and latency-budget batches."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from typing_extensions import Unpack

from ..energy.estimate import Estimate
from ..energy.policy import EnergyPolicy, energy_policy
from ..engine.curve import CurvePoint
from ..engine.progress import ProgressSink, no_progress
from ..engine.throughput import run_throughput
from ..errors import option
from ..pipeline.energy import EnergyTarget
from ..pipeline.measurement import Measurement
from ..policies import SAMPLING_OPTION_NAMES, SamplingOptions, ThroughputPolicy, sampling_config
from ..specs.spec import DEFAULT_MODEL, WorkloadOptions, split_options
from ..workload.backends import build_call
from ..workload.prepare import notify_slow_precision, prepare_workload
from .checks import check_throughput
from .probe import isolated_prober
from .result import ThroughputAnalysis, ThroughputResult


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
    energy: bool | EnergyPolicy = False,
    progress: ProgressSink = no_progress,
    **options: Unpack[ThroughputOptions],
) -> ThroughputResult:
    """Throughput (items/s) against batch size up to the largest batch that fits.

    Reports the peak batch (highest throughput), the knee (smallest batch within
    `knee_fraction` of the peak), the max-fit batch (the article's choice) and, with
    `latency_budget_s`, the highest-throughput batch whose p99 (or median) latency meets it.
    The batch size varies, so `batch_size` is not an option here. On a GPU, `diagnose` watches
    its clocks and throttling through NVML while the curve is measured.

    `energy` adds an energy pass after the curve (`result.energy_curve`): joules per item of
    back-to-back calls at every batch of the curve, total and above idle, with CIs over
    windows, and the energy-optimal batch beside the throughput peak (NVML's energy counter on
    a GPU, RAPL on a CPU; "not measured" with the reason where there is none).
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
    energy_asked = energy_policy(energy)
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
    with Measurement(dev, cfg, diagnose=diagnose, progress=progress, energy=energy_asked) as m:

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

        @contextmanager
        def energy_call(batch: int) -> Iterator[Any]:
            with m.scoped(prepared, batch) as call:  # one batch's inputs in memory at a time
                yield call
            dev.release_memory()

        ok = sorted((p for p in run.points if p.ok), key=lambda p: p.batch)
        m.measure_energy(
            [energy_target(p, energy_call) for p in ok],
            throughput={p.batch: items_per_s(p) for p in ok},
            peak_batch=run.peak_batch,
        )
        analysis = m.analysis(
            ThroughputAnalysis, backend_builds=tuple(b for b in m.builds if b is not None)
        )
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


def energy_target(point: CurvePoint, opener: Any) -> EnergyTarget:
    """A curve point for the energy pass: its call built when its turn comes."""
    assert point.device_time is not None
    return EnergyTarget(
        f"batch {point.batch}",
        (),
        point.batch,
        call_s=point.device_time.summary.median,
        opener=lambda: opener(point.batch),
    )


def items_per_s(point: CurvePoint) -> Estimate:
    """The curve's own throughput at a point, as the energy curve reads it."""
    assert point.device_time is not None
    return Estimate(point.items_per_s, point.items_per_s_ci, point.device_time.summary.n)
