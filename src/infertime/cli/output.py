"""What every command shares: consoles, chatter on stderr, the result file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from ..reporting.diagnostics import print_diagnostics
from ..resultfile import check_writable, save_json

# A pipe or file gets a fixed 160 columns, wider than any table, so saved output is never
# squeezed (rich would wrap cells to fit a narrower width).
stdout = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
stderr = Console(stderr=True, highlight=False)


def say(message: str) -> None:
    """A line of chatter on stderr (never on stdout, which carries data)."""
    stderr.print(message, soft_wrap=True)


def precheck_json(path: Path | None) -> None:
    if path is not None:
        check_writable(path)


def finish(result: Any, json_path: Path | None, quiet: bool) -> None:
    """Warnings on stderr (unless quiet), then the result file, atomically."""
    sys.stdout.flush()  # the table first, then the warnings, when both go to one terminal
    if not quiet:
        print_diagnostics(result.diagnostics, stderr, include_info=False)
    if json_path is not None:
        written = save_json(result, json_path)
        if not quiet:
            say(f"wrote {written}")
