"""The latency kind (`infertime run`): registered in kinds/__init__.py."""

from __future__ import annotations

from typing import Any

from ..engine.progress import ProgressSink
from ..errors import ConfigError
from ..kinds.base import Command, Kind, Opt, Values
from ..parsing import parse_int


def run(o: Values, progress: ProgressSink) -> Any:
    from .measure import measure_latency

    return measure_latency(
        o.model,
        graph_replay=o.graph_replay,
        diagnose=o.diagnose,
        energy=o.energy,
        progress=progress,
        min_samples=o.min_samples,
        runs=o.runs,
        processes=o.processes if o.processes is not None else 1,
        **o.workload(),
        **o.sampling(),
    )


def refuse_old_flag(o: Values) -> None:
    if o.get("old_cuda_graph"):
        raise ConfigError(
            "--cuda-graph is now --graph-replay (also time the eager model replayed from a CUDA "
            "graph, as its own figure) or --backend cuda-graph (time only the replay)"
        )


KIND = Kind(
    name="latency",
    format_path="infertime.latency.result:FORMAT",
    render_path="infertime.latency.render:print_latency",
    table_path="infertime.latency.table:latency_table",
    checks_path="infertime.latency.checks:check_latency",
    measure="infertime.latency.measure:measure_latency",
    offline_path="infertime.latency.offline:OFFLINE",
    figures_path="infertime.latency.report:figures",
    report_path="infertime.latency.report:REPORT",
    command=Command(
        name="run",
        help="Measure latency (synchronous request) and device time per call (pipelined) of "
        "a model.",
        options=(
            "workload",
            "sampling",
            "min_samples",
            Opt(
                "runs",
                ("--runs",),
                "Exactly N samples of each figure, however long (reproducible CI jobs).",
                parse=parse_int("--runs"),
                metavar="N",
            ),
            "processes",
            Opt(
                "graph_replay",
                ("--graph-replay",),
                "Also time the eager model replayed from a CUDA graph (its own figure).",
                style="switch",
            ),
            Opt("old_cuda_graph", ("--cuda-graph",), "", style="switch", hidden=True),
            "diagnose",
            "energy",
            "output",
        ),
        run=run,
        precheck=refuse_old_flag,
    ),
)
