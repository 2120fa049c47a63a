"""`infertime show`: render a saved result file."""

from __future__ import annotations

from ..kinds.base import Values

OPTIONS = (
    "path", "fmt", "export_csv", "export_markdown", "export_json", "export_html", "details",
    "quiet", "debug",
)  # fmt: skip


def show(o: Values) -> None:
    """Render a saved result (any kind) as it was printed when measured, or export it."""
    from ..reporting.show import render_result
    from ..resultfile import load_result
    from .commands import paths_of
    from .output import deliver, precheck_output

    precheck_output(None, o.fmt, o.exports(), *paths_of(o))
    result = load_result(o.path)
    deliver(result, None, o.quiet, render_result, o.details, o.fmt, o.exports())
