"""Reading a report back: every table cell that shows a number, with its value, its source in
the result file and the text a reader sees, checked against the result files' documents."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from infertime.reporting.html.sources import resolve

# Display units and what one of them is in the result file's unit.
UNITS = {
    "s": 1.0,
    "ms": 1e-3,
    "µs": 1e-6,
    "ns": 1e-9,
    "B": 1.0,
    "KiB": 2.0**10,
    "MiB": 2.0**20,
    "GiB": 2.0**30,
    "%": 0.01,
    "×": 1.0,
    "items/s": 1.0,
    "": 1.0,
}
# Columns whose numbers are positions in the report, not values from a file.
INDEX_COLUMNS = {"#", "process", "points"}
_SHOWN = re.compile(r"^([+-]?[\d,]*\.?\d+)(?:e([+-]?\d+))?\s*(.*)$")


@dataclass
class Cell:
    result: int | None
    column: str
    text: str
    value: str | None
    source: str | None


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[Cell] = []
        self._results: list[int | None] = []
        self._stack: list[str] = []
        self._headers: list[str] = []
        self._in_head = False
        self._column = 0
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("section", "tr"):
            inherited = self._results[-1] if self._results else None
            self._results.append(int(a["data-result"]) if a.get("data-result") else inherited)
        if tag == "thead":
            self._in_head, self._headers = True, []
        if tag == "tr":
            self._column = 0
        if tag in ("td", "th"):
            self._open, self._text = a, []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("section", "tr"):
            self._results.pop()
        if tag == "thead":
            self._in_head = False
        if tag in ("td", "th") and self._open is not None:
            text = "".join(self._text)
            if self._in_head:
                self._headers.append(text)
            else:
                column = self._headers[self._column] if self._column < len(self._headers) else ""
                self.cells.append(
                    Cell(
                        self._results[-1] if self._results else None,
                        column,
                        text,
                        self._open.get("data-value"),
                        self._open.get("data-source"),
                    )
                )
                self._column += 1
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)


def table_cells(html: str) -> list[Cell]:
    parser = _Cells()
    parser.feed(html)
    return parser.cells


def shown(text: str) -> tuple[float, float]:
    """The number a reader sees and half a unit of its last digit, in the file's unit."""
    m = _SHOWN.match(text.strip())
    assert m is not None, f"no number in {text!r}"
    mantissa, exponent, unit = m.group(1).replace(",", ""), m.group(2), m.group(3).strip()
    assert unit in UNITS, f"unknown unit {unit!r} in {text!r}"
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    scale = UNITS[unit] * 10.0 ** int(exponent or 0)
    return float(mantissa) * scale, 0.5 * 10.0**-decimals * scale


def json_text(value: Any) -> str:
    """How the report writes a JSON value that is not a lone number."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "—"
    if isinstance(value, float):
        return format(value, ".6g")
    if isinstance(value, list):
        return ", ".join(json_text(v) for v in value)
    return str(value)


def check_numbers(html: str, documents: list[Any]) -> int:
    """Assert every cell's value equals its source's value in the result file and that the
    text shows that value; returns how many numbers were checked."""
    checked = 0
    for cell in table_cells(html):
        if cell.value is None and cell.source is None:
            continue
        if cell.source is None:
            assert cell.column in INDEX_COLUMNS, f"number without a source: {cell}"
            continue
        assert cell.result is not None, f"source without a result: {cell}"
        expected = resolve(documents[cell.result], cell.source)
        if cell.value is None:
            assert cell.text == json_text(expected), cell
            continue
        value = float(cell.value)
        assert isinstance(expected, (int, float)), cell
        assert value == expected, f"{cell}: file has {expected!r}"
        number, half = shown(cell.text)
        assert math.isclose(number, value, rel_tol=1e-9, abs_tol=half * 1.000001), (
            f"{cell.text!r} does not show {value!r}"
        )
        checked += 1
    return checked
