"""Results as CSV, Markdown, JSON or HTML text, for files, pipes and pull-request comments.

Each result kind builds its own `Table` (the registry's `table`, reporting/table.py); CSV
writes the numbers as they are, Markdown formats them for people. JSON is the result file's
own document, exactly as `save_json` writes it. HTML is the report of that one result
(reporting/html, `infertime report`; needs matplotlib). Never imports torch.
"""

from __future__ import annotations

import json

from .. import kinds
from ..errors import ConfigError
from ..resultfile import to_document
from .table import Table, to_csv, to_markdown

EXPORT_FORMATS = ("csv", "markdown", "json", "html")


def check_format(fmt: str) -> str:
    """`fmt` if it is an export format, else ConfigError (a CLI can check before measuring)."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(
            f"unknown export format {fmt!r}", advice=f"choose one of: {', '.join(EXPORT_FORMATS)}"
        )
    return fmt


def table_of(result: object) -> Table:
    """The table the result's kind builds."""
    kind = getattr(result, "kind", None)
    if not isinstance(kind, str) or kind not in kinds.REGISTRY:
        raise TypeError(
            f"no export table for {type(result).__name__} (kind {kind!r}); tables exist for: "
            f"{', '.join(sorted(kinds.REGISTRY))}"
        )
    return kinds.get(kind).table(result)


def export_text(result: object, fmt: str) -> str:
    """The whole text of `result` in `fmt` (one of EXPORT_FORMATS, or "table": what the
    terminal shows, in 80 columns), ending with a newline."""
    if fmt == "table":
        from .show import render_text

        return render_text(result)
    check_format(fmt)
    if fmt == "json":
        return json_text(result)
    if fmt == "html":
        from .html.report import render_report

        return render_report([result])
    table = table_of(result)
    return to_csv(table) if fmt == "csv" else to_markdown(table)


def json_text(result: object) -> str:
    """The result file's text: what `save_json` writes, so --export-json equals --json."""
    kind = getattr(result, "kind", None)
    if kind not in kinds.REGISTRY or kinds.get(kind).format_path is None:
        raise TypeError(f"no result file form for {type(result).__name__} (kind {kind!r})")
    # The same options as resultfile.save_json, which adds the same final newline.
    return json.dumps(to_document(result), indent=1, allow_nan=False) + "\n"


__all__ = ["EXPORT_FORMATS", "Table", "check_format", "export_text", "json_text", "table_of"]
