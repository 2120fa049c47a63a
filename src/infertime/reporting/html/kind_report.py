"""How a result kind shows in an HTML report: the part of its registry entry (kinds/base.py
`Kind.report_path`) that the report reads, and the points a kind puts in the overview."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .document import Panel, Table
from .figures import Figure


@dataclass(frozen=True)
class Config:
    """One configuration with a latency and a throughput (a latency result, a point of a
    throughput curve), where each value sits in its result's file, for the overview's Pareto
    front and its small multiples."""

    result: int  # the result's index in the report
    label: str
    model: str
    variant: str  # everything but the model and the batch
    batch: int
    batch_source: str
    latency_s: float
    latency_source: str
    items_per_s: float
    items_per_s_source: str


@dataclass(frozen=True)
class KindReport:
    """One kind's part of a report.

    `heading`: the section of results of this kind; `title(r)` and `lead(r)`: a result's
    heading and its first lines; `panels(r, compact)`: its panels (compact: a report of many
    results, tables kept, figures dropped); `summary(indexed)`: for the overview, one sortable
    table over every (index, result) of this kind, or None; `configs(r, i)`: the
    configurations it contributes to the overview's latency-against-throughput plots."""

    heading: str
    title: Callable[[Any], str]
    lead: Callable[[Any], tuple[str, ...]]
    panels: Callable[[Any, bool], tuple[Panel, ...]]
    summary: Callable[[Sequence[tuple[int, Any]]], Table | None] | None = None
    configs: Callable[[Any, int], list[Config]] | None = None


def figures_of(panels: Sequence[Panel]) -> tuple[Figure, ...]:
    """The figures of a kind's panels in order: what its registry's `figures(result)` gives."""
    return tuple(panel.figure for panel in panels if panel.figure is not None)
