"""`infertime show`: render a saved result file."""

from __future__ import annotations

from ..reporting.diagnostics import print_findings
from ..reporting.show import render_result
from ..resultfile import load_result
from .options import Options, command
from .output import stderr, stdout


@command("path", "details", "quiet", "debug")
def show(o: Options) -> None:
    """Render a saved result (any kind) as it was printed when measured."""
    result = load_result(o.path)
    render_result(result, stdout, o.details)
    if not o.quiet:
        print_findings(result.diagnostics, stderr, o.details)
