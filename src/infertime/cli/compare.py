"""`infertime compare`: configurations side by side (interleaved live, or saved results)."""

from __future__ import annotations

from ..errors import ConfigError, RegressionError
from ..reporting.progress import terminal_progress
from .options import OUTPUT, Options, command
from .output import deliver, precheck_output, say


@command(
    "items", "device", "threads", "figure", "preset", "precision", "max_time", "seed",
    "processes", "copies", "fail_if_slower", "allow_different", *OUTPUT,
)  # fmt: skip
def compare(o: Options) -> None:
    """Compare configurations (the first is the baseline): ratios with CIs and a verdict.

    Live: each configuration in quotes, e.g. 'timm:resnet50' 'timm:resnet50 --dtype bf16',
    timed interleaved in one process, so that a drifting host moves all of them alike.
    Offline: result files written with --json. --fail-if-slower 5% makes it a CI gate (exit 8).
    """
    from ..comparison.api import compare as run_compare
    from ..comparison.render import print_compare

    precheck_output(o.json_path, o.fmt, o.exports())
    gate = parse_fraction(o.fail_if_slower) if o.fail_if_slower is not None else None
    with terminal_progress(not o.quiet, notice=say) as progress:
        result = run_compare(
            *o.items,
            device=o.device,
            threads=o.threads,
            figure=o.figure,
            preset_name=o.preset,
            precision=o.precision,
            max_time_s=o.max_time,
            seed=o.seed,
            processes=o.processes,
            copies=o.copies,
            fail_if_slower=gate,
            allow_different=o.allow_different,
            progress=progress,
        )
    deliver(result, o.json_path, o.quiet, print_compare, o.details, o.fmt, o.exports())
    if result.gate_failed:
        slower = [d.message for d in result.diagnostics if d.code == "regression"]
        raise RegressionError(slower[0] if slower else "slower beyond --fail-if-slower")


def parse_fraction(text: str) -> float:
    """'5%' or '0.05' -> 0.05."""
    t = text.strip()
    try:
        value = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise ConfigError(
            f"--fail-if-slower takes a share such as 5% or 0.05, got {text!r}"
        ) from None
    if not 0 <= value < 10:
        raise ConfigError(f"--fail-if-slower must be between 0% and 1000%, got {text!r}")
    return value
