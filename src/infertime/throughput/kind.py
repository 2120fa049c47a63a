"""The throughput kind (`infertime throughput`): registered in kinds/__init__.py."""

from __future__ import annotations

from typing import Any

from ..engine.progress import ProgressSink
from ..kinds.base import Command, Kind, Opt, Values
from ..parsing import parse_duration_with_unit, parse_float, parse_int


def run(o: Values, progress: ProgressSink) -> Any:
    from .measure import measure_throughput

    return measure_throughput(
        o.model,
        max_batch=o.max_batch,
        memory_fraction=o.memory_fraction,
        isolate=o.isolate,
        latency_budget_s=o.latency_budget,
        budget_stat=o.budget_stat,
        knee_fraction=o.knee,
        diagnose=o.diagnose,
        energy=o.energy,
        progress=progress,
        **o.workload(batch=False),
        **o.sampling(),
    )


KIND = Kind(
    name="throughput",
    format_path="infertime.throughput.result:FORMAT",
    render_path="infertime.throughput.render:print_throughput",
    table_path="infertime.throughput.table:throughput_table",
    checks_path="infertime.throughput.checks:check_throughput",
    measure="infertime.throughput.measure:measure_throughput",
    offline_path="infertime.throughput.offline:OFFLINE",
    figures_path="infertime.throughput.report:figures",
    report_path="infertime.throughput.report:REPORT",
    tasks={"probe": "infertime.throughput.probe:probe_task"},
    command=Command(
        name="throughput",
        help="Throughput against batch size: max-fit search, curve, peak, knee, latency budget.",
        options=(
            "workload-no-batch",
            Opt(
                "max_batch",
                ("--max-batch",),
                "Largest batch the search may try.",
                parse=parse_int("--max-batch"),
                metavar="N",
            ),
            Opt(
                "memory_fraction",
                ("--memory-fraction",),
                "Share of device memory a batch may use (headroom).",
                parse=parse_float("--memory-fraction"),
                metavar="FRACTION",
            ),
            Opt(
                "isolate",
                ("--isolate",),
                "Run each search probe in a fresh process.",
                style="switch",
            ),
            Opt(
                "latency_budget",
                ("--latency-budget",),
                "Also choose the best batch within this latency, with its unit: 50ms.",
                parse=parse_duration_with_unit("--latency-budget"),
                metavar="DURATION",
            ),
            Opt(
                "budget_stat",
                ("--budget-stat",),
                "p99 or median: what must meet the budget.",
                default="p99",
                metavar="STAT",
            ),
            Opt(
                "knee",
                ("--knee",),
                "Knee: smallest batch within this share of peak.",
                default=0.95,
                parse=parse_float("--knee"),
                metavar="FRACTION",
            ),
            "sampling",
            "diagnose",
            "energy",
            "output",
        ),
        run=run,
    ),
)
