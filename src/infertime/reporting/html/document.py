"""The report as one HTML file: sections of panels (a figure beside the table of its numbers),
every text escaped, style and script inline, nothing loaded from anywhere."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from html import escape

from .assets import CONTENT_POLICY, CSS, SCRIPT
from .cells import Cell
from .figures import Figure


@dataclass(frozen=True)
class Table:
    """Rows of cells under named columns. `row_results`: for a table over several results,
    the index of the result whose file each row's sources point into."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    caption: str = ""
    sortable: bool = False
    row_results: tuple[int, ...] = ()
    row_classes: tuple[str, ...] = ()  # "warning", "front": how a row is highlighted
    facts: bool = False  # key/value facts: values aligned left, numbers or not

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"row {i} of table {self.caption!r} has {len(row)} cells for "
                    f"{len(self.columns)} columns"
                )
        for name, extra in (("row_results", self.row_results), ("row_classes", self.row_classes)):
            if extra and len(extra) != len(self.rows):
                raise ValueError(f"table {self.caption!r}: {name} must cover every row")


@dataclass(frozen=True)
class Panel:
    """One figure and the tables of the numbers it draws, side by side; notes below."""

    title: str = ""
    figure: Figure | None = None
    tables: tuple[Table, ...] = ()
    notes: tuple[str, ...] = ()
    wide: bool = False  # the figure takes the whole width, its tables go below


@dataclass(frozen=True)
class Section:
    """A titled part of the report; `result`: the index of the result its sources refer to."""

    title: str
    anchor: str
    lead: tuple[str, ...] = ()
    panels: tuple[Panel, ...] = ()
    children: tuple[Section, ...] = ()
    result: int | None = None


RenderFigure = Callable[[Figure, str], str]


def _attr(value: float | int) -> str:
    """A number exactly as Python reads it back (repr of a float round-trips)."""
    return repr(value) if isinstance(value, float) else str(int(value))


def cell_html(cell: Cell, header: bool = False) -> str:
    tag = "th" if header else "td"
    attrs = ""
    if cell.value is not None:
        attrs += f' class="n" data-value="{_attr(cell.value)}"'
    if cell.source is not None:
        attrs += f' data-source="{escape(cell.source, quote=True)}"'
    return f"<{tag}{attrs}>{escape(cell.text)}</{tag}>"


def table_html(table: Table) -> Iterator[str]:
    names = [n for n, on in (("sortable", table.sortable), ("facts", table.facts)) if on]
    cls = f' class="{" ".join(names)}"' if names else ""
    yield f"<table{cls}>"
    if table.caption:
        yield f"<caption>{escape(table.caption)}</caption>"
    yield "<thead><tr>" + "".join(f"<th>{escape(c)}</th>" for c in table.columns) + "</tr></thead>"
    yield "<tbody>"
    for i, row in enumerate(table.rows):
        attrs = ""
        if table.row_results:
            attrs += f' data-result="{table.row_results[i]}"'
        if table.row_classes and table.row_classes[i]:
            attrs += f' class="{escape(table.row_classes[i], quote=True)}"'
        yield f"<tr{attrs}>" + "".join(cell_html(c) for c in row) + "</tr>"
    yield "</tbody></table>"


class _Writer:
    """Walks the sections in order; numbers the figures, so their SVG ids are unique."""

    def __init__(self, render_figure: RenderFigure) -> None:
        self.render_figure = render_figure
        self.figures = 0

    def panel(self, panel: Panel) -> Iterator[str]:
        wide = " wide" if panel.wide else ""
        yield f'<div class="panel{wide}">'
        if panel.figure is not None:
            self.figures += 1
            yield "<figure>" + self.render_figure(panel.figure, f"f{self.figures}") + "</figure>"
        if panel.tables or panel.title or panel.notes:
            yield '<div class="numbers">'
            if panel.title:
                yield f"<h4>{escape(panel.title)}</h4>"
            for table in panel.tables:
                yield from table_html(table)
            for note in panel.notes:
                yield f'<p class="note">{escape(note)}</p>'
            yield "</div>"
        yield "</div>"

    def section(self, section: Section, depth: int) -> Iterator[str]:
        level = min(2 + depth, 4)
        result = f' data-result="{section.result}"' if section.result is not None else ""
        yield f'<section id="{escape(section.anchor, quote=True)}"{result}>'
        yield f"<h{level}>{escape(section.title)}</h{level}>"
        for line in section.lead:
            yield f'<p class="lead">{escape(line)}</p>'
        for panel in section.panels:
            yield from self.panel(panel)
        for child in section.children:
            yield from self.section(child, depth + 1)
        yield "</section>"


def _contents(sections: Sequence[Section]) -> Iterator[str]:
    yield "<nav><ul>"
    for s in sections:
        yield f'<li><a href="#{escape(s.anchor, quote=True)}">{escape(s.title)}</a></li>'
    yield "</ul></nav>"


def render_document(
    title: str,
    sections: Sequence[Section],
    stamp: str,
    render_figure: RenderFigure,
    notices: Sequence[str] = (),
) -> str:
    """The whole HTML text. `stamp` is its only line that may differ between two renderings
    of the same results (when it was written); it must hold no newline."""
    if "\n" in stamp:
        raise ValueError("the stamp must be one line")
    writer = _Writer(render_figure)
    head = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_POLICY}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        '<link rel="icon" href="data:,">',  # or the browser asks the folder for favicon.ico
        f"<style>{CSS.strip()}</style>",
        "</head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="stamp">{escape(stamp)}</p>',
    ]
    body: list[str] = []
    for notice in notices:
        body.append(f'<p class="skipped">{escape(notice)}</p>')
    body.extend(_contents(sections))
    for section in sections:
        body.extend(writer.section(section, 0))
    tail = [f"<script>{SCRIPT.strip()}</script>", "</body>", "</html>", ""]
    return "\n".join(head + body + tail)
