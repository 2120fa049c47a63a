"""measure_throughput: max-fit search, throughput curve, peak, knee and latency-budget batches."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import torch

from ._version import __version__
from .api import budget_for_device, guarded, prepare_target, resolve_config, torch_threads
from .config import DEFAULT_MODEL, MeasureConfig
from .devices import Device
from .diagnose.throughput import check_throughput
from .engine.progress import ProgressSink, no_progress
from .engine.throughput import ThroughputPolicy, measure_curve
from .errors import ConfigError
from .isolated import isolated_prober
from .models import check_finite
from .passes.kernel_time import cupti_attached
from .throughput_results import CurveSettings, ThroughputResult


def measure_throughput(
    model: str | torch.nn.Module = DEFAULT_MODEL,
    example_inputs: Any = None,
    *,
    device: str | Device = "auto",
    input_shape: Sequence[int] | None = None,
    dtype: str = "fp32",
    autocast: bool = False,
    channels_last: bool = False,
    threads: int | None = None,
    seed: int = 0,
    max_batch: int | None = None,
    memory_fraction: float | None = None,
    isolate: bool = False,
    latency_budget_s: float | None = None,
    budget_stat: str = "p99",
    knee_fraction: float = 0.95,
    preset: str = "default",
    precision: float | None = None,
    max_time_s: float | None = None,
    config: MeasureConfig | None = None,
    progress: ProgressSink = no_progress,
) -> ThroughputResult:
    """Throughput (items/s) against batch size up to the largest batch that fits.

    Reports the peak batch (highest throughput), the knee (smallest batch within
    `knee_fraction` of the peak), the max-fit batch (the article's choice) and, with
    `latency_budget_s`, the highest-throughput batch whose p99 (or median) latency meets it.
    """
    t_start = time.perf_counter()
    policy = ThroughputPolicy(
        max_batch=max_batch,
        memory_fraction=memory_fraction,
        knee_fraction=knee_fraction,
        latency_budget_s=latency_budget_s,
        budget_stat=budget_stat,
    )
    cfg = resolve_config(config, preset, precision, max_time_s, None)
    if isolate and not isinstance(model, str):
        raise ConfigError(
            "--isolate rebuilds the model in a new process: it needs a model reference"
        )
    cupti_before = cupti_attached()
    target = prepare_target(
        model,
        example_inputs,
        device=device,
        batch_size=1,
        input_shape=input_shape,
        dtype=dtype,
        autocast=autocast,
        channels_last=channels_last,
        threads=threads,
        seed=seed,
    )
    prepared, dev = target.prepared, target.device
    cfg = budget_for_device(cfg, dev, max_time_s, config)
    prober = isolated_prober(target.child_spec(), memory_fraction) if isolate else None
    what = f"{prepared.workload.reference} ({target.spec.dtype_label})"
    with prepared.in_eval_mode(), torch_threads(threads), torch.inference_mode():
        guarded(target, 1, lambda: check_finite(prepared.call_for(1)(), f"{what} at batch 1"))
        run = guarded(
            target,
            1,
            lambda: measure_curve(prepared.call_for, dev, cfg, policy, prober, progress),
        )
        env = target.capture_environment()
    settings = CurveSettings(
        model=prepared.workload.reference,
        item_shapes=tuple(s.shape for s in prepared.workload.inputs),
        dtype=target.spec.dtype,
        dtype_label=target.spec.dtype_label,
        channels_last=target.spec.channels_last,
        device=dev.name,
        threads=torch.get_num_threads(),
        seed=seed,
        input_source=f"random normal N(0, 1), seed {seed}, created on {dev.name}",
        timer=dev.timer_name,
        measure=cfg.to_dict(),
        policy=policy.to_dict(),
        isolate=isolate,
    )
    result = ThroughputResult(
        settings=settings,
        search=run.search,
        points=run.points,
        peak_batch=run.peak_batch,
        knee_batch=run.knee_batch,
        budget=run.budget,
        timer_overhead_s=run.timer_overhead_s,
        environment=env,
        analysis={
            "cupti_attached_before": cupti_before,
            "wall_s": {"search_s": run.search.seconds, "total_s": time.perf_counter() - t_start},
        },
        created_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        infertime_version=__version__,
    )
    return replace(result, diagnostics=tuple(check_throughput(result)))
