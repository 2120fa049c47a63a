"""`infertime throughput`: the throughput curve and the batch sizes worth using."""

from __future__ import annotations

from typing import Annotated

import typer

from ..config import DEFAULT_MODEL, parse_duration_s, parse_shape
from ..reporting.progress import terminal_progress
from ..reporting.throughput_table import print_throughput
from .cmd_run import (
    AutocastOpt,
    ChannelsLastOpt,
    DebugOpt,
    DeviceOpt,
    DtypeOpt,
    JsonOpt,
    MaxTimeOpt,
    ModelArg,
    PrecisionOpt,
    PresetOpt,
    QuietOpt,
    SeedOpt,
    ShapeOpt,
    ThreadsOpt,
)
from .common import finish, precheck_json, stdout


def throughput(
    model: ModelArg = DEFAULT_MODEL,
    input_shape: ShapeOpt = None,
    dtype: DtypeOpt = "fp32",
    autocast: AutocastOpt = False,
    channels_last: ChannelsLastOpt = False,
    device: DeviceOpt = "auto",
    threads: ThreadsOpt = None,
    seed: SeedOpt = 0,
    max_batch: Annotated[
        int | None, typer.Option("--max-batch", help="Largest batch the search may try.")
    ] = None,
    memory_fraction: Annotated[
        float | None,
        typer.Option(
            "--memory-fraction", help="Share of device memory a batch may use (headroom)."
        ),
    ] = None,
    isolate: Annotated[
        bool, typer.Option("--isolate", help="Run each search probe in a fresh process.")
    ] = False,
    latency_budget: Annotated[
        str | None,
        typer.Option(
            "--latency-budget", help="Also choose the best batch within this latency, e.g. 50ms."
        ),
    ] = None,
    budget_stat: Annotated[
        str, typer.Option("--budget-stat", help="p99 or median: what must meet the budget.")
    ] = "p99",
    knee: Annotated[
        float, typer.Option("--knee", help="Knee: smallest batch within this share of peak.")
    ] = 0.95,
    preset: PresetOpt = "default",
    precision: PrecisionOpt = None,
    max_time: MaxTimeOpt = None,
    json_path: JsonOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Throughput against batch size: max-fit search, curve, peak, knee, latency budget."""
    from ..api_throughput import measure_throughput

    precheck_json(json_path)
    budget_s = parse_duration_s(latency_budget) if latency_budget else None
    with terminal_progress(not quiet) as progress:
        result = measure_throughput(
            model,
            device=device,
            input_shape=parse_shape(input_shape) if input_shape else None,
            dtype=dtype,
            autocast=autocast,
            channels_last=channels_last,
            threads=threads,
            seed=seed,
            max_batch=max_batch,
            memory_fraction=memory_fraction,
            isolate=isolate,
            latency_budget_s=budget_s,
            budget_stat=budget_stat,
            knee_fraction=knee,
            preset=preset,
            precision=precision,
            max_time_s=max_time,
            progress=progress,
        )
    print_throughput(result, stdout)
    finish(result, json_path, quiet)
