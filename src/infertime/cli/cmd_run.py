"""`infertime run`: latency and device time of one configuration."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import DEFAULT_MODEL, parse_shape
from ..reporting.latency_table import print_latency
from ..reporting.progress import terminal_progress
from .common import finish, precheck_json, stdout

ModelArg = Annotated[
    str, typer.Argument(help="timm:NAME, torchvision:NAME or package.module:callable")
]
BatchOpt = Annotated[int | None, typer.Option("--batch-size", "-b", help="Items per call.")]
ShapeOpt = Annotated[
    str | None,
    typer.Option("--input-shape", help="Per-item input shape C,H,W (default: the zoo's)."),
]
DtypeOpt = Annotated[str, typer.Option("--dtype", help="fp32, fp16 or bf16.")]
AutocastOpt = Annotated[
    bool, typer.Option("--autocast", help="Use torch.autocast instead of casting the model.")
]
ChannelsLastOpt = Annotated[
    bool, typer.Option("--channels-last", help="Channels-last memory format.")
]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto, cpu, cuda or cuda:N.")]
ThreadsOpt = Annotated[int | None, typer.Option("--threads", help="torch intra-op threads.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the random inputs.")]
PresetOpt = Annotated[str, typer.Option("--preset", help="quick, default or rigorous.")]
PrecisionOpt = Annotated[
    float | None,
    typer.Option(
        "--precision", help="Target ± of the median's 95 % CI, as a fraction (0.01 = 1 %)."
    ),
]
MaxTimeOpt = Annotated[float | None, typer.Option("--max-time", help="Sampling budget in seconds.")]
MinSamplesOpt = Annotated[
    int | None, typer.Option("--min-samples", help="Samples before stopping (662 gives p99).")
]
JsonOpt = Annotated[
    Path | None, typer.Option("--json", help="Write the full result (raw samples) here.")
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Hide warnings and progress.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")]
CudaGraphOpt = Annotated[
    bool, typer.Option("--cuda-graph", help="Also time CUDA-graph replay (its own figure).")
]
DiagnoseOpt = Annotated[
    bool,
    typer.Option(
        "--diagnose/--no-diagnose", help="Kernel-time pass and GPU monitoring (GPU only)."
    ),
]


def run(
    model: ModelArg = DEFAULT_MODEL,
    batch_size: BatchOpt = None,
    input_shape: ShapeOpt = None,
    dtype: DtypeOpt = "fp32",
    autocast: AutocastOpt = False,
    channels_last: ChannelsLastOpt = False,
    device: DeviceOpt = "auto",
    threads: ThreadsOpt = None,
    seed: SeedOpt = 0,
    preset: PresetOpt = "default",
    precision: PrecisionOpt = None,
    max_time: MaxTimeOpt = None,
    min_samples: MinSamplesOpt = None,
    cuda_graph: CudaGraphOpt = False,
    diagnose: DiagnoseOpt = True,
    json_path: JsonOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Measure latency (synchronous request) and device time per call (pipelined) of a model."""
    from ..api import measure_latency

    precheck_json(json_path)
    shape = parse_shape(input_shape) if input_shape else None
    with terminal_progress(not quiet) as progress:
        result = measure_latency(
            model,
            device=device,
            batch_size=batch_size,
            input_shape=shape,
            dtype=dtype,
            autocast=autocast,
            channels_last=channels_last,
            threads=threads,
            seed=seed,
            preset=preset,
            precision=precision,
            max_time_s=max_time,
            min_samples=min_samples,
            cuda_graph=cuda_graph,
            diagnose=diagnose,
            progress=progress,
        )
    print_latency(result, stdout)
    finish(result, json_path, quiet)
