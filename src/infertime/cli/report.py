"""`infertime report`: result files and folders as one self-contained HTML report."""

from __future__ import annotations

import sys
from pathlib import Path

from ..kinds.base import Opt, Values

OPTIONS = (
    Opt(
        "results",
        (),
        "Result files written with --json, or folders of them (every .json below), in any mix "
        "of kinds.",
        style="arguments",
        metavar="RESULT_OR_FOLDER...",
    ),
    Opt(
        "output",
        ("-o", "--output"),
        "Write the report here: one HTML file that opens offline (- = stdout).",
        parse=Path,
        metavar="FILE",
    ),
    Opt(
        "skip_bad",
        ("--skip-bad",),
        "Leave out files that are not results (each named on stderr and atop the report) "
        "instead of stopping.",
        style="switch",
    ),
    Opt("title", ("--title",), "The report's title.", default="infertime report", metavar="TEXT"),
    "quiet",
    "debug",
)


def report(o: Values) -> None:
    """Write one HTML report of saved results: plots beside the numbers they draw, the
    environment, the method and every finding with its advice; it opens from file:// with
    nothing fetched."""
    from ..errors import ConfigError, OutputClosed
    from ..reporting.html.report import expand, load_results, render_report
    from ..reporting.html.svg import matplotlib
    from ..writing import check_writable, write_text_atomic
    from .output import json_to_stdout, precheck_output, say

    if o.output is None:
        raise ConfigError(
            "infertime report needs -o FILE, where to write the report",
            advice="e.g. -o report.html, or -o - for standard output",
        )
    to_stdout = json_to_stdout(o.output)  # "-", /dev/stdout: the report is the data
    # Before reading anything: matplotlib is there, the output can be written and names no
    # input (which it would destroy).
    matplotlib()
    if not to_stdout:
        check_writable(o.output, "the report")
        inputs = tuple(path for path, _ in expand(o.results) if path.exists())
        precheck_output(None, "table", {}, inputs, {"-o": o.output})
    results, names, skipped = load_results(o.results, skip_bad=o.skip_bad)
    if not o.quiet:
        for line in skipped:
            say(line)
    text = render_report(results, o.title, names=names, notices=skipped)
    if to_stdout:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except OSError as exc:
            if isinstance(exc, BrokenPipeError):
                raise  # the command says: standard output closed (exit 141)
            raise OutputClosed(
                f"standard output could not be written ({exc.strerror or exc})"
            ) from None
        return
    written = write_text_atomic(text, o.output, "the report")
    if not o.quiet:
        kinds = sorted({r.kind for r in results})
        say(
            f"wrote {written}: {len(results)} result{'s' if len(results) != 1 else ''} "
            f"({', '.join(kinds)}), {len(text.encode()) / 1e6:.2f} MB"
        )
