"""measure_pitfalls: the correct method and each classic mistake, same model, inputs and count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import torch

from .._version import __version__
from ..api import guarded, prepare_target, torch_threads
from ..config import DEFAULT_MODEL, MeasureConfig, StopPolicy, WarmupPolicy
from ..devices import Device
from ..diagnose import check_environment
from ..engine.progress import ProgressSink, no_progress
from ..engine.timing import gc_paused, time_block
from ..engine.warmup import warm_up
from ..errors import ConfigError
from ..models import check_finite
from ..results import Diagnostic
from . import methods
from .cold import run_cold
from .result import PitfallRow, PitfallsResult

GPU_ONLY = "exists only on GPUs: a CPU has no separate device memory and runs calls synchronously"


def measure_pitfalls(
    model: str | torch.nn.Module = DEFAULT_MODEL,
    example_inputs: Any = None,
    *,
    device: str | Device = "auto",
    batch_size: int | None = None,
    input_shape: Sequence[int] | None = None,
    dtype: str = "fp32",
    autocast: bool = False,
    channels_last: bool = False,
    threads: int | None = None,
    seed: int = 0,
    samples: int = 200,
    progress: ProgressSink = no_progress,
) -> PitfallsResult:
    """Time the model correctly and with each of the article's four mistakes, side by side."""
    if samples < 6:
        raise ConfigError(f"--samples must be at least 6, got {samples}")
    target = prepare_target(
        model,
        example_inputs,
        device=device,
        batch_size=batch_size,
        input_shape=input_shape,
        dtype=dtype,
        autocast=autocast,
        channels_last=channels_last,
        threads=threads,
        seed=seed,
    )
    dev, prepared, batch = target.device, target.prepared, target.spec.batch_size
    on_gpu = dev.kind == "cuda"
    rows: list[PitfallRow] = []
    if isinstance(model, str):
        progress("no warm-up", None, "fresh process")
        cold = run_cold(target.child_spec(), samples)
        rows.append(
            PitfallRow(
                "no_warmup", tuple(cold["samples_s"]), extra={"startup_s": cold["startup_s"]}
            )
        )
    else:
        rows.append(
            PitfallRow(
                "no_warmup", (), "needs a model reference to rebuild the model in a fresh process"
            )
        )
    what = f"{prepared.workload.reference} at batch {batch}"
    with prepared.in_eval_mode(), torch_threads(threads), torch.inference_mode():
        with dev.activate(), gc_paused(True):
            call = guarded(target, batch, lambda: prepared.call_for(batch))
            first: list[Any] = []
            guarded(
                target,
                batch,
                lambda: time_block(lambda: first.append(call()), dev, dev.new_timer(), 1, True),
            )
            check_finite(first.pop(), what)
            progress("warm-up", None, "")
            warm_up(call, dev, WarmupPolicy(), 0.0, progress)
            progress("correct", None, f"{samples} samples")
            correct = methods.correct(call, dev, samples)
            rows.insert(0, PitfallRow("correct", tuple(correct)))
            if on_gpu:
                progress("copies", None, "pageable and pinned")
                rows.append(
                    PitfallRow(
                        "copy_pageable",
                        tuple(methods.with_copy(prepared, batch, dev, samples, False)),
                    )
                )
                rows.append(
                    PitfallRow(
                        "copy_pinned", tuple(methods.with_copy(prepared, batch, dev, samples, True))
                    )
                )
                progress("no synchronize", None, "")
                rows.append(
                    PitfallRow("no_sync", tuple(methods.cpu_timer_without_sync(call, dev, samples)))
                )
            else:
                rows += [
                    PitfallRow(code, (), GPU_ONLY)
                    for code in ("copy_pageable", "copy_pinned", "no_sync")
                ]
        env = target.capture_environment()
    rows.append(
        PitfallRow("single_sample", tuple(correct), "each sample of the correct method taken alone")
    )
    order = ["correct", "copy_pageable", "copy_pinned", "no_sync", "no_warmup", "single_sample"]
    rows.sort(key=lambda r: order.index(r.code))
    settings = target.settings(batch, _pitfall_config(samples))
    result = PitfallsResult(
        settings=settings,
        rows=tuple(rows),
        environment=env,
        created_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        infertime_version=__version__,
    )
    return result.with_diagnostics(tuple(_findings(result)))


def _pitfall_config(samples: int) -> MeasureConfig:
    n = samples
    return MeasureConfig(
        stop=StopPolicy(min_samples=n, max_samples=n), preset=f"pitfalls: {n} samples"
    )


def _findings(r: PitfallsResult) -> list[Diagnostic]:
    found = check_environment(r.environment, r.settings.device.split(":")[0])
    for code in ("copy_pageable", "copy_pinned", "no_sync", "no_warmup"):
        err = r.error(code)
        if err is not None and abs(err) > 0.05:
            found.append(
                Diagnostic(
                    f"pitfall_{code}",
                    "info",
                    f"{r.row(code).label}: the mean is {err:+.0%} off the correct median",
                    None,
                    {"error": err},
                )
            )
    return found
