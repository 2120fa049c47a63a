"""A sweep as rows and groups: each point's figures over its rounds, the Pareto front of latency
against throughput and the choices (peak, knee, SLO) per group (GPU or CPU model, and model).

Rounds of a point are combined as: median of their medians (two rounds: their mean) and, as its
interval, the span from the lowest CI end to the highest (wider when rounds disagree, as it
should be), with the rounds' agreement stated beside it.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from ..errors import InfertimeError
from .figures import Candidate, PointFigures, read_figures
from .identity import PlannedPoint
from .rounds import Agreement, agreement

KNEE_FRACTION = 0.95


@dataclass(frozen=True)
class Slo:
    """A latency limit for the SLO choice: `stat` (median or p99 per call) within `limit_s`."""

    limit_s: float
    stat: str = "p99"


@dataclass
class Row:
    index: int  # 1-based, in grid order
    point: PlannedPoint
    status: str  # "ok", "failed", "pending" (no run yet), "partial" (some rounds failed)
    reason: str | None
    device_model: str
    figures: PointFigures | None
    rounds_done: int
    agreement: Agreement | None
    overhead_s: float | None
    wall_s: float | None
    to_first_sample_s: float | None
    files: list[str]
    marks: list[str] = field(default_factory=list)

    @property
    def model(self) -> str:
        return str(self.point.config["workload"]["model"])

    @property
    def group(self) -> str:
        return f"{self.device_model} · {self.model}"


@dataclass(frozen=True)
class Choice:
    name: str  # "peak", "knee", "slo"
    row: int
    batch: int
    items_per_s: float
    latency_s: float | None
    definition: str


@dataclass
class Group:
    name: str
    rows: list[Row]
    pareto: list[tuple[int, Candidate]]  # (row index, candidate), by latency
    choices: list[Choice]
    notes: list[str]


def _combine(figs: list[PointFigures]) -> PointFigures:
    if len(figs) == 1:
        return figs[0]

    def mid(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return statistics.median(known) if len(known) == len(values) and known else None

    def span(cis: list[tuple[float, float] | None]) -> tuple[float, float] | None:
        if any(c is None for c in cis):
            return None
        return min(c[0] for c in cis if c), max(c[1] for c in cis if c)

    first = figs[0]
    return PointFigures(
        first.headline,
        mid([f.median for f in figs]),
        span([f.ci for f in figs]),
        first.batch,
        mid([f.latency_s for f in figs]),
        span([f.latency_ci_s for f in figs]),
        mid([f.items_per_s for f in figs]),
        span([f.items_per_s_ci for f in figs]),
        _combined_candidates(figs),
        sum(f.warnings for f in figs),
    )


def _combined_candidates(figs: list[PointFigures]) -> tuple[Candidate, ...]:
    """Per batch, the median over rounds of latency, p99 and throughput."""
    by_batch: dict[int, list[Candidate]] = {}
    for f in figs:
        for c in f.candidates:
            by_batch.setdefault(c.batch, []).append(c)

    def mid(values: list[float | None]) -> float | None:
        known = [v for v in values if v is not None]
        return statistics.median(known) if known else None

    return tuple(
        Candidate(
            b,
            mid([c.latency_s for c in cs]),
            mid([c.latency_p99_s for c in cs]),
            mid([c.items_per_s for c in cs]),
        )
        for b, cs in sorted(by_batch.items())
        if len(cs) == len(figs)
    )


def build_rows(
    points: list[PlannedPoint],
    rounds: int,
    runs: dict[tuple[str, int], dict[str, Any]],
    documents: dict[tuple[str, int], dict[str, Any]],
) -> list[Row]:
    rows = []
    for index, point in enumerate(points, start=1):
        figs: list[PointFigures] = []
        reasons: list[str] = []
        files: list[str] = []
        models: list[str] = []
        overheads: list[float] = []
        walls: list[float] = []
        firsts: list[float] = []
        for r in range(1, rounds + 1):
            record = runs.get((point.key, r), {})
            document = documents.get((point.key, r))
            if record.get("file"):
                files.append(str(record["file"]))
            placement = record.get("placement") or {}
            if placement.get("device_model") not in (None, "?"):
                models.append(str(placement["device_model"]))
            timing = record.get("timing") or {}
            for values, name in (
                (overheads, "overhead_s"),
                (walls, "wall_s"),
                (firsts, "to_first_sample_s"),
            ):
                if isinstance(timing.get(name), (int, float)):
                    values.append(float(timing[name]))
            if record.get("status") == "failed":
                reasons.append(str(record.get("reason") or "error"))
            elif record.get("status") == "ok" and document is not None:
                try:
                    figs.append(read_figures(document))
                except InfertimeError:
                    reasons.append("unreadable")
                if not models:
                    models.append(_device_model(document))
        combined = _combine(figs) if figs else None
        if not figs and not reasons:
            status = "pending"
        elif not figs:
            status = "failed"
        elif reasons or len(figs) < rounds:
            status = "partial"
        else:
            status = "ok"
        agree = None
        medians = [f.median for f in figs if f.median is not None]
        if len(figs) >= 2 and len(medians) == len(figs):
            agree = agreement(figs[0].headline, medians, [f.ci for f in figs])
        rows.append(
            Row(
                index,
                point,
                status,
                ", ".join(sorted(set(reasons))) or None,
                models[0] if models else "?",
                combined,
                len(figs),
                agree,
                _mean(overheads),
                _mean(walls),
                _mean(firsts),
                files,
            )
        )
    return rows


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _device_model(document: dict[str, Any]) -> str:
    env = document.get("environment") or {}
    device = env.get("device") or {}
    if device.get("name") == "cpu" or str(device.get("name", "")).startswith("cpu"):
        return str((env.get("host") or {}).get("cpu_model") or "cpu")
    return str(device.get("name") or "?")


def pareto_front(candidates: list[tuple[int, Candidate]]) -> list[tuple[int, Candidate]]:
    """Candidates no other beats on both latency (lower) and throughput (higher)."""
    known = [(i, c) for i, c in candidates if c.latency_s is not None and c.items_per_s]
    front = []
    for i, c in known:
        assert c.latency_s is not None and c.items_per_s is not None
        dominated = any(
            d.latency_s is not None
            and d.items_per_s is not None
            and d.latency_s <= c.latency_s
            and d.items_per_s >= c.items_per_s
            and (d.latency_s < c.latency_s or d.items_per_s > c.items_per_s)
            for _, d in known
        )
        if not dominated:
            front.append((i, c))
    return sorted(front, key=lambda ic: ic[1].latency_s or 0.0)


def choose(
    candidates: list[tuple[int, Candidate]], slo: Slo | None, knee: float = KNEE_FRACTION
) -> tuple[list[Choice], list[str]]:
    """Peak, knee and (with an SLO) the highest throughput within it."""
    usable = [(i, c) for i, c in candidates if c.items_per_s]
    notes: list[str] = []
    if not usable:
        return [], notes
    choices = []
    i, peak = max(usable, key=lambda ic: (ic[1].items_per_s or 0.0, -ic[1].batch))
    assert peak.items_per_s is not None
    choices.append(
        Choice("peak", i, peak.batch, peak.items_per_s, peak.latency_s, "highest throughput")
    )
    near = [(j, c) for j, c in usable if (c.items_per_s or 0) >= knee * peak.items_per_s]
    j, k = min(near, key=lambda ic: (ic[1].batch, -(ic[1].items_per_s or 0.0)))
    choices.append(
        Choice(
            "knee",
            j,
            k.batch,
            k.items_per_s or 0.0,
            k.latency_s,
            f"smallest batch within {knee:.0%} of peak throughput",
        )
    )
    if slo is not None:

        def stat(c: Candidate) -> float | None:
            return c.latency_p99_s if slo.stat == "p99" else c.latency_s

        lacking = sum(1 for _, c in usable if stat(c) is None)
        if lacking:
            notes.append(
                f"{lacking} configuration(s) lack a {slo.stat} (too few samples): "
                "not considered for the SLO"
            )
        within = [(j, c) for j, c in usable if (s := stat(c)) is not None and s <= slo.limit_s]
        if within:
            j, c = max(within, key=lambda ic: (ic[1].items_per_s or 0.0, -ic[1].batch))
            choices.append(
                Choice(
                    "slo",
                    j,
                    c.batch,
                    c.items_per_s or 0.0,
                    c.latency_s,
                    f"highest throughput with {slo.stat} latency per call ≤ "
                    f"{slo.limit_s * 1e3:g} ms",
                )
            )
        else:
            notes.append(f"no configuration meets {slo.stat} ≤ {slo.limit_s * 1e3:g} ms")
    return choices, notes


def build_groups(rows: list[Row], slo: Slo | None = None) -> list[Group]:
    """Groups by device model and model; the rows' marks set (pareto, peak, knee, slo)."""
    names: dict[str, list[Row]] = {}
    for row in rows:
        names.setdefault(row.group, []).append(row)
    groups = []
    for name, members in names.items():
        candidates = [
            (row.index, c)
            for row in members
            if row.figures is not None
            for c in row.figures.candidates
        ]
        front = pareto_front(candidates)
        choices, notes = choose(candidates, slo)
        by_index = {row.index: row for row in members}
        for i in sorted({i for i, _ in front}):
            by_index[i].marks.append("pareto")
        for choice in choices:
            by_index[choice.row].marks.append(choice.name)
        groups.append(Group(name, members, front, choices, notes))
    return groups
