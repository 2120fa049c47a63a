"""measure_pitfalls: the correct method and each classic mistake, same model, inputs and count."""

from __future__ import annotations

from typing import Any

from typing_extensions import Unpack

from ..engine.progress import CONTEXT, NOTICE, ProgressSink, no_progress
from ..engine.timing import time_block
from ..engine.warmup import warm_up
from ..errors import ConfigError, InfertimeError, option
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
    samples: int | None = None,
    diagnose: bool = True,
    progress: ProgressSink = no_progress,
    **options: Unpack[WorkloadOptions],
) -> PitfallsResult:
    """Time the model correctly and with each of the article's four mistakes, side by side.

    `samples` per method: by default 200, fewer when calls are slow (the whole run is kept near
    a minute, and says so); a number given is taken as asked, with a notice when it will take
    long. On a GPU, `diagnose` watches its clocks and throttling through NVML while timing."""
    if samples is not None and (
        isinstance(samples, bool) or not isinstance(samples, int) or samples < 6
    ):
        raise ConfigError(f"{option('samples')} must be at least 6, got {samples}")
    workload, _ = split_options(options, frozenset(), "measure_pitfalls")
    prepared = prepare_workload(model, example_inputs, workload)
    notify_slow_precision(prepared, progress)
    dev, batch = prepared.device, prepared.spec.batch_size
    assert batch is not None
    rows: list[PitfallRow] = []
    what = f"{prepared.reference} at batch {batch}"
    with Measurement(dev, _pitfall_config(samples or 6), diagnose=diagnose, progress=progress) as m:
        measuring = m.enter(prepared, batch)
        call = m.build(prepared, batch)
        first: list[Any] = []
        call_s = time_block(lambda: first.append(call()), dev, dev.new_timer(), 1, True)
        m.check_finite(first.pop(), what)
        methods_timed = 5 if dev.kind == "cuda" else 2  # the correct one, the mistakes, cold
        n = samples_for(samples, call_s, methods_timed, progress)
        config = _pitfall_config(n)
        m.config = config
        rows.append(no_warmup_row(m, prepared, n, call_s, progress))
        with m.engine():
            progress("warm-up", None, "")
            warm_up(call, dev, config.warmup, call_s, progress)
            progress("correct", None, f"{n} samples")
            correct = methods.correct(call, dev, n)
            rows.append(PitfallRow("correct", tuple(correct)))
            rows += mistakes(prepared, call, dev, batch, n, progress)
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


DEFAULT_SAMPLES = 200
# Without --samples, a run of slow calls is kept near this long (the methods' samples).
TARGET_S = 60.0
ANNOUNCE_S = 60.0  # a run expected to take longer is announced


def samples_for(asked: int | None, call_s: float, methods: int, progress: ProgressSink) -> int:
    """Samples per method: as asked, or the default cut so the run stays near a minute; a
    long run is announced before it starts (the first call stands for all)."""
    per_sample_s = max(call_s, 1e-9) * methods
    n = asked if asked is not None else DEFAULT_SAMPLES
    if asked is None and n * per_sample_s > TARGET_S:
        n = max(6, int(TARGET_S / per_sample_s))
        progress(
            NOTICE,
            None,
            f"calls take {call_s:.2g} s: {n} samples per method instead of {DEFAULT_SAMPLES}, "
            f"about {n * per_sample_s:.0f} s (--samples N to insist)",
        )
    elif n * per_sample_s > ANNOUNCE_S:
        minutes = n * per_sample_s / 60
        progress(
            NOTICE,
            None,
            f"calls take {call_s:.2g} s: {n} samples of {methods} methods will take about "
            f"{minutes:.0f} min",
        )
    return n


# The fresh process may take this long to start (interpreter, imports, model, device), plus
# three times the calls it times.
COLD_START_BASE_S = 300.0


def no_warmup_row(
    m: Measurement, prepared: Any, n: int, call_s: float, progress: ProgressSink
) -> PitfallRow:
    """The first calls of a fresh process; when that process fails or runs past its limit,
    the row says why and the other methods are kept."""
    if not prepared.rebuildable:
        return PitfallRow(
            "no_warmup", (), "needs a model reference to rebuild the model in a fresh process"
        )
    progress(CONTEXT, None, "no warm-up: a fresh process")
    timeout_s = COLD_START_BASE_S + 3 * n * call_s
    try:
        with m.phase("cold_start_s"):
            cold = run_cold_start(m.child_spec(prepared.spec), n, timeout_s)
    except InfertimeError as exc:
        return PitfallRow("no_warmup", (), f"the fresh process failed: {exc.one_line()}")
    finally:
        progress(CONTEXT, None, prepared.reference)
    extra = {"startup_s": cold["startup_s"], "context": cold["context"]}
    if cold.get("build"):  # the fresh process compiled or exported before its first call
        extra["build"] = cold["build"]
    return PitfallRow("no_warmup", tuple(cold["samples_s"]), extra=extra)


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
