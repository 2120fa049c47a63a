"""`infertime pitfalls`: the classic timing mistakes, shown on your model."""

from __future__ import annotations

from ..errors import ConfigError
from ..reporting.progress import terminal_progress
from ..resultfile import check_writable
from .options import OUTPUT, WORKLOAD, Options, command
from .output import deliver, precheck_output, say


@command(*WORKLOAD[:1], "batch_size", *WORKLOAD[1:], "samples", "plot", *OUTPUT)
def pitfalls(o: Options) -> None:
    """Time the model correctly and with each classic mistake (copies, no sync, no warm-up)."""
    from ..pitfalls.measure import measure_pitfalls
    from ..pitfalls.render import print_pitfalls

    precheck_output(o.json_path, o.fmt, o.exports())
    if o.plot is not None and o.json_path is not None and o.plot.resolve() == o.json_path.resolve():
        raise ConfigError("--plot and --json name the same file")
    if o.plot is not None:
        check_writable(o.plot)
        from ..pitfalls.plot import pyplot

        pyplot()  # a missing matplotlib fails now, not after the measurement
    with terminal_progress(not o.quiet, notice=say) as progress:
        result = measure_pitfalls(o.model, samples=o.samples, progress=progress, **o.workload())
    if o.plot is not None:
        from ..pitfalls.plot import plot_pitfalls

        written = plot_pitfalls(result, o.plot)
        if not o.quiet:
            say(f"wrote {written}")
    deliver(result, o.json_path, o.quiet, print_pitfalls, o.details, o.fmt, o.exports())
