"""measure_pitfalls: the correct method and each classic mistake, same model, inputs and count."""

from __future__ import annotations

from typing import Any

from typing_extensions import Unpack

from ..engine.progress import ProgressSink, no_progress
from ..engine.timing import time_block
from ..engine.warmup import warm_up
from ..errors import ConfigError, option
from ..pipeline.measurement import Measurement
from ..policies import MeasureConfig, StopPolicy
from ..sections import Analysis
from ..specs.spec import DEFAULT_MODEL, WorkloadOptions, split_options
from ..workload.prepare import notify_slow_precision, prepare_workload
from . import methods
from .checks import check_pitfalls
from .cold_start import run_cold_start
from .result import PitfallRow, PitfallsResult

GPU_ONLY = "exists only on GPUs: a CPU has no separate device memory and runs calls synchronously"
ORDER = ("correct", "copy_pageable", "copy_pinned", "no_sync", "no_warmup", "single_sample")


def measure_pitfalls(
    model: Any = DEFAULT_MODEL,
    example_inputs: Any = None,
    *,
    samples: int = 200,
    diagnose: bool = True,
    progress: ProgressSink = no_progress,
    **options: Unpack[WorkloadOptions],
) -> PitfallsResult:
    """Time the model correctly and with each of the article's four mistakes, side by side.

    On a GPU, `diagnose` watches its clocks and throttling through NVML while timing."""
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 6:
        raise ConfigError(f"{option('samples')} must be at least 6, got {samples}")
    workload, _ = split_options(options, frozenset(), "measure_pitfalls")
    prepared = prepare_workload(model, example_inputs, workload)
    notify_slow_precision(prepared, progress)
    dev, batch = prepared.device, prepared.spec.batch_size
    assert batch is not None
    config = _pitfall_config(samples)
    rows: list[PitfallRow] = []
    what = f"{prepared.reference} at batch {batch}"
    with Measurement(dev, config, diagnose=diagnose, progress=progress) as m:
        measuring = m.enter(prepared, batch)
        if prepared.rebuildable:
            progress("no warm-up", None, "fresh process")
            with m.phase("cold_start_s"):
                cold = run_cold_start(m.child_spec(prepared.spec), samples)
            extra = {"startup_s": cold["startup_s"], "context": cold["context"]}
            if cold.get("build"):  # the fresh process compiled or exported before its first call
                extra["build"] = cold["build"]
            rows.append(PitfallRow("no_warmup", tuple(cold["samples_s"]), extra=extra))
        else:
            rows.append(
                PitfallRow(
                    "no_warmup",
                    (),
                    "needs a model reference to rebuild the model in a fresh process",
                )
            )
        call = m.build(prepared, batch)
        with m.engine():
            first: list[Any] = []
            time_block(lambda: first.append(call()), dev, dev.new_timer(), 1, True)
            m.check_finite(first.pop(), what)
            progress("warm-up", None, "")
            warm_up(call, dev, config.warmup, 0.0, progress)
            progress("correct", None, f"{samples} samples")
            correct = methods.correct(call, dev, samples)
            rows.append(PitfallRow("correct", tuple(correct)))
            rows += mistakes(prepared, call, dev, batch, samples, progress)
        # Outside any timed region: a model whose output turns NaN after its first calls.
        m.check_finite(call(), f"{what}, at the end,")
        analysis = m.analysis(Analysis, backend=m.builds[0])
        env = m.environment()
    rows.append(
        PitfallRow("single_sample", tuple(correct), "each sample of the correct method taken alone")
    )
    rows.sort(key=lambda r: ORDER.index(r.code))
    result = PitfallsResult(
        settings=prepared.settings(measuring.record, config),
        rows=tuple(rows),
        environment=env,
        analysis=analysis,
    )
    return result.with_diagnostics(tuple(check_pitfalls(result)))


def mistakes(
    prepared: Any, call: Any, dev: Any, batch: int, samples: int, progress: ProgressSink
) -> list[PitfallRow]:
    """The GPU-only mistakes: copies in the timed region, a CPU timer without synchronize."""
    if dev.kind != "cuda":
        return [
            PitfallRow(code, (), GPU_ONLY) for code in ("copy_pageable", "copy_pinned", "no_sync")
        ]
    rows: list[PitfallRow] = []
    if prepared.spec.backend != "eager":
        rows += [  # the copy rows run the eager module on host inputs: not comparable
            PitfallRow(
                code, (), f"measured for the eager backend only, not {prepared.spec.backend}"
            )
            for code in ("copy_pageable", "copy_pinned")
        ]
    else:
        progress("copies", None, "pageable and pinned")
        for code, pinned in (("copy_pageable", False), ("copy_pinned", True)):
            rows.append(
                PitfallRow(code, tuple(methods.with_copy(prepared, batch, dev, samples, pinned)))
            )
    progress("no synchronize", None, "")
    rows.append(PitfallRow("no_sync", tuple(methods.cpu_timer_without_sync(call, dev, samples))))
    return rows


def _pitfall_config(samples: int) -> MeasureConfig:
    """The default warm-up, and exactly `samples` samples per method."""
    n = samples
    return MeasureConfig(
        stop=StopPolicy(min_samples=n, max_samples=n), preset=f"pitfalls: {n} samples"
    )
