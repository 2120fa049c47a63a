"""`infertime show`: render a saved result file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..reporting.diagnostics import print_diagnostics
from ..reporting.json_io import load_result
from ..reporting.render import render_result
from .cmd_run import DebugOpt, QuietOpt
from .common import stderr, stdout


def show(
    path: Annotated[Path, typer.Argument(help="A file written with --json.")],
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Render a saved result (any kind) as it was printed when measured."""
    result = load_result(path)
    render_result(result, stdout)
    if not quiet:
        print_diagnostics(result.diagnostics, stderr, include_info=True)
