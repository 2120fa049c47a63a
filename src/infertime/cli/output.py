"""What every command shares: consoles, chatter on stderr, delivering a result.

A finished measurement is delivered in an order that cannot lose it: the result file first,
then the table on stdout, then findings on stderr. A stdout that cannot encode the table's
symbols (PYTHONIOENCODING=ascii, a C locale) gets ASCII stand-ins instead of an error.
"""

from __future__ import annotations

import errno
import io
import json
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, cast

from rich.console import Console

from ..errors import ConfigError
from ..reporting.diagnostics import print_findings
from ..resultfile import check_writable, save_json, to_document, write_text_atomic

SYMBOLS = "·–—±≤≥→←µ×°…─≈"
ASCII = str.maketrans(
    {
        "·": "|",
        "–": "-",
        "—": "-",
        "±": "+/-",
        "≤": "<=",
        "≥": ">=",
        "→": "->",
        "←": "<-",
        "µ": "u",
        "×": "x",
        "°": " deg",
        "…": "...",
        "─": "-",
        "≈": "~",
    }
)


@lru_cache(maxsize=8)
def encodes_symbols(encoding: str | None) -> bool:
    try:
        SYMBOLS.encode(encoding or "utf-8")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


class TextOut(io.TextIOBase):
    """sys.stdout or sys.stderr as it is at each write (tests replace them), with ASCII
    stand-ins for the symbols an encoding cannot hold."""

    def __init__(self, which: str) -> None:
        self.which = which

    @property
    def base(self) -> Any:
        return getattr(sys, self.which)

    @property
    def encoding(self) -> str:  # type: ignore[override]  # rich: ASCII boxes unless UTF
        encoding = getattr(self.base, "encoding", None) or "utf-8"
        return encoding if encodes_symbols(encoding) else "ascii"

    def write(self, text: str) -> int:
        base = self.base
        encoding = getattr(base, "encoding", None)
        if not encodes_symbols(encoding):
            text = (
                text.translate(ASCII)
                .encode(encoding or "ascii", "replace")
                .decode(encoding or "ascii")
            )
        return int(base.write(text))

    def flush(self) -> None:
        self.base.flush()

    def isatty(self) -> bool:
        return bool(self.base.isatty())

    def fileno(self) -> int:
        return int(self.base.fileno())


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich would exit 1 with no message; infertime says what happened (exit 141).
        raise BrokenPipeError(errno.EPIPE, "broken pipe")


# A pipe or file gets a fixed 160 columns, wider than any table, so saved output is never
# squeezed (rich would wrap cells to fit a narrower width).
WIDTH = None if sys.stdout.isatty() else 160
stdout = _Console(file=cast(IO[str], TextOut("stdout")), highlight=False, width=WIDTH)
stderr = _Console(file=cast(IO[str], TextOut("stderr")), highlight=False)


def say(message: str) -> None:
    """A line of chatter on stderr (never on stdout, which carries data)."""
    stderr.print(message, soft_wrap=True, markup=False)


def json_to_stdout(path: Path | None) -> bool:
    """`--json -` writes the result document to stdout (and the table to stderr)."""
    return path is not None and str(path) == "-"


def precheck_json(path: Path | None) -> None:
    if path is not None and not json_to_stdout(path):
        check_writable(path)


def precheck_output(json_path: Path | None, fmt: str, exports: dict[str, Path]) -> None:
    """Before measuring: a known format, writable files, and at most one thing on stdout."""
    from ..reporting.export import check_format

    if fmt != "table":
        check_format(fmt)
    precheck_json(json_path)
    for path in exports.values():
        precheck_json(path)
    on_stdout = [json_to_stdout(json_path), fmt != "table"]
    on_stdout += [json_to_stdout(p) for p in exports.values()]
    if sum(on_stdout) > 1:
        raise ConfigError(
            "only one of --json -, --format and --export-FORMAT - can use standard output"
        )


def deliver(
    result: Any,
    json_path: Path | None,
    quiet: bool,
    render: Callable[[Any, Console, bool], None],
    details: bool = False,
    fmt: str = "table",
    exports: dict[str, Path] | None = None,
) -> None:
    """The result file and exports, then stdout, then the findings: nothing printed can lose
    a file. stdout carries the table, or with --format (or a `-` target) that data instead,
    the table then going to stderr."""
    from ..reporting.export import export_text

    exports = exports or {}
    written = []
    if json_path is not None and not json_to_stdout(json_path):
        written.append(save_json(result, json_path))
    data: str | None = None
    for export_fmt, path in exports.items():
        text = export_text(result, export_fmt)
        if json_to_stdout(path):
            data = text
        else:
            written.append(write_text_atomic(text, path, f"the {export_fmt} export"))
    if json_to_stdout(json_path):
        data = json.dumps(to_document(result), indent=1, allow_nan=False) + "\n"
    if fmt != "table":
        sys.stdout.write(export_text(result, fmt))
    elif data is not None:
        render(result, stderr, details)
        sys.stdout.write(data)
    else:
        render(result, stdout, details)
    sys.stdout.flush()  # the table first, then the findings, when both go to one terminal
    if not quiet:
        print_findings(result.diagnostics, stderr, details)
        for path in written:
            say(f"wrote {path}")
