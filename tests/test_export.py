"""Exports: CSV, Markdown and JSON text of each result kind, from the golden result files."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import pytest

from infertime import kinds, resultfile
from infertime.engine.curve import CurvePoint
from infertime.errors import ConfigError
from infertime.kinds import Kind
from infertime.records import Diagnostic, Series
from infertime.reporting import export
from infertime.reporting.export import EXPORT_FORMATS, Table, export_text, table_of
from infertime.reporting.table import md_cell

GOLDEN = Path(__file__).parent / "golden"
KINDS = ("latency", "throughput", "pitfalls")
SEPARATOR = re.compile(r"^\|(:?-{3,}:?\|)+$")
# Columns that hold numbers: counts, and anything with a unit in its name.
NUMERIC = re.compile(r"^(batch|n|calls_per_sample)$|(_s|_rel|_bytes)$")


def golden(kind: str) -> Any:
    return resultfile.load_result(GOLDEN / f"v3_{kind}_cpu.json")


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@dataclass
class Markdown:
    title: str
    header: list[str]
    separator: str
    rows: list[list[str]]
    notes: list[str]


def cells(line: str) -> list[str]:
    assert line.startswith("| ") and line.endswith(" |"), line
    # Cells are joined by " | "; a pipe inside a cell is escaped ("\|"), never spaced so.
    return line[2:-2].split(" | ")


def parse_markdown(text: str) -> Markdown:
    assert text.endswith("\n")
    lines = text.rstrip("\n").split("\n")
    title, blank, header, separator, *rest = lines
    assert title.startswith("**") and title.endswith("**") and blank == ""
    table = [line for line in rest if line.startswith("|")]
    tail = rest[len(table) :]
    # Every line of the table is a row: a newline inside a cell would have broken one.
    assert all(line.startswith("- ") for line in tail[1:]) and tail[:1] in ([], [""])
    notes = [line[2:] for line in tail[1:]]
    return Markdown(title, cells(header), separator, [cells(r) for r in table], notes)


def expected_rows(result: Any) -> int:
    if result.kind == "latency":
        return len(result.figures)
    if result.kind == "throughput":
        return len(result.points)
    return len(result.rows)


def own_figures(result: Any) -> list[dict[str, float]]:
    """Per row, in table order: figures the result computes itself (seconds, items/s)."""
    if result.kind == "latency":
        return [{"median_s": s.summary.median} for s in result.figures.values()]
    if result.kind == "throughput":
        return [
            {"items_per_s": p.items_per_s, "device_time_median_s": p.device_time.summary.median}
            for p in sorted(result.points, key=lambda p: p.batch)
        ]
    return [
        {"median_s": r.summary.median, "median_error_rel": result.error(r.code, "median")}
        if r.applies and r.code != "single_sample"
        else {}
        for r in result.rows
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_csv_reads_back_to_the_results_own_figures(kind: str) -> None:
    result = golden(kind)
    text = export_text(result, "csv")
    rows = csv_rows(text)
    assert len(rows) == expected_rows(result)
    assert tuple(rows[0]) == table_of(result).header
    assert len(text.splitlines()) == len(rows) + 1  # one line per row: no title, no notes
    for row, figures in zip(rows, own_figures(result), strict=True):
        assert row["model"] == result.settings.model and row["device"] == result.settings.device
        for column, text_value in row.items():
            if NUMERIC.search(column) and text_value != "":
                float(text_value)
        for column, number in figures.items():
            assert float(row[column]) == number  # raw numbers, exactly as computed


@pytest.mark.parametrize("kind", KINDS)
def test_markdown_is_one_table_with_title_and_notes(kind: str) -> None:
    result = golden(kind)
    table = table_of(result)
    md = parse_markdown(export_text(result, "markdown"))
    assert result.settings.model in md.title
    # Markdown drops the columns with nothing in any row (the energy columns of a run
    # without --energy); every other column stays, in the table's order.
    kept = [
        c
        for i, c in enumerate(table.columns)
        if any(md_cell(table, c, row[i]) for row in table.rows)
    ]
    assert 0 < len(kept) <= len(table.columns)
    assert len(md.header) == len(kept)
    assert SEPARATOR.match(md.separator) and md.separator.count("|") == len(kept) + 1
    assert len(md.rows) == expected_rows(result)
    assert all(len(row) == len(kept) for row in md.rows)
    assert len(md.notes) == len(table.notes) >= 1


def test_markdown_cells_carry_units() -> None:
    md = parse_markdown(export_text(golden("latency"), "markdown"))
    median = md.rows[0][md.header.index("median")]
    assert median == "27.58 µs"
    tp = md.rows[1][md.header.index("throughput")]
    assert tp.endswith("items/s")


@pytest.mark.parametrize("kind", KINDS)
def test_json_is_exactly_the_result_file(kind: str, tmp_path: Path) -> None:
    result = golden(kind)
    text = export_text(result, "json")
    saved = resultfile.save_json(result, tmp_path / "r.json").read_text(encoding="utf-8")
    assert text == saved
    document = json.loads(text)
    again = resultfile.from_document(document)
    assert again == result
    assert resultfile.to_document(again) == document


def test_withheld_percentiles_are_empty_in_csv() -> None:
    result = golden("latency")  # short calls: samples are means of several calls
    assert all(t.withheld for s in result.figures.values() for t in s.summary.tails)
    for row in csv_rows(export_text(result, "csv")):
        assert row["p90_s"] == row["p95_s"] == row["p99_s"] == ""
    md = export_text(result, "markdown")
    assert "p90, p95, p99 of latency withheld: each sample is the mean of 4 calls" in md


def single_calls(n: int) -> tuple[float, ...]:
    """Deterministic single-call latencies between 1.0 and 1.1 ms."""
    return tuple(1e-3 * (1 + ((i * 7919) % n) / (10 * n)) for i in range(n))


def test_percentiles_of_single_calls_are_exported_until_too_few_samples() -> None:
    base = golden("latency")
    series = Series("latency", single_calls(300), calls_per_sample=1)
    result = replace(base, figures={**base.figures, "latency": series})
    row = csv_rows(export_text(result, "csv"))[0]
    tails = series.summary.percentiles
    assert float(row["p90_s"]) == tails[0.90] and float(row["p95_s"]) == tails[0.95]
    assert row["p99_s"] == ""  # 662 samples are needed
    assert "p99 of latency withheld: needs 662 samples, have 300" in export_text(result, "markdown")


def test_graph_latency_gets_its_own_row_and_no_throughput() -> None:
    base = golden("latency")
    graph = Series("graph_latency", single_calls(64), calls_per_sample=1)
    result = replace(base, figures={**base.figures, "graph_latency": graph})
    rows = csv_rows(export_text(result, "csv"))
    assert [r["figure"] for r in rows] == ["latency", "device_time", "graph_latency"]
    assert float(rows[2]["median_s"]) == graph.summary.median
    assert rows[0]["throughput_items_per_s"] == rows[2]["throughput_items_per_s"] == ""
    assert float(rows[1]["throughput_items_per_s"]) == base.throughput_items_per_s
    assert "graph replay" in export_text(result, "markdown")


def test_inconsistent_figures_withhold_throughput_as_the_terminal_does() -> None:
    bad = Diagnostic("inconsistent_figures", "warning", "device time came out above latency")
    result = golden("latency").with_diagnostics((bad,))
    rows = csv_rows(export_text(result, "csv"))
    assert all(r["throughput_items_per_s"] == "" for r in rows)
    assert "warning \\[inconsistent_figures\\]: device time" in export_text(result, "markdown")


def test_throughput_rows_by_batch_with_roles_and_an_out_of_memory_point() -> None:
    base = golden("throughput")
    oom = CurvePoint(batch=16, reason="grid", status="oom", error="out of memory")
    result = replace(base, points=(oom, *base.points))
    rows = csv_rows(export_text(result, "csv"))
    batches = [int(r["batch"]) for r in rows]
    assert batches == sorted(batches) and batches[-1] == 16
    roles = {int(r["batch"]): r["role"] for r in rows}
    assert roles[base.peak_batch].split(", ")[0] == "peak"
    assert "knee" in roles[base.knee_batch] and "max-fit" in roles[base.max_fit_batch]
    assert base.budget is not None and "budget" in roles[base.budget.batch]
    last = rows[-1]
    assert last["status"] == "oom" and last["role"] == ""
    assert last["items_per_s"] == last["device_time_median_s"] == last["peak_memory_bytes"] == ""
    point = base.point(8)
    assert point.memory is not None
    assert int(rows[batches.index(8)]["peak_memory_bytes"]) == point.memory.peak_reserved_bytes
    md = parse_markdown(export_text(result, "markdown"))
    assert len(md.rows) == len(rows)
    assert any(note.startswith("budget: best batch with p99 latency") for note in md.notes)


def test_pitfalls_rows_that_do_not_apply_have_no_numbers() -> None:
    result = golden("pitfalls")
    rows = {r["code"]: r for r in csv_rows(export_text(result, "csv"))}
    assert rows["no_sync"]["applies"] == "false" and rows["no_sync"]["median_s"] == ""
    assert "GPU" in rows["no_sync"]["note"]
    assert float(rows["no_warmup"]["mean_error_rel"]) == result.error("no_warmup", "mean")
    assert float(rows["correct"]["median_error_rel"]) == 0.0
    # One sample: the spread of single samples, not the mean of all of them.
    assert (
        rows["single_sample"]["median_s"] == "" and "typically ±" in rows["single_sample"]["note"]
    )


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.json")), ids=lambda p: p.name)
@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_every_golden_file_of_every_version_exports(path: Path, fmt: str) -> None:
    text = export_text(resultfile.load_result(path), fmt)
    assert text.endswith("\n") and len(text.splitlines()) >= 2


def test_an_unknown_format_is_a_config_error_naming_the_formats() -> None:
    with pytest.raises(ConfigError) as info:
        export_text(golden("latency"), "xml")
    assert (
        info.value.one_line()
        == "unknown export format 'xml'; choose one of: csv, markdown, json, html"
    )
    assert export.check_format("markdown") == "markdown"
    with pytest.raises(ConfigError):
        export.check_format("table")  # the terminal table is the CLI's, not an export


@dataclass(frozen=True)
class MadeUp:
    kind: ClassVar[str] = "made_up"
    name: str


def made_up_table(r: MadeUp) -> Table:
    return Table(
        title=f"made up · {r.name}",
        columns=("variant", "speedup_rel", "time_s"),
        rows=(("a | b", 0.25, 1.5e-3), ("line\nbreak", None, 2e-6)),
        notes=("one note",),
        fixed=(("name", r.name),),
    )


KIND = Kind(
    name="made_up",
    format_path=None,
    render_path=f"{__name__}:made_up_table",
    table_path=f"{__name__}:made_up_table",
    checks_path=f"{__name__}:made_up_table",
)


def test_a_registered_table_is_used_for_its_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(kinds.REGISTRY, "made_up", __name__)  # one registration line
    kinds.get.cache_clear()

    result = MadeUp("x")
    assert kinds.get("made_up").table is made_up_table
    rows = csv_rows(export_text(result, "csv"))
    assert rows == [
        {"name": "x", "variant": "a | b", "speedup_rel": "0.25", "time_s": "0.0015"},
        {"name": "x", "variant": "line\nbreak", "speedup_rel": "", "time_s": "2e-06"},
    ]
    md = parse_markdown(export_text(result, "markdown"))
    assert md.header == ["variant", "speedup", "time"]
    assert md.rows == [["a \\| b", "25.0 %", "1.500 ms"], ["line break", "", "2.000 µs"]]
    assert md.separator == "|---|---:|---:|" and md.notes == ["one note"]
    with pytest.raises(TypeError, match="made_up"):
        export_text(result, "json")  # a table, but no result file form
    kinds.get.cache_clear()


def test_a_result_without_a_table_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="no export table for object"):
        export_text(object(), "csv")


def test_a_table_refuses_rows_that_do_not_fit_its_columns() -> None:
    with pytest.raises(ValueError, match="2 cells for 1 columns"):
        Table(title="t", columns=("a",), rows=((1, 2),))
    with pytest.raises(ValueError, match="twice"):
        Table(title="t", columns=("a",), rows=(), fixed=(("a", 1),))


def test_the_export_module_does_not_import_torch() -> None:
    """`import infertime` imports torch (the measure functions), so this imports the export
    module without the package's __init__, to see what the module itself pulls in."""
    code = (
        "import importlib.util, sys, types\n"
        "spec = importlib.util.find_spec('infertime')\n"
        "package = types.ModuleType('infertime')\n"
        "package.__path__ = list(spec.submodule_search_locations)\n"
        "sys.modules['infertime'] = package\n"
        "import infertime.reporting.export\n"
        "print('torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
