"""Every command-line option, declared once; each command names the ones it takes.

typer reads a command's parameters from its signature, so `command(...)` gives each command a
signature made of the named options and calls it with one `Options` object holding them all.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import typer

from ..errors import ConfigError, Interrupted, OutputClosed, Terminated, TerminatedError
from ..workload.spec import DEFAULT_MODEL


@dataclass(frozen=True)
class Options:
    """The values of every option a command may take (the defaults of the others)."""

    model: Annotated[
        str, typer.Argument(help="timm:NAME, torchvision:NAME or package.module:callable")
    ] = DEFAULT_MODEL
    path: Annotated[Path, typer.Argument(help="A file written with --json.")] = Path()
    items: Annotated[
        list[str],
        typer.Argument(
            help="Configurations in quotes, e.g. 'timm:resnet50 --dtype bf16' (live), or result "
            "files (offline); the first is the baseline.",
            show_default=False,
        ),
    ] = ()  # type: ignore[assignment]  # typer needs a list; the dataclass keeps a tuple
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", "-b", help="Items per call.")
    ] = None
    input_shape: Annotated[
        str | None,
        typer.Option("--input-shape", help="Per-item input shape C,H,W (default: the zoo's)."),
    ] = None
    seq_len: Annotated[
        int | None,
        typer.Option("--seq-len", help="Tokens per item for hf: token models (default 128)."),
    ] = None
    hf_config: Annotated[
        list[str] | None,
        typer.Option(
            "--hf-config",
            help="Change an hf: model's config, key=value (repeatable), e.g. num_hidden_layers=4.",
        ),
    ] = None
    backend: Annotated[
        str, typer.Option("--backend", help="How the model runs: eager or compile (torch.compile).")
    ] = "eager"
    compile_mode: Annotated[
        str | None,
        typer.Option(
            "--compile-mode", help="torch.compile mode: default, reduce-overhead, max-autotune."
        ),
    ] = None
    dynamic: Annotated[
        bool, typer.Option("--dynamic", help="torch.compile with dynamic shapes (one compile).")
    ] = False
    dtype: Annotated[str, typer.Option("--dtype", help="fp32, fp16 or bf16.")] = "fp32"
    autocast: Annotated[
        bool, typer.Option("--autocast", help="Use torch.autocast instead of casting the model.")
    ] = False
    channels_last: Annotated[
        bool, typer.Option("--channels-last", help="Channels-last memory format.")
    ] = False
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda or cuda:N.")] = "auto"
    threads: Annotated[int | None, typer.Option("--threads", help="torch intra-op threads.")] = None
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random inputs.")] = 0
    preset: Annotated[str, typer.Option("--preset", help="quick, default or rigorous.")] = "default"
    precision: Annotated[
        float | None,
        typer.Option(
            "--precision", help="Target ± of the median's 95 % CI, as a fraction (0.01 = 1 %)."
        ),
    ] = None
    max_time: Annotated[
        float | None, typer.Option("--max-time", help="Sampling budget in seconds.")
    ] = None
    min_samples: Annotated[
        int | None, typer.Option("--min-samples", help="Samples before stopping (662 gives p99).")
    ] = None
    cuda_graph: Annotated[
        bool, typer.Option("--cuda-graph", help="Also time CUDA-graph replay (its own figure).")
    ] = False
    diagnose: Annotated[
        bool,
        typer.Option(
            "--diagnose/--no-diagnose", help="Kernel-time pass and GPU monitoring (GPU only)."
        ),
    ] = True
    max_batch: Annotated[
        int | None, typer.Option("--max-batch", help="Largest batch the search may try.")
    ] = None
    memory_fraction: Annotated[
        float | None,
        typer.Option(
            "--memory-fraction", help="Share of device memory a batch may use (headroom)."
        ),
    ] = None
    isolate: Annotated[
        bool, typer.Option("--isolate", help="Run each search probe in a fresh process.")
    ] = False
    latency_budget: Annotated[
        str | None,
        typer.Option(
            "--latency-budget", help="Also choose the best batch within this latency, e.g. 50ms."
        ),
    ] = None
    budget_stat: Annotated[
        str, typer.Option("--budget-stat", help="p99 or median: what must meet the budget.")
    ] = "p99"
    knee: Annotated[
        float, typer.Option("--knee", help="Knee: smallest batch within this share of peak.")
    ] = 0.95
    samples: Annotated[int, typer.Option("--samples", help="Samples per method.")] = 200
    figure: Annotated[
        str, typer.Option("--figure", help="What to compare: latency or device_time (per call).")
    ] = "latency"
    processes: Annotated[
        int | None,
        typer.Option(
            "--processes",
            help="Repeat the measurement in N fresh processes (between-process spread).",
        ),
    ] = None
    fail_if_slower: Annotated[
        str | None,
        typer.Option(
            "--fail-if-slower",
            help="Exit 8 when a configuration is slower than the first by more than this "
            "(e.g. 5%), with 95 % confidence.",
        ),
    ] = None
    copies: Annotated[
        int,
        typer.Option(
            "--copies",
            help="Copies of each configuration's model, built in balanced order (A B B A) and "
            "pooled; 1 halves memory and warm-up but leaves build-order bias in.",
        ),
    ] = 2
    allow_different: Annotated[
        bool,
        typer.Option(
            "--allow-different", help="Compare results of different batch sizes or input shapes."
        ),
    ] = False
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Write a bar chart (PNG) here; needs matplotlib."),
    ] = None
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the full result (raw samples) here.")
    ] = None
    fmt: Annotated[
        str, typer.Option("--format", help="stdout as table, json, csv or markdown.")
    ] = "table"
    export_csv: Annotated[
        Path | None, typer.Option("--export-csv", help="Also write a CSV table here (- = stdout).")
    ] = None
    export_markdown: Annotated[
        Path | None,
        typer.Option("--export-markdown", help="Also write a Markdown table here (- = stdout)."),
    ] = None
    export_json: Annotated[
        Path | None,
        typer.Option("--export-json", help="Also write the result document here (- = stdout)."),
    ] = None
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Hide warnings and progress.")] = (
        False
    )
    details: Annotated[
        bool,
        typer.Option(
            "--details", help="Also show how each figure was measured, and every finding."
        ),
    ] = False
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False

    def workload(self, *, batch: bool = True) -> dict[str, Any]:
        """The WorkloadOptions these flags ask for (see workload/spec.py)."""
        options: dict[str, Any] = {
            "device": self.device,
            "input_shape": parse_shape(self.input_shape) if self.input_shape else None,
            "dtype": self.dtype,
            "autocast": self.autocast,
            "channels_last": self.channels_last,
            "threads": self.threads,
            "seed": self.seed,
            "seq_len": self.seq_len,
            "hf_config": tuple(self.hf_config or ()),
            "backend": self.backend,
            "compile_mode": self.compile_mode,
            "dynamic": self.dynamic,
        }
        if batch:
            options["batch_size"] = self.batch_size
        return options

    def exports(self) -> dict[str, Path]:
        """format -> where to write it, for each --export-FORMAT given."""
        given = {"csv": self.export_csv, "markdown": self.export_markdown, "json": self.export_json}
        return {fmt: path for fmt, path in given.items() if path is not None}

    def sampling(self) -> dict[str, Any]:
        """The SamplingOptions these flags ask for (see policies.py)."""
        return {"preset": self.preset, "precision": self.precision, "max_time_s": self.max_time}


REQUIRED = frozenset({"path", "items"})  # arguments without a default

# Option groups, in the order --help lists them.
WORKLOAD = (
    "model",
    "input_shape",
    "seq_len",
    "hf_config",
    "backend",
    "compile_mode",
    "dynamic",
    "dtype",
    "autocast",
    "channels_last",
    "device",
    "threads",
    "seed",
)
SAMPLING = ("preset", "precision", "max_time")
OUTPUT = (
    "json_path",
    "fmt",
    "export_csv",
    "export_markdown",
    "export_json",
    "details",
    "quiet",
    "debug",
)


def command(*names: str) -> Callable[[Callable[[Options], None]], Callable[..., None]]:
    """A typer command taking the options `names`, in that order, passed on as one Options."""
    hints = get_type_hints(Options, include_extras=True)
    defaults = {f.name: f.default for f in fields(Options)}
    unknown = [n for n in names if n not in hints]
    if unknown:
        raise TypeError(f"no such option: {unknown}")
    parameters = [
        inspect.Parameter(
            n,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
            default=inspect.Parameter.empty if n in REQUIRED else defaults[n],
            annotation=hints[n],
        )
        for n in names
    ]

    def decorate(fn: Callable[[Options], None]) -> Callable[..., None]:
        @functools.wraps(fn)
        def run_command(**values: Any) -> None:
            # typer turns these into exit codes of its own, differently across versions: they
            # become infertime's errors here, one line each with a documented code.
            if "items" in values:
                values["items"] = tuple(values["items"])
            try:
                fn(Options(**values))
            except KeyboardInterrupt:
                raise Interrupted("interrupted") from None
            except Terminated:
                raise TerminatedError("terminated") from None
            except BrokenPipeError:
                raise OutputClosed(
                    "standard output was closed before everything was printed"
                    + ("" if values.get("json_path") is None else "; the result file was written")
                ) from None

        del run_command.__wrapped__  # typer must see the signature below, not fn's
        run_command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        run_command.__annotations__ = {n: hints[n] for n in names}
        return run_command

    return decorate


def parse_shape(text: str) -> tuple[int, ...]:
    """'3,224,224' or '3x224x224' -> (3, 224, 224), with a clear error otherwise."""
    parts = [p for p in text.replace("x", ",").replace(" ", "").split(",") if p]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(
            f"--input-shape must look like C,H,W (e.g. 3,224,224), got {text!r}"
        ) from None
    if not shape or any(d < 1 for d in shape):
        raise ConfigError(f"--input-shape needs positive sizes, got {text!r}")
    return shape


def parse_duration_s(text: str) -> float:
    """'50ms', '0.05s', '2.5' (seconds), '800us' -> seconds."""
    t = text.strip().lower()
    for suffix, scale in (("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if t.endswith(suffix):
            t, factor = t[: -len(suffix)], scale
            break
    else:
        factor = 1.0
    try:
        value = float(t) * factor
    except ValueError:
        raise ConfigError(f"not a duration: {text!r} (examples: 50ms, 0.2s, 800us)") from None
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"a duration must be positive, got {text!r}")
    return value
