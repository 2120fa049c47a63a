"""A result as a table: raw numbers in SI units, the unit in each column's name (`median_s`,
`items_per_s`, `peak_memory_bytes`, `_rel` for fractions); CSV writes them as they are,
Markdown formats them for people. Each kind builds its own table (its `table.py`). torch-free.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..records import Diagnostic
from .diagnostics import rank
from .units import duration, percent, rate, size_bytes


@dataclass(frozen=True)
class Table:
    """One result as a table.

    `fixed`: (column, value) pairs that hold for every row (model, dtype, device ...): written
    into every CSV row, so that CSVs of many runs concatenate meaningfully, and left out of the
    Markdown table, whose title says them. `labels` and `formats` change a column's Markdown
    header and cell text; by default both follow the unit suffix of the column name.
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    notes: tuple[str, ...] = ()
    fixed: tuple[tuple[str, object], ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    formats: Mapping[str, Callable[[Any], str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.columns:
            raise ValueError(f"table {self.title!r} has no columns")
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"row {i} of table {self.title!r} has {len(row)} cells for "
                    f"{len(self.columns)} columns"
                )
        names = [name for name, _ in self.fixed] + list(self.columns)
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.title!r} names a column twice: {names}")

    @property
    def header(self) -> tuple[str, ...]:
        """Every column of the CSV form: the fixed ones first."""
        return tuple(name for name, _ in self.fixed) + self.columns

    def records(self) -> list[tuple[object, ...]]:
        """Every row of the CSV form, fixed values first."""
        values = tuple(value for _, value in self.fixed)
        return [values + row for row in self.rows]


# -- CSV ----------------------------------------------------------------------------------------


def csv_cell(value: object) -> str:
    """Raw values: numbers as Python writes them (round-trip exact), '' for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # JSON writes null for these; an empty cell is CSV's null.
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def to_csv(table: Table) -> str:
    """A header row and one line per row; no title or notes, which CSV readers do not expect."""
    out = io.StringIO()
    # "\n" rather than csv's default "\r\n": the text goes to stdout and Unix tools as well.
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.header)
    for record in table.records():
        writer.writerow([csv_cell(v) for v in record])
    return out.getvalue()


# -- Markdown -----------------------------------------------------------------------------------

# Unit suffixes of column names, longest first: the Markdown header drops them, since the cells
# carry their units.
UNIT_SUFFIXES = ("_items_per_s", "_per_s", "_bytes", "_rel", "_s")


def default_label(column: str) -> str:
    """'median_s' -> 'median', 'peak_memory_bytes' -> 'peak memory'."""
    for suffix in UNIT_SUFFIXES:
        if column.endswith(suffix) and len(column) > len(suffix):
            column = column[: -len(suffix)]
            break
    return column.replace("_", " ")


def default_cell(column: str, value: object) -> str:
    """A value for people, in the unit its column name states."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        number = float(value)
        if column.endswith("_per_s"):
            unit = column[: -len("_per_s")].rsplit("_", 1)[-1]
            return rate(number, f"{unit}/s")
        if column.endswith("_s"):
            return duration(number)
        if column.endswith("_bytes"):
            return size_bytes(int(value))
        if column.endswith("_rel"):
            return percent(number)
        return str(value) if isinstance(value, int) else f"{number:.4g}"
    return str(value)


# Characters that Markdown would read as markup (emphasis, code, links, HTML, strikethrough, a
# table cell's end); an underscore inside a word is plain text in GitHub-flavoured Markdown.
_MARKUP = re.compile(r"([\\`*<\[\]|~])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")


def md_escape(text: str) -> str:
    """Plain text safe in a Markdown table cell or list item: one line, markup escaped."""
    one_line = " ".join(text.split())
    return _MARKUP.sub(lambda m: "\\" + m.group(0), one_line)


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _numeric(values: list[object]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in present
    )


def md_cell(table: Table, column: str, value: object) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    fmt = table.formats.get(column)
    return md_escape(fmt(value) if fmt is not None else default_cell(column, value))


def to_markdown(table: Table) -> str:
    """A bold title line, a GitHub-flavoured table (numbers right-aligned), notes as a list."""
    lines = []
    if table.title:
        lines += [f"**{md_escape(table.title)}**", ""]
    # A pull-request comment has no room for columns with nothing in them.
    keep = [
        i
        for i, c in enumerate(table.columns)
        if any(md_cell(table, c, row[i]) for row in table.rows) or not table.rows
    ]
    table = Table(
        title=table.title,
        columns=tuple(table.columns[i] for i in keep),
        rows=tuple(tuple(row[i] for i in keep) for row in table.rows),
        notes=table.notes,
        fixed=table.fixed,
        labels=table.labels,
        formats=table.formats,
    )
    labels = [md_escape(table.labels.get(c, default_label(c))) for c in table.columns]
    lines.append(_md_row(labels))
    align = [
        "---:" if _numeric([row[i] for row in table.rows]) else "---"
        for i in range(len(table.columns))
    ]
    lines.append("|" + "|".join(align) + "|")
    for row in table.rows:
        lines.append(
            _md_row([md_cell(table, c, v) for c, v in zip(table.columns, row, strict=True)])
        )
    if table.notes:
        lines.append("")
        lines += [f"- {md_escape(note)}" for note in table.notes]
    return "\n".join(lines) + "\n"


# -- shared parts of the built-in tables ----------------------------------------------------------


def device_name(result: Any) -> str | None:
    """What the device is: a GPU's name, or the host's CPU model."""
    env = result.environment
    name = env.get("device", {}).get("name")
    if name == "cpu":
        cpu = env.get("host", {}).get("cpu_model") or env.get("device", {}).get("model")
        return str(cpu) if cpu else None
    return str(name) if name else None


def config_columns(settings: Any) -> tuple[tuple[str, object], ...]:
    """Everything that says what was measured: so that rows of eager and compiled runs,
    channels-last or not, of different threads or sequence lengths, never look alike."""
    w = settings.workload
    shapes = ";".join("x".join(map(str, shape)) for shape in settings.inputs.item_shapes)
    return (
        ("model", w.model),
        ("backend", w.backend),
        ("compile_mode", w.compile_mode),
        ("dynamic", w.dynamic),
        ("dtype", settings.dtype_label),
        ("autocast", w.autocast),
        ("layout", "channels-last" if w.channels_last else "default"),
        ("input_shape", shapes),
        ("seq_len", w.seq_len),
        ("hf_config", " ".join(w.hf_config) or None),
        ("seed", w.seed),
        ("threads", settings.context.threads),
    )


def run_columns(result: Any, with_batch: bool = True) -> tuple[tuple[str, object], ...]:
    """The configuration, the device and the run's time, for every CSV row."""
    s = result.settings
    batch: tuple[tuple[str, object], ...] = (("batch", s.batch_size),) if with_batch else ()
    model, *rest = config_columns(s)
    return (
        model,
        *batch,
        *rest,
        ("device", s.device),
        ("device_name", device_name(result)),
        ("created_utc", result.created_utc),
    )


def warning_notes(diagnostics: tuple[Diagnostic, ...]) -> list[str]:
    """Warnings, most important first (as the terminal ranks them); notes of type info stay in
    the JSON, or a pull-request comment would be mostly small print."""
    warnings = sorted((d for d in diagnostics if d.severity == "warning"), key=rank)
    return [f"warning [{d.code}]: {d.message}" for d in warnings]


def signed_percent(fraction: float) -> str:
    return f"{fraction * 100:+.1f} %"
