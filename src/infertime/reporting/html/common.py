"""What every kind's section shares: words for a configuration, and the closing sections
(environment, method, findings) with each value's place in the result file."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...records import Diagnostic, Settings
from ...serialization import dump
from ..describe import backend_words, input_words
from . import cells
from .cells import Cell
from .document import Panel, Section, Table
from .sources import pointer

LIST_LIMIT = 12  # longer lists of numbers (raw samples) are not method or environment facts


def configuration(s: Settings, batch: bool = True) -> str:
    """'tiny_cnn · batch 2 · fp32 · NCHW · cpu, 1 thread'."""
    words = [s.model]
    if batch and s.workload.batch_size is not None:
        words.append(f"batch {s.workload.batch_size}")
    words += [s.dtype_label, *_input_words(s)]
    device = s.device
    if s.device == "cpu":
        device += f", {s.threads} thread" + ("s" if s.threads != 1 else "")
    return " · ".join([*words, device])


def _input_words(s: Settings) -> list[str]:
    if s.workload.batch_size is not None:
        return input_words(s)
    # A throughput result varies the batch: its items' shapes tell the layout (images: 3-d).
    words = backend_words(s)
    if any(len(shape) == 3 for shape in s.inputs.item_shapes):
        words.append("channels-last" if s.channels_last else "NCHW")
    return words


def scalar_cell(value: Any, source: str) -> Cell:
    """A JSON value as a cell: numbers carry their value, the rest is shown as JSON shows it."""
    if isinstance(value, bool):
        return cells.text("true" if value else "false", source)
    if isinstance(value, int):
        return cells.count(value, source)
    if isinstance(value, float):
        return cells.number(value, source, ".6g")
    if value is None:
        return cells.text("—", source)
    if isinstance(value, list):
        return cells.text(", ".join(scalar_text(v) for v in value), source)
    return cells.text(str(value), source)


def scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "—"
    if isinstance(value, float):
        return format(value, ".6g")
    return str(value)


def flatten(data: Any, path: tuple[str | int, ...]) -> list[tuple[str, Any, str]]:
    """(dotted key, value, JSON Pointer) of each leaf; short lists of scalars stay one leaf."""
    if isinstance(data, dict):
        out: list[tuple[str, Any, str]] = []
        for k, v in data.items():
            out.extend(flatten(v, (*path, str(k))))
        return out
    if isinstance(data, list) and (
        len(data) > LIST_LIMIT or any(isinstance(v, (dict, list)) for v in data)
    ):
        out = []
        for i, v in enumerate(data[:LIST_LIMIT]):
            out.extend(flatten(v, (*path, i)))
        return out
    key = ".".join(str(p) for p in path[1:]) or str(path[0])
    return [(key, data, pointer(*path))]


def facts_table(
    leaves: Sequence[tuple[str, Any, str]], caption: str, result: int, same: str = ""
) -> Table:
    rows = tuple((cells.text(k), scalar_cell(v, src)) for k, v, src in leaves)
    return Table(
        ("key", "value"), rows, caption + same, row_results=(result,) * len(rows), facts=True
    )


def _differences(
    first: list[tuple[str, Any, str]], other: list[tuple[str, Any, str]]
) -> list[tuple[str, Any, str]]:
    known = {k: v for k, v, _ in first}
    return [leaf for leaf in other if leaf[0] not in known or known[leaf[0]] != leaf[1]]


def closing_facts(
    title: str,
    anchor: str,
    parts: Sequence[tuple[str, list[tuple[str, Any, str]]]],
    notes: Sequence[str] = (),
) -> Section:
    """One table per result: the first in full, later ones only where they differ from it."""
    tables = []
    base: list[tuple[str, Any, str]] | None = None
    for i, (label, leaves) in enumerate(parts):
        if base is None:
            base = leaves
            tables.append(facts_table(leaves, label, i))
            continue
        diff = _differences(base, leaves)
        tables.append(facts_table(diff, label, i, " — where it differs from the first"))
    return Section(title, anchor, panels=(Panel(tables=tuple(tables), notes=tuple(notes)),))


def environment_leaves(result: Any) -> list[tuple[str, Any, str]]:
    return flatten(result.environment, ("environment",))


def method_leaves(result: Any) -> list[tuple[str, Any, str]]:
    """The settings (workload, context, inputs, timer, method) and the kind's own policy."""
    leaves = flatten(dump(result.settings), ("settings",))
    policy = getattr(result, "policy", None)
    if policy is not None:
        leaves += flatten(dump(policy), ("policy",))
    return leaves


def findings_table(diagnostics: Sequence[Diagnostic], caption: str, result: int) -> Table:
    """Every finding with its advice, warnings first (their order in the result otherwise)."""
    order = sorted(range(len(diagnostics)), key=lambda i: diagnostics[i].severity != "warning")
    rows = []
    for i in order:
        d = diagnostics[i]
        rows.append(
            (
                cells.text(d.severity, pointer("diagnostics", i, "severity")),
                cells.text(d.code, pointer("diagnostics", i, "code")),
                cells.text(d.message, pointer("diagnostics", i, "message")),
                cells.text(d.advice or "—", pointer("diagnostics", i, "advice")),
            )
        )
    classes = tuple(diagnostics[i].severity for i in order)
    return Table(
        ("severity", "code", "finding", "advice"),
        tuple(rows),
        caption,
        row_results=(result,) * len(rows),
        row_classes=classes,
    )
