"""The compare kind (`infertime compare`): registered in kinds/__init__.py."""

from __future__ import annotations

from typing import Any

from ..engine.progress import ProgressSink
from ..errors import ConfigError, InconclusiveError, RegressionError
from ..kinds.base import Command, Kind, Opt, Values
from ..parsing import parse_int


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
    if not t.endswith("%") and value >= 1:
        # "5" is 500 % as a share, and a gate that could never fail: say what was meant.
        raise ConfigError(
            f"--fail-if-slower {t} would be a share of {value:.0%}: write {t}% for {t} %, or a "
            f"share such as 0.05"
        )
    return value


def run(o: Values, progress: ProgressSink) -> Any:
    from .api import compare

    return compare(
        *o.items,
        device=o.device,
        threads=o.threads,
        figure=o.figure,
        preset=o.preset,
        precision=o.precision,
        max_time_s=o.max_time,
        seed=o.seed,
        processes=o.processes,
        copies=o.copies,
        fail_if_slower=o.fail_if_slower,
        allow_different=o.allow_different,
        trust_single_process=o.trust_single_process,
        energy=o.energy,
        progress=progress,
    )


def gate(result: Any) -> None:
    """The regression gate's exit code, after the result is written and printed: 8 for a
    regression, 9 when the data can neither pass nor fail it."""
    said = {d.code: d.message for d in result.diagnostics}
    if result.gate_state == "regression":
        raise RegressionError(said.get("regression", "slower beyond --fail-if-slower"))
    if result.gate_state == "inconclusive":
        raise InconclusiveError(said.get("gate_inconclusive", "gate inconclusive"))


KIND = Kind(
    name="compare",
    format_path="infertime.comparison.result:FORMAT",
    render_path="infertime.comparison.render:print_compare",
    table_path="infertime.comparison.table:compare_table",
    checks_path="infertime.comparison.checks:check_compare",
    figures_path="infertime.comparison.report:figures",
    report_path="infertime.comparison.report:REPORT",
    command=Command(
        name="compare",
        help="Compare configurations (the first is the baseline): ratios with CIs and a "
        "verdict.\n\nLive: each configuration in quotes, e.g. 'timm:resnet50' 'timm:resnet50 "
        "--dtype bf16', timed interleaved in one process, so that a drifting host moves all "
        "of them alike. Offline: result files written with --json. --fail-if-slower 5% makes "
        "it a CI gate: exit 8 when slower beyond it, 9 when the data cannot tell.",
        options=(
            "items",
            "device",
            "threads",
            Opt(
                "figure",
                ("--figure",),
                "What to compare: latency or device_time (per call); generate configurations "
                "(with --prompt-len, --new-tokens): ttft, tpot or e2e.",
                default="latency",
                metavar="FIGURE",
            ),
            "sampling",
            Opt(
                "seed",
                ("--seed",),
                "Seed of the rounds' random slot order (the inputs' seed goes inside a "
                "configuration).",
                default=0,
                parse=parse_int("--seed"),
                metavar="N",
            ),
            "processes",
            Opt(
                "copies",
                ("--copies",),
                "Copies of each configuration's model (1 to 4; default 4 for eager and "
                "cuda-graph models, else 2), built in balanced order (A B B A) and pooled; "
                "their spread is in the ratio's CI; fewer save memory and warm-up.",
                parse=parse_int("--copies"),
                metavar="N",
            ),
            Opt(
                "fail_if_slower",
                ("--fail-if-slower",),
                "Exit 8 when a configuration is slower than the first by more than this (e.g. "
                "5%), with 95 % confidence.",
                parse=parse_fraction,
                metavar="SHARE",
            ),
            Opt(
                "trust_single_process",
                ("--trust-single-process",),
                "Let single-process result files of a host-bound figure decide the gate.",
                style="switch",
            ),
            Opt(
                "allow_different",
                ("--allow-different",),
                "Compare results of different batch sizes or input shapes.",
                style="switch",
            ),
            "energy",
            "output",
        ),
        run=run,
        finish=gate,
    ),
)
