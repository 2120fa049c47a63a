"""The pitfalls kind (`infertime pitfalls`): registered in kinds/__init__.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..engine.progress import ProgressSink
from ..kinds.base import Command, Kind, Opt, Values
from ..parsing import parse_int


def precheck(o: Values) -> None:
    """The plot's file is writable, not the result file, and matplotlib is there."""
    if o.plot is None:
        return

    from ..writing import check_writable

    check_writable(o.plot, "the plot")
    from .plot import pyplot

    pyplot()  # a missing matplotlib fails now, not after the measurement


def run(o: Values, progress: ProgressSink) -> Any:
    from .measure import measure_pitfalls

    return measure_pitfalls(
        o.model, samples=o.samples, diagnose=o.diagnose, progress=progress, **o.workload()
    )


def write_plot(o: Values, result: Any) -> list[str]:
    if o.plot is None:
        return []
    from .plot import plot_pitfalls

    return [f"wrote {plot_pitfalls(result, o.plot)}"]


KIND = Kind(
    name="pitfalls",
    format_path="infertime.pitfalls.result:FORMAT",
    render_path="infertime.pitfalls.render:print_pitfalls",
    table_path="infertime.pitfalls.table:pitfalls_results_table",
    checks_path="infertime.pitfalls.checks:check_pitfalls",
    measure="infertime.pitfalls.measure:measure_pitfalls",
    offline_path="infertime.pitfalls.offline:OFFLINE",
    figures_path="infertime.pitfalls.report:figures",
    report_path="infertime.pitfalls.report:REPORT",
    tasks={"cold_start": "infertime.pitfalls.cold_start:cold_start_task"},
    command=Command(
        name="pitfalls",
        help="Time the model correctly and with each classic mistake (copies, no sync, no "
        "warm-up).",
        options=(
            "workload",
            Opt(
                "samples",
                ("--samples",),
                "Samples per method (default 200, fewer when calls are slow).",
                parse=parse_int("--samples"),
                metavar="N",
            ),
            Opt(
                "plot",
                ("--plot",),
                "Write a bar chart (PNG) here; needs matplotlib.",
                parse=Path,
                metavar="PATH",
            ),
            "diagnose",
            "output",
        ),
        run=run,
        precheck=precheck,
        after_measure=write_plot,
    ),
)
