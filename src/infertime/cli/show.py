"""`infertime show`: render a saved result file."""

from __future__ import annotations

from ..reporting.diagnostics import print_diagnostics
from ..reporting.show import render_result
from ..resultfile import load_result
from .options import Options, command
from .output import stderr, stdout


@command("path", "quiet", "debug")
def show(o: Options) -> None:
    """Render a saved result (any kind) as it was printed when measured."""
    result = load_result(o.path)
    render_result(result, stdout)
    if not o.quiet:
        print_diagnostics(result.diagnostics, stderr, include_info=True)
