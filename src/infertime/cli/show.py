"""`infertime show`: render a saved result file."""

from __future__ import annotations

from ..reporting.show import render_result
from ..resultfile import load_result
from .options import Options, command
from .output import deliver, precheck_output


@command("path", "fmt", "export_csv", "export_markdown", "export_json", "details", "quiet", "debug")
def show(o: Options) -> None:
    """Render a saved result (any kind) as it was printed when measured, or export it."""
    precheck_output(None, o.fmt, o.exports())
    result = load_result(o.path)
    deliver(result, None, o.quiet, render_result, o.details, o.fmt, o.exports())
