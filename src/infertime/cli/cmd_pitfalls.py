"""`infertime pitfalls`: the classic timing mistakes, shown on your model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import DEFAULT_MODEL, parse_shape
from ..reporting.json_io import check_writable
from ..reporting.pitfalls_table import print_pitfalls
from ..reporting.progress import terminal_progress
from .cmd_run import (
    AutocastOpt,
    BatchOpt,
    ChannelsLastOpt,
    DebugOpt,
    DeviceOpt,
    DtypeOpt,
    JsonOpt,
    ModelArg,
    QuietOpt,
    SeedOpt,
    ShapeOpt,
    ThreadsOpt,
)
from .common import finish, precheck_json, say, stdout


def pitfalls(
    model: ModelArg = DEFAULT_MODEL,
    batch_size: BatchOpt = None,
    input_shape: ShapeOpt = None,
    dtype: DtypeOpt = "fp32",
    autocast: AutocastOpt = False,
    channels_last: ChannelsLastOpt = False,
    device: DeviceOpt = "auto",
    threads: ThreadsOpt = None,
    seed: SeedOpt = 0,
    samples: Annotated[int, typer.Option("--samples", help="Samples per method.")] = 200,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write a bar chart (PNG) here; needs matplotlib."),
    ] = None,
    json_path: JsonOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Time the model correctly and with each classic mistake (copies, no sync, no warm-up)."""
    from ..pitfalls.measure import measure_pitfalls

    precheck_json(json_path)
    if plot is not None:
        check_writable(plot)
        from ..reporting.plot import _pyplot

        _pyplot()  # a missing matplotlib fails now, not after the measurement
    with terminal_progress(not quiet) as progress:
        result = measure_pitfalls(
            model,
            device=device,
            batch_size=batch_size,
            input_shape=parse_shape(input_shape) if input_shape else None,
            dtype=dtype,
            autocast=autocast,
            channels_last=channels_last,
            threads=threads,
            seed=seed,
            samples=samples,
            progress=progress,
        )
    print_pitfalls(result, stdout)
    if plot is not None:
        from ..reporting.plot import plot_pitfalls

        written = plot_pitfalls(result, plot)
        if not quiet:
            say(f"wrote {written}")
    finish(result, json_path, quiet)
