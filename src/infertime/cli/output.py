"""What every command shares: consoles, chatter on stderr, delivering a result.

A finished measurement is delivered in an order that cannot lose it: the result file first,
then the table on stdout, then findings on stderr. A stdout that cannot encode the table's
symbols (PYTHONIOENCODING=ascii, a C locale) gets ASCII stand-ins instead of an error.
"""

from __future__ import annotations

import errno
import io
import json
import os
import stat
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, cast

from rich.console import Console

from ..errors import ConfigError, OutputClosed
from ..reporting.diagnostics import print_findings
from ..resultfile import save_json, to_document
from ..writing import check_writable, stream_fd, write_text_atomic

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


def _width(stream: Any) -> int | None:
    """A terminal's own width; anything else gets a terminal's default of 80 columns, which
    every table and line is laid out to fit."""
    try:
        return None if stream is not None and stream.isatty() else 80
    except (ValueError, OSError):  # a closed stream
        return 80


stdout = _Console(file=cast(IO[str], TextOut("stdout")), highlight=False, width=_width(sys.stdout))
stderr = _Console(file=cast(IO[str], TextOut("stderr")), highlight=False, width=_width(sys.stderr))


def say(message: str) -> None:
    """A line of chatter on stderr (never on stdout, which carries data), wrapped at words."""
    stderr.print(message, markup=False, highlight=False)


def json_to_stdout(path: Path | None) -> bool:
    """`--json -` (or /dev/stdout, /proc/self/fd/1) writes the result document to stdout, and
    the table to stderr."""
    return path is not None and (str(path) == "-" or stream_fd(path) == 1)


def precheck_json(path: Path | None, what: str = "result") -> None:
    if path is not None and not json_to_stdout(path):
        check_writable(path, what)


def _identity(path: Path) -> tuple[str, object] | None:
    """What a path writes to, to tell two outputs (or an output and an input) apart: a
    stream's descriptor, or the file it resolves to; None for a device (two writers of
    /dev/null harm nothing)."""
    fd = stream_fd(path)
    if fd is not None or str(path) == "-":
        return ("fd", 1 if str(path) == "-" else fd)
    p = Path(os.path.realpath(path))
    try:
        st = p.stat()
        if stat.S_ISCHR(st.st_mode):
            return None
        return ("file", (st.st_dev, st.st_ino))
    except OSError:
        return ("path", str(p))


def precheck_output(
    json_path: Path | None,
    fmt: str,
    exports: dict[str, Path],
    inputs: tuple[Path, ...] = (),
    other: dict[str, Path] | None = None,
) -> None:
    """Before measuring: a known format, writable files, at most one thing on stdout, no two
    outputs naming one file and no output naming an input (each would destroy data)."""
    from ..reporting.export import check_format

    if fmt != "table":
        check_format(fmt)
    if fmt == "html" or "html" in exports:
        from ..reporting.html.svg import matplotlib

        matplotlib()  # the HTML report draws with it: missing, fail before measuring
    outputs = {"--json": json_path, **{f"--export-{f}": p for f, p in exports.items()}}
    outputs.update(other or {})
    given = {flag: path for flag, path in outputs.items() if path is not None}
    for flag, path in given.items():
        if flag == "--json":
            precheck_json(path)
        elif flag.startswith("--export-"):
            precheck_json(path, f"the {flag.removeprefix('--export-')} export")
    on_stdout = [json_to_stdout(json_path), fmt != "table"]
    on_stdout += [json_to_stdout(p) for p in exports.values()]
    if sum(on_stdout) > 1:
        raise ConfigError(
            "only one of --json -, --format and --export-FORMAT - can use standard output"
        )
    seen: dict[tuple[str, object], str] = {}
    for flag, path in given.items():
        key = _identity(path)
        if key is None or key == ("fd", 1):  # devices; stdout is checked above
            continue
        if key in seen:
            raise ConfigError(f"{seen[key]} and {flag} name the same file, {path}")
        seen[key] = flag
    for path in inputs:
        key = _identity(path)
        if key is not None and key in seen:
            raise ConfigError(
                f"{seen[key]} names {path}, which is also an input: it would be overwritten"
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
    try:
        if fmt != "table":
            sys.stdout.write(export_text(result, fmt))
        elif data is not None:
            render(result, stderr, details)
            sys.stdout.write(data)
        else:
            render(result, stdout, details)
        sys.stdout.flush()  # the table first, then the findings, when both go to one terminal
    except OSError as exc:
        if isinstance(exc, BrokenPipeError):
            raise
        raise OutputClosed(
            f"standard output could not be written ({exc.strerror or exc})"
            + ("; the result file was written" if written else "")
        ) from None
    if not quiet:
        print_findings(result.diagnostics, stderr, details)
        for path in written:
            say(f"wrote {path}")
