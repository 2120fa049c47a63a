"""`infertime throughput`: the throughput curve and the batch sizes worth using."""

from __future__ import annotations

from ..reporting.progress import terminal_progress
from .options import OUTPUT, SAMPLING, WORKLOAD, Options, command, parse_duration_s
from .output import deliver, precheck_output, say


@command(
    *WORKLOAD, "max_batch", "memory_fraction", "isolate", "latency_budget", "budget_stat", "knee",
    *SAMPLING, *OUTPUT,
)  # fmt: skip
def throughput(o: Options) -> None:
    """Throughput against batch size: max-fit search, curve, peak, knee, latency budget."""
    from ..throughput.measure import measure_throughput
    from ..throughput.render import print_throughput

    precheck_output(o.json_path, o.fmt, o.exports())
    budget_s = parse_duration_s(o.latency_budget) if o.latency_budget else None
    with terminal_progress(not o.quiet, notice=say) as progress:
        result = measure_throughput(
            o.model,
            max_batch=o.max_batch,
            memory_fraction=o.memory_fraction,
            isolate=o.isolate,
            latency_budget_s=budget_s,
            budget_stat=o.budget_stat,
            knee_fraction=o.knee,
            progress=progress,
            **o.workload(batch=False),
            **o.sampling(),
        )
    deliver(result, o.json_path, o.quiet, print_throughput, o.details, o.fmt, o.exports())
