"""Results to one self-contained HTML report: `render_report` gives its text, `write_report`
writes it atomically, `load_results` reads result files and folders for it.

What a result of each kind shows comes from the kind registry (kinds/__init__.py): its
`report` (reporting/html/kind_report.py: headings, panels, its overview table and points),
whose panels hold the figures its `figures(result)` gives. A kind without one gets a section
that says so; adding a kind's report is a `report_path` in its `kind.py`."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ... import kinds
from ..._version import __version__
from ...errors import ConfigError, ResultFileError
from ...records import utc_now
from ...resultfile import SCHEMA_NAME, load_result
from ...writing import check_writable, write_text_atomic
from . import common, overview
from .document import Panel, Section, render_document
from .figures import Figure
from .kind_report import KindReport

# Above this many results, each result's own section keeps its tables and main panels but no
# figures, so that a sweep of 50 points stays within 1 MB and renders in seconds; the
# overview draws the results together (combined table, Pareto front, one panel per model).
COMPACT_ABOVE = 6
COMPACT_NOTE = (
    f"figures of each result are drawn when a report holds at most {COMPACT_ABOVE} results; "
    "the overview draws these together"
)


def report_of(kind: str) -> KindReport | None:
    """The registry's report part of a kind; None for a kind not registered or without one."""
    if kind not in kinds.REGISTRY:
        return None
    return kinds.get(kind).report


def default_stamp() -> str:
    return f"written {utc_now()}"


def _result_section(r: Any, i: int, name: str, compact: bool) -> Section:
    kind = report_of(r.kind)
    where = [
        f"result #{i + 1}"
        + (f", file {name}" if name else "")
        + f", measured {r.created_utc} with infertime {r.infertime_version}"
    ]
    if kind is None:
        return Section(
            f"#{i + 1} {r.kind}",
            f"r{i + 1}",
            (*where, f"no figures for results of kind {r.kind!r} yet"),
            result=i,
        )
    panels = kind.panels(r, compact)
    if compact:
        panels = tuple(replace(panel, figure=None) for panel in panels if panel.tables)
        where.append(COMPACT_NOTE)
    return Section(
        f"#{i + 1} {kind.title(r)}", f"r{i + 1}", (*where, *kind.lead(r)), panels, result=i
    )


def _kind_order(results: Sequence[Any]) -> list[str]:
    seen = list(dict.fromkeys(r.kind for r in results))
    known = [k for k in kinds.REGISTRY if k in seen and report_of(k) is not None]
    return known + sorted(k for k in seen if k not in known)


def _closing(results: Sequence[Any], labels: Sequence[str]) -> list[Section]:
    environment = common.closing_facts(
        "Environment",
        "environment",
        [(labels[i], common.environment_leaves(r)) for i, r in enumerate(results)],
    )
    method = common.closing_facts(
        "Method",
        "method",
        [(labels[i], common.method_leaves(r)) for i, r in enumerate(results)],
        notes=(
            "latency: timer around each call, then synchronize (what one caller waits); "
            "device time: back-to-back calls, one synchronize per block (what throughput is "
            "made of); kernel time: the GPU kernels' own durations (CUPTI)",
            "every statistic is computed from all raw samples; plots of long series draw "
            "the lowest and highest sample of each run of samples, so spikes stay visible",
            f"report made by infertime {__version__}",
        ),
    )
    tables = [
        common.findings_table(r.diagnostics, labels[i], i)
        for i, r in enumerate(results)
        if r.diagnostics
    ]
    notes = () if tables else ("no findings",)
    findings = Section(
        "Findings",
        "findings",
        ("every finding with its advice",),
        (Panel(tables=tuple(tables), notes=notes),),
    )
    return [environment, method, findings]


def report_sections(results: Sequence[Any], names: Sequence[str] = ()) -> list[Section]:
    """The report's sections: an overview of many results, one section per kind with one
    per result, then the environment, the method and every finding."""
    if not results:
        raise ConfigError("no results to report")
    names = list(names) + [""] * (len(results) - len(names))
    compact = len(results) > COMPACT_ABOVE
    labels = [f"#{i + 1} {names[i] or r.kind}" for i, r in enumerate(results)]
    sections: list[Section] = []
    if len(results) > 1:
        together = overview.panels(results, report_of)
        if together:
            sections.append(
                Section(f"Overview of {len(results)} results", "overview", panels=together)
            )
    for kind in _kind_order(results):
        members = [i for i, r in enumerate(results) if r.kind == kind]
        found = report_of(kind)
        heading = found.heading if found is not None else kind
        sections.append(
            Section(
                heading,
                f"kind-{kind}",
                children=tuple(_result_section(results[i], i, names[i], compact) for i in members),
            )
        )
    return sections + _closing(results, labels)


def render_report(
    results: Sequence[Any],
    title: str = "infertime report",
    *,
    names: Sequence[str] = (),
    notices: Sequence[str] = (),
    stamp: str | None = None,
    render_figure: Callable[[Figure, str], str] | None = None,
) -> str:
    """The report's HTML. `names`: where each result came from (file names); `notices`:
    lines shown first (files skipped); `stamp`: the one line that changes between runs."""
    if render_figure is None:
        from .svg import matplotlib, render_svg

        matplotlib()  # a missing extra fails before any work
        render_figure = render_svg
    sections = report_sections(results, names)
    return render_document(title, sections, stamp or default_stamp(), render_figure, notices)


def write_report(
    path: str | os.PathLike[str],
    results: Sequence[Any],
    title: str = "infertime report",
    *,
    names: Sequence[str] = (),
    notices: Sequence[str] = (),
    stamp: str | None = None,
) -> Path:
    """Render and write the report whole or not at all (a missing folder or a full disk: one
    ResultFileError, no file)."""
    check_writable(path, "the report")
    text = render_report(results, title, names=names, notices=notices, stamp=stamp)
    return write_text_atomic(text, path, "the report")


def expand(paths: Sequence[str | os.PathLike[str]]) -> list[tuple[Path, bool]]:
    """(file, whether it was found in a folder): files as given, folders as the .json files
    below them, in name order."""
    out: list[tuple[Path, bool]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend((q, True) for q in sorted(path.rglob("*.json")) if q.is_file())
        else:
            out.append((path, False))
    return out


def other_schema(path: Path) -> str | None:
    """The schema of an infertime file that is not a result (a sweep's own bookkeeping, which
    a sweep's folder keeps beside its results), or None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    schema = data.get("schema") if isinstance(data, dict) else None
    if isinstance(schema, str) and schema.startswith("infertime.") and schema != SCHEMA_NAME:
        return schema
    return None


def failed_point(path: Path) -> str | None:
    """One line for a sweep's failed point (kind "failed-point", written by infertime.sweep,
    which sits above this layer): what was run and why it failed; None for any other file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("kind") != "failed-point":
        return None
    sweep = (data.get("analysis") or {}).get("sweep") or {}
    label = sweep.get("label") or path.name
    return f"failed sweep point {label}: {data.get('reason')}: {data.get('message')}"


def load_results(
    paths: Sequence[str | os.PathLike[str]], skip_bad: bool = False
) -> tuple[list[Any], list[str], list[str]]:
    """(results, their file names, one line per file skipped). A file that is not a result
    is a ConfigError (exit 2) naming it, unless `skip_bad`. In a folder, infertime's own
    files of another schema (a sweep's manifest) are passed over: they are not results, and a
    sweep's failed points are named among the skipped lines (shown atop the report)."""
    results: list[Any] = []
    names: list[str] = []
    skipped: list[str] = []
    for path, in_folder in expand(paths):
        try:
            results.append(load_result(path))
        except ResultFileError as exc:
            if in_folder and other_schema(path) is not None:
                continue
            failed = failed_point(path) if in_folder else None
            if failed is not None:  # a sweep's failed point: a result, shown atop the report
                skipped.append(failed)
                continue
            # load_result's messages name the file: "x.json is not valid JSON (line 1): ..."
            if not skip_bad:
                raise ConfigError(
                    exc.one_line(), advice="leave it out, or pass --skip-bad to report the rest"
                ) from None
            line = f"skipped: {exc.one_line()}"
            skipped.append(line)
            continue
        names.append(str(path))
    if not results:
        raise ConfigError(
            "no results to report" + (f" ({len(skipped)} files skipped)" if skipped else "")
        )
    return results, names, skipped
