"""`infertime sweep`: many configurations, one fresh process each, resumable, local or on Ray.

    infertime sweep run --model timm:resnet50 --batch-size 1,8,64 --dtype fp32,bf16 -o out/
    infertime sweep spec.toml -o out/ --rounds 2
    infertime sweep spec.toml -o out/ --resume

Registered by cli/app.py with `register(app)`: the command takes the grid's options itself
(typer's extra-arguments settings). Not a kind: its result is a folder of the kinds' results.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ..errors import ConfigError
from ..reporting.units import duration

CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}
FORMATS = ("table", "csv", "markdown", "json")


def sweep(
    ctx: typer.Context,
    target: Annotated[
        str,
        typer.Argument(
            help="A kind (run, throughput, pitfalls, generate) followed by list-valued options "
            "(--batch-size 1,8,64 --dtype fp32,bf16 ...), or a TOML sweep file."
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="The results folder (one file per point).")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Skip the points already valid in the folder.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Resume in a folder of another grid (shared points).")
    ] = False,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="With --resume, run failed points again.")
    ] = False,
    rounds: Annotated[
        int, typer.Option("--rounds", help="Run the grid this many times, each in a new order.")
    ] = 1,
    order_seed: Annotated[
        int | None, typer.Option("--order-seed", help="Seed of the random orders (recorded).")
    ] = None,
    timeout: Annotated[
        str, typer.Option("--timeout", help="Longest a point may take (e.g. 30m, 600s).")
    ] = "60m",
    executor: Annotated[
        str, typer.Option("--executor", help="local (this machine) or ray (a Ray cluster).")
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="auto (the running cluster) or ray://HOST:PORT."),
    ] = None,
    gpus: Annotated[
        str | None, typer.Option("--gpus", help="Local: the GPUs to use, e.g. 0,1 (NVML order).")
    ] = None,
    start: Annotated[
        str | None,
        typer.Option(
            "--start",
            help="fork: points fork from a server that imported torch but never touched CUDA "
            "(default, local on Linux); fresh: a new interpreter per point.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List the points and an estimate of the time.")
    ] = False,
    slo: Annotated[
        str | None,
        typer.Option("--slo", help="Also choose the best throughput within this latency (50ms)."),
    ] = None,
    slo_stat: Annotated[
        str, typer.Option("--slo-stat", help="p99 or median: what must meet the SLO.")
    ] = "p99",
    fmt: Annotated[str, typer.Option("--format", help="stdout as table, csv, markdown, json.")] = (
        "table"
    ),
    export_csv: Annotated[Path | None, typer.Option("--export-csv", help="Also write CSV.")] = None,
    export_markdown: Annotated[
        Path | None, typer.Option("--export-markdown", help="Also write Markdown.")
    ] = None,
    export_json: Annotated[
        Path | None, typer.Option("--export-json", help="Also write the summary as JSON.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Progress: failures only.")] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    """Measure a grid of configurations, each point in a fresh process; resumable."""
    from ..resultfile import check_writable, write_text_atomic
    from ..sweep.cliargs import parse_grid_args
    from ..sweep.driver import SweepSettings, run_sweep
    from ..sweep.grid import parse_duration_s, parse_timeout_s
    from ..sweep.progress import SweepProgress
    from ..sweep.specfile import load_grid_file
    from ..sweep.summary import Slo
    from ..sweep.table import export_text, render_text

    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}", advice=f"choose one of: {', '.join(FORMATS)}")
    if slo_stat not in ("p99", "median"):
        raise ConfigError(f"--slo-stat must be p99 or median, got {slo_stat!r}")
    exports = {"csv": export_csv, "markdown": export_markdown, "json": export_json}
    exports_given = {k: p for k, p in exports.items() if p is not None}
    for path in exports_given.values():
        check_writable(path)
    if Path(target).suffix == ".toml" or Path(target).is_file():
        if ctx.args:
            raise ConfigError(
                f"grid options go in {target}, not on the command line: {ctx.args[0]}"
            )
        grid = load_grid_file(target)
    else:
        grid = parse_grid_args(target, list(ctx.args))
    settings = SweepSettings(
        rounds=rounds,
        order_seed=order_seed,
        resume=resume,
        force=force,
        retry_failed=retry_failed,
        timeout_s=parse_timeout_s(timeout),
        executor=executor,
        ray_address=ray_address,
        gpus=_gpu_list(gpus),
        start=start,
    )
    choose = Slo(parse_duration_s(slo), slo_stat) if slo else None
    if out is None and not dry_run:
        raise ConfigError("--out FOLDER is needed: the results folder of the sweep")
    folder = out if out is not None else Path(".")
    if dry_run:

        def show(todo: list, total_s: float) -> None:  # type: ignore[type-arg]
            width = len(str(len(todo)))
            for i, p in enumerate(todo, start=1):
                sys.stdout.write(f"{i:>{width}}  {p.device_kind:<4} {p.point.label()}\n")
            sys.stdout.write(
                f"{len(todo)} runs ({len(grid.points())} points × {rounds} round(s)); about "
                f"{duration(total_s)}\n  (rough: the sampling budgets and each point's start-up)\n"
            )

        grid.points()
        run_sweep(grid, folder, settings, dry_run=show)
        return
    report = run_sweep(grid, folder, settings, progress=SweepProgress(quiet=quiet))
    for name, form in (
        ("summary.csv", "csv"),
        ("summary.md", "markdown"),
        ("summary.json", "json"),
    ):
        write_text_atomic(export_text(report, form, choose), report.folder / name, "a summary")
    for form, path in exports_given.items():
        write_text_atomic(export_text(report, form, choose), path, f"the {form} export")
    if fmt == "table":
        sys.stdout.write(render_text(report, choose))
    else:
        sys.stdout.write(export_text(report, fmt, choose))
    sys.stdout.flush()
    failed = sum(1 for r in report.runs.values() if r.get("status") == "failed")
    if not quiet:
        print(
            f"{report.measured_now} runs measured now, {report.reused} kept"
            f"{f', {failed} failed (kept as results)' if failed else ''}; "
            f"results in {report.folder}",
            file=sys.stderr,
        )


def _gpu_list(text: str | None) -> tuple[int, ...] | None:
    if text is None:
        return None
    try:
        return tuple(int(p) for p in text.split(",") if p.strip())
    except ValueError:
        raise ConfigError(f"--gpus takes GPU numbers such as 0,1, got {text!r}") from None


def register(app: typer.Typer) -> None:
    """Add `sweep` to an infertime typer app."""
    app.command(context_settings=CONTEXT)(sweep)
