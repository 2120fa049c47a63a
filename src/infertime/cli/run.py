"""`infertime run`: latency and device time of one configuration."""

from __future__ import annotations

from ..reporting.progress import terminal_progress
from .options import OUTPUT, SAMPLING, WORKLOAD, Options, command
from .output import deliver, precheck_output, say


@command(
    *WORKLOAD[:1], "batch_size", *WORKLOAD[1:], *SAMPLING, "min_samples", "processes",
    "cuda_graph", "diagnose", *OUTPUT,
)  # fmt: skip
def run(o: Options) -> None:
    """Measure latency (synchronous request) and device time per call (pipelined) of a model."""
    from ..latency.measure import measure_latency
    from ..latency.render import print_latency

    precheck_output(o.json_path, o.fmt, o.exports())
    with terminal_progress(not o.quiet, notice=say) as progress:
        result = measure_latency(
            o.model,
            cuda_graph=o.cuda_graph,
            diagnose=o.diagnose,
            progress=progress,
            min_samples=o.min_samples,
            processes=o.processes if o.processes is not None else 1,
            **o.workload(),
            **o.sampling(),
        )
    deliver(result, o.json_path, o.quiet, print_latency, o.details, o.fmt, o.exports())
