"""Every shared command-line option, declared once, and the workload options generated from
`WorkloadSpec`'s field metadata; a command names the shared ones it takes and adds its own.

Options are declared as `kinds.Opt` (plain data, no typer); cli/commands.py turns them into a
typer signature. Values arrive parsed: by the Opt's `parse` (the same parsers as `compare`
configurations use), so a flag means the same in every command and inside a configuration.
"""

from __future__ import annotations

from pathlib import Path

from ..kinds.base import Opt
from ..parsing import parse_int, parse_seconds, parse_share
from ..specs.spec import DEFAULT_MODEL
from ..specs.text import defaults, workload_flags


def workload_options(*, batch: bool = True) -> tuple[Opt, ...]:
    """The workload spec's fields as options, in the spec's order (the model first)."""
    base = defaults()
    out = []
    for name, flag in workload_flags().items():
        if name == "batch_size" and not batch:
            continue
        if name == "model":
            out.append(
                Opt(name, (), flag.help, style="argument", default=DEFAULT_MODEL, metavar="MODEL")
            )
            continue
        if not flag.takes_value:
            style = "switch"
        elif flag.repeatable:
            style = "multi"
        else:
            style = "value"
        out.append(
            Opt(name, flag.flags, flag.help, style, base.get(name), flag.parse, flag.metavar)
        )
    return tuple(out)


SHARED: dict[str, Opt] = {
    o.name: o
    for o in (
        Opt(
            "path", (), "A file written with --json.", style="argument", parse=Path, metavar="FILE"
        ),
        Opt(
            "items",
            (),
            "Configurations in quotes, e.g. 'timm:resnet50 --dtype bf16' (live), or result "
            "files (offline); the first is the baseline.",
            style="arguments",
            metavar="CONFIG_OR_FILE...",
        ),
        Opt(
            "preset",
            ("--preset",),
            "quick, default or rigorous.",
            default="default",
            metavar="NAME",
        ),
        Opt(
            "precision",
            ("--precision",),
            "Target ± of the median's 95 % CI: 1% or 0.01.",
            parse=parse_share("--precision"),
            metavar="SHARE",
        ),
        Opt(
            "max_time",
            ("--max-time",),
            "Sampling budget: 5s, 500ms, or seconds (5).",
            parse=parse_seconds("--max-time"),
            metavar="DURATION",
        ),
        Opt(
            "min_samples",
            ("--min-samples",),
            "Samples before stopping (662 gives p99).",
            parse=parse_int("--min-samples"),
            metavar="N",
        ),
        Opt(
            "processes",
            ("--processes",),
            "Repeat the measurement in N fresh processes (between-process spread).",
            parse=parse_int("--processes"),
            metavar="N",
        ),
        Opt(
            "diagnose",
            ("--diagnose",),
            "Kernel-time pass and GPU monitoring (GPU only).",
            style="toggle",
            default=True,
        ),
        Opt(
            "energy",
            ("--energy",),
            "Also measure energy per call and per item (NVML counter on a GPU, RAPL on a "
            "CPU) after the timed figures: about 7 s once, then 7-31 s per configuration.",
            style="switch",
        ),
        Opt(
            "json_path",
            ("--json",),
            "Write the full result (raw samples) here.",
            parse=Path,
            metavar="PATH",
        ),
        Opt(
            "fmt",
            ("--format",),
            "stdout as table, json, csv, markdown or html.",
            default="table",
            metavar="FORMAT",
        ),
        Opt(
            "export_csv",
            ("--export-csv",),
            "Also write a CSV table here (- = stdout).",
            parse=Path,
            metavar="PATH",
        ),
        Opt(
            "export_markdown",
            ("--export-markdown",),
            "Also write a Markdown table here (- = stdout).",
            parse=Path,
            metavar="PATH",
        ),
        Opt(
            "export_json",
            ("--export-json",),
            "Also write the result document here (- = stdout).",
            parse=Path,
            metavar="PATH",
        ),
        Opt(
            "export_html",
            ("--export-html",),
            "Also write an HTML report of it here (plots; needs matplotlib).",
            parse=Path,
            metavar="PATH",
        ),
        Opt(
            "details",
            ("--details",),
            "Also show how each figure was measured, and every finding.",
            style="switch",
        ),
        Opt("quiet", ("--quiet", "-q"), "Hide warnings and progress.", style="switch"),
        Opt("debug", ("--debug",), "Show tracebacks of errors.", style="switch"),
    )
}

# Option groups a command can name.
GROUPS: dict[str, tuple[str, ...]] = {
    "sampling": ("preset", "precision", "max_time"),
    "output": (
        "json_path",
        "fmt",
        "export_csv",
        "export_markdown",
        "export_json",
        "export_html",
        "details",
        "quiet",
        "debug",
    ),
}


def resolve(names: tuple[str | Opt, ...]) -> list[Opt]:
    """A command's options, in order: "workload" (every workload flag, the batch too),
    "workload-no-batch", a group name, a shared option's name, or an Opt of its own."""
    out: list[Opt] = []
    for item in names:
        if isinstance(item, Opt):
            out.append(item)
        elif item == "workload":
            out += workload_options()
        elif item == "workload-no-batch":
            out += workload_options(batch=False)
        elif item in GROUPS:
            out += [SHARED[n] for n in GROUPS[item]]
        elif item in SHARED:
            out.append(SHARED[item])
        elif item in (workload := {o.name: o for o in workload_options()}):
            out.append(workload[item])  # one workload flag (compare's --device, --threads)
        else:
            raise TypeError(f"no such option or group: {item!r}")
    seen = [o.name for o in out]
    if len(set(seen)) != len(seen):
        raise TypeError(f"an option is named twice: {seen}")
    return out
