"""Results as CSV, Markdown or JSON text, for files, pipes and pull-request comments.

Each result kind has a table builder (registered by kind, so later kinds add their own): one
`Table` per result, raw numbers in SI units with the unit in the column name (`median_s`,
`items_per_s`, `peak_memory_bytes`, `_rel` for fractions). CSV writes those numbers as they
are; Markdown formats them for people with the units in the cells. JSON is the result file's
own document, exactly as `save_json` writes it. Never imports torch.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .. import stats
from ..comparison.render import headline_lines, letter
from ..comparison.result import CompareResult
from ..errors import ConfigError
from ..latency.render import INCONSISTENT, LEGEND, SHORT_LABELS, describe_run, flagged_figures
from ..latency.result import LatencyResult
from ..pitfalls.render import pitfalls_table
from ..pitfalls.result import PitfallsResult
from ..records import Diagnostic
from ..resultfile import kind_formats, to_document
from ..throughput.render import describe, finding_lines, marks
from ..throughput.result import ThroughputResult
from .diagnostics import rank
from .units import duration, percent, rate, size_bytes

EXPORT_FORMATS = ("csv", "markdown", "json")


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


TableBuilder = Callable[[Any], Table]
B = TypeVar("B", bound=TableBuilder)

# result.kind -> its table; a later kind's module registers its own with `register_table`.
TABLES: dict[str, TableBuilder] = {}


def register_table(kind: str) -> Callable[[B], B]:
    """Decorator: `builder` makes the table of results of `kind` (a later registration wins)."""

    def decorator(builder: B) -> B:
        TABLES[kind] = builder
        return builder

    return decorator


def check_format(fmt: str) -> str:
    """`fmt` if it is an export format, else ConfigError (a CLI can check before measuring)."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(
            f"unknown export format {fmt!r}", advice=f"choose one of: {', '.join(EXPORT_FORMATS)}"
        )
    return fmt


def table_of(result: object) -> Table:
    """The registered table of a result."""
    kind = getattr(result, "kind", None)
    builder = TABLES.get(kind) if isinstance(kind, str) else None
    if builder is None:
        raise TypeError(
            f"no export table for {type(result).__name__} (kind {kind!r}); tables exist for: "
            f"{', '.join(sorted(TABLES))}"
        )
    return builder(result)


def export_text(result: object, fmt: str) -> str:
    """The whole text of `result` in `fmt` (one of EXPORT_FORMATS), ending with a newline."""
    check_format(fmt)
    if fmt == "json":
        return json_text(result)
    table = table_of(result)
    return to_csv(table) if fmt == "csv" else to_markdown(table)


def json_text(result: object) -> str:
    """The result file's text: what `save_json` writes, so --export-json equals --json."""
    kind = getattr(result, "kind", None)
    if kind not in kind_formats():
        raise TypeError(f"no result file form for {type(result).__name__} (kind {kind!r})")
    # The same options as resultfile.save_json, which adds the same final newline.
    return json.dumps(to_document(result), indent=1, allow_nan=False) + "\n"


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


def run_columns(result: Any, with_batch: bool = True) -> tuple[tuple[str, object], ...]:
    """The configuration and the run's time, for every CSV row."""
    s = result.settings
    batch: tuple[tuple[str, object], ...] = (("batch", s.batch_size),) if with_batch else ()
    return (
        ("model", s.model),
        *batch,
        ("dtype", s.dtype_label),
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


# -- latency ------------------------------------------------------------------------------------

TAIL_COLUMNS = tuple(f"p{stats.q_label(q)}_s" for q in stats.TAIL_PERCENTILES)
LATENCY_COLUMNS = (
    "figure",
    "median_s",
    "ci_low_s",
    "ci_high_s",
    "ci_rel",
    "n",
    "calls_per_sample",
    *TAIL_COLUMNS,
    "throughput_items_per_s",
    "steady",
    "processes",
    "prediction_low_s",
    "prediction_high_s",
)


@register_table(LatencyResult.kind)
def latency_table(r: LatencyResult) -> Table:
    """One row per figure: median with its CI, samples, tails of single calls, throughput."""
    unsteady = flagged_figures(r)
    # The terminal withholds throughput when device time came out above latency; so does this.
    inconsistent = any(d.code == INCONSISTENT for d in r.diagnostics)
    rows: list[tuple[object, ...]] = []
    withheld: dict[tuple[str, str], list[str]] = {}
    for name, series in r.figures.items():
        s = series.summary
        by_label = {f"{t.label}_s": t for t in s.tails}
        for t in s.tails:
            if t.value is None and t.withheld:
                withheld.setdefault((name, t.withheld), []).append(t.label)
        # Over fresh processes (--processes): the typical figure, its CI and the range for one
        # new process; tails are those of the last process.
        over = r.across(name)
        median, ci = (over.typical, over.typical_ci) if over else (s.median, s.median_ci)
        prediction = over.prediction if over else None
        rows.append(
            (
                name,
                median,
                ci[0] if ci else None,
                ci[1] if ci else None,
                stats.relative_half_width(median, ci),
                s.n,
                series.calls_per_sample,
                *(by_label[c].value if c in by_label else None for c in TAIL_COLUMNS),
                r.throughput_items_per_s if name == "device_time" and not inconsistent else None,
                name not in unsteady,
                len(r.processes) or 1,
                prediction[0] if prediction else None,
                prediction[1] if prediction else None,
            )
        )
    conf = round(r.latency.confidence * 100)
    scope = (
        f"over {len(r.processes)} fresh processes (geometric mean of their medians); "
        "prediction: where one new process's median will probably lie"
        if r.processes
        else "in this process; fresh processes can differ more"
    )
    notes = [
        f"CI, ±: {conf} % CI of the median (± its larger half-width relative to the median) "
        f"{scope}",
        *(LEGEND[f] for f in r.figures if f in LEGEND),
        "throughput = batch / median device time per call",
        *(
            f"{', '.join(labels)} of {SHORT_LABELS.get(name, name)} withheld: {why}"
            for (name, why), labels in withheld.items()
        ),
        *warning_notes(r.diagnostics),
    ]
    return Table(
        title=describe_run(r),
        columns=LATENCY_COLUMNS,
        rows=tuple(rows),
        notes=tuple(notes),
        fixed=run_columns(r),
        labels={
            "ci_low_s": "CI low",
            "ci_high_s": "CI high",
            "ci_rel": "±",
            "calls_per_sample": "calls/sample",
            "prediction_low_s": "one new process, low",
            "prediction_high_s": "one new process, high",
        },
        formats={"figure": lambda f: SHORT_LABELS.get(f, f)},
    )


# -- throughput ---------------------------------------------------------------------------------

THROUGHPUT_COLUMNS = (
    "batch",
    "status",
    "role",
    "items_per_s",
    "ci_low_items_per_s",
    "ci_high_items_per_s",
    "device_time_median_s",
    "latency_median_s",
    "peak_memory_bytes",
)


@register_table(ThroughputResult.kind)
def throughput_table(r: ThroughputResult) -> Table:
    """One row per curve point, by batch: throughput with its CI, times per call, memory."""
    rows: list[tuple[object, ...]] = []
    for p in sorted(r.points, key=lambda p: p.batch):
        memory = p.memory.peak_reserved_bytes if p.memory else None
        if p.device_time is None:  # out of memory: it never ran
            rows.append((p.batch, p.status, marks(r, p.batch), *([None] * 5), memory))
            continue
        ci = p.items_per_s_ci
        latency = p.latency.summary.median if p.latency is not None else None
        rows.append(
            (
                p.batch,
                p.status,
                marks(r, p.batch),
                p.items_per_s,
                ci[0] if ci else None,
                ci[1] if ci else None,
                p.device_time.summary.median,
                latency,
                memory,
            )
        )
    memory_kind = "process peak RSS" if r.settings.device == "cpu" else "peak reserved by torch"
    conf = round(r.settings.method.stop.confidence * 100)
    notes = [
        *finding_lines(r),
        f"items/s = batch / median device time per call, over back-to-back calls; CI: the "
        f"{conf} % CI of that median; latency: median synchronous call; memory: {memory_kind}",
        *warning_notes(r.diagnostics),
    ]
    return Table(
        title=describe(r),
        columns=THROUGHPUT_COLUMNS,
        rows=tuple(rows),
        notes=tuple(notes),
        fixed=run_columns(r, with_batch=False),
        labels={
            "items_per_s": "items/s",
            "ci_low_items_per_s": "CI low",
            "ci_high_items_per_s": "CI high",
            "device_time_median_s": "device time",
            "latency_median_s": "latency",
            "peak_memory_bytes": "memory",
        },
        formats={
            # The unit is in the header; bare numbers keep the column narrow, as the terminal.
            "items_per_s": lambda v: rate(v, "").strip(),
            "ci_low_items_per_s": lambda v: rate(v, "").strip(),
            "ci_high_items_per_s": lambda v: rate(v, "").strip(),
        },
    )


# -- pitfalls -----------------------------------------------------------------------------------

PITFALLS_COLUMNS = (
    "code",
    "label",
    "applies",
    "n",
    "mean_s",
    "median_s",
    "mean_error_rel",
    "median_error_rel",
    "note",
)


@register_table(PitfallsResult.kind)
def pitfalls_results_table(r: PitfallsResult) -> Table:
    """One row per method: its mean and median, and how far they are from the correct median."""
    rows: list[tuple[object, ...]] = []
    for row in r.rows:
        if not row.applies:
            rows.append((row.code, row.label, False, 0, None, None, None, None, row.note))
            continue
        n = len(row.samples_s)
        if row.code == "single_sample":
            # Its samples are the correct method's, so their mean and median would show no
            # error; what one sample risks is the spread of single samples around the median.
            e = r.single_sample_errors()
            spread = (
                f"typically ±{percent(e['typical'])}, 95 % within ±{percent(e['p95'])} of the "
                "correct median"
            )
            note = f"{row.note}: {spread}" if row.note else spread
            rows.append((row.code, row.label, True, n, None, None, None, None, note))
            continue
        m = row.summary
        rows.append(
            (
                row.code,
                row.label,
                True,
                n,
                m.mean,
                m.median,
                r.error(row.code, "mean"),
                r.error(row.code, "median"),
                row.note,
            )
        )
    notes = [
        f"errors are relative to the correct median, {duration(r.reference_s)}; the device "
        f"timer is {r.settings.timer}",
        *warning_notes(r.diagnostics),
    ]
    return Table(
        title=str(pitfalls_table(r).title),
        columns=PITFALLS_COLUMNS,
        rows=tuple(rows),
        notes=tuple(notes),
        fixed=run_columns(r),
        labels={"mean_error_rel": "mean vs correct", "median_error_rel": "median vs correct"},
        formats={"mean_error_rel": signed_percent, "median_error_rel": signed_percent},
    )


# -- compare ------------------------------------------------------------------------------------

COMPARE_COLUMNS = (
    "configuration",
    "role",
    "figure_s",
    "time_ratio",
    "ci_low",
    "ci_high",
    "speedup",
    "groups",
    "samples",
    "verdict",
)


@register_table(CompareResult.kind)
def compare_table(r: CompareResult) -> Table:
    """One row per configuration: its figure, its time ratio to the baseline with the CI."""
    rows: list[tuple[object, ...]] = []
    for i, arm in enumerate(r.arms):
        x = r.ratio(i) if i else None
        rows.append(
            (
                arm.name,
                "baseline" if i == 0 else f"vs {letter(0)}",
                r.value(i),
                x.value if x else 1.0,
                x.ci[0] if x and x.ci else None,
                x.ci[1] if x and x.ci else None,
                1 / x.value if x else 1.0,
                len(arm.groups),
                sum(len(g) for g in arm.groups),
                r.verdict(i) if i else None,
            )
        )
    notes = headline_lines(r)[len(r.arms) + 1 :] + warning_notes(r.diagnostics)
    return Table(
        title=headline_lines(r)[0],
        columns=COMPARE_COLUMNS,
        rows=tuple(rows),
        notes=tuple(notes),
        fixed=(
            ("figure", r.figure),
            ("mode", r.mode),
            ("device", r.settings.device),
            ("created_utc", r.created_utc),
        ),
        labels={"figure_s": "per call", "time_ratio": "× time", "speedup": "speed-up"},
        formats={
            "time_ratio": lambda v: f"{v:.3f}",
            "ci_low": lambda v: "" if v is None else f"{v:.3f}",
            "ci_high": lambda v: "" if v is None else f"{v:.3f}",
            "speedup": lambda v: f"{v:.3g}×",
        },
    )
