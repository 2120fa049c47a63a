"""The result of `infertime throughput` and its file form: every probe, every curve point, the
chosen batches. The engine's records (probes, points, budget choice) are kept as they are."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12

from ..energy.records import EnergyCurve, EnergyRecord, EnergySection
from ..engine.batch_search import SearchResult
from ..engine.budget import BudgetChoice
from ..engine.curve import CurvePoint
from ..policies import ThroughputPolicy
from ..records import ResultBase
from ..resultfile import (
    Document,
    KindFormat,
    budget_from_v2,
    settings_from_v1,
    stop_rule_from_v2,
    unchanged,
)
from ..sections import Analysis


@dataclass(frozen=True)
class ThroughputAnalysis(Analysis):
    """The probes' sections; with energy, one section per batch of the curve and the curve."""

    energy: EnergyRecord | None = None


@dataclass(frozen=True, kw_only=True)
class ThroughputResult(ResultBase):
    """Throughput against batch size: the max-fit search, the curve, peak, knee and budget.

    Its settings' workload has no batch size: the curve varies it.
    """

    kind: ClassVar[str] = "throughput"

    policy: ThroughputPolicy
    search: SearchResult
    points: tuple[CurvePoint, ...]
    peak_batch: int
    knee_batch: int
    budget: BudgetChoice | None
    timer_overhead_s: float
    analysis: ThroughputAnalysis = field(default_factory=ThroughputAnalysis)

    @property
    def max_fit_batch(self) -> int:
        return self.search.max_fit

    @property
    def energy_curve(self) -> EnergyCurve | None:
        """Energy per item against batch size and the energy-optimal batch beside the
        throughput peak (`energy=True`); None when energy was not asked for."""
        record = self.analysis.energy
        return record.curve if record is not None else None

    def energy_at(self, batch: int) -> EnergySection:
        """The energy section of one batch of the curve (KeyError without one)."""
        if self.analysis.energy is None:
            raise KeyError("this result has no energy figures: measure with energy=True")
        return self.analysis.energy.section(f"batch {batch}")

    def point(self, batch: int) -> CurvePoint:
        return next(p for p in self.points if p.batch == batch)


# -- file form ------------------------------------------------------------------------------


class Choice(TypedDict):
    batch: int | None
    items_per_s: float | None


class Choices(TypedDict):
    peak: Choice
    knee: Choice
    max_fit: Choice
    budget: Choice | None
    definitions: dict[str, str]


class PointThroughput(TypedDict):
    batch: int
    items_per_s: float | None
    items_per_s_ci: list[float] | None
    status: str  # ok, oom, dip (left out of the choices)
    steady: bool | None  # False: its warm-up never settled


class ThroughputDerived(TypedDict):
    choices: Choices
    throughput_by_batch: list[PointThroughput]


def _choice(r: ThroughputResult, batch: int | None) -> Choice:
    ok = [p for p in r.points if p.batch == batch and p.ok]
    return {"batch": batch, "items_per_s": ok[0].items_per_s if ok else None}


def _derived(r: ThroughputResult) -> Document:
    derived: ThroughputDerived = {
        "choices": {
            "peak": _choice(r, r.peak_batch),
            "knee": _choice(r, r.knee_batch),
            "max_fit": _choice(r, r.max_fit_batch),
            "budget": _choice(r, r.budget.batch) if r.budget else None,
            "definitions": {
                "throughput": "batch / median device time per call (pipelined blocks)",
                "peak": "highest throughput; within noise and 1 % the smaller batch wins",
                "knee": f"smallest batch within {r.policy.knee_fraction:.0%} of peak throughput",
                "max_fit": "largest batch that runs (confirmed with a sustained run)",
            },
        },
        "throughput_by_batch": [
            {
                "batch": p.batch,
                "items_per_s": p.items_per_s if p.measured else None,
                "items_per_s_ci": list(p.items_per_s_ci or []) if p.measured else None,
                "status": p.status,
                "steady": p.warmup_steady,
            }
            for p in r.points
        ],
    }
    return dict(derived)


def _from_v1(document: Document) -> Document:
    old = document["settings"]
    choices = document["choices"]
    points = [{**p, "memory": p.get("memory") or None} for p in document["points"]]
    return {
        **settings_from_v1(document),
        "policy": {**old["policy"], "isolate": old.get("isolate", False)},
        "points": points,
        "peak_batch": choices["peak"]["batch"],
        "knee_batch": choices["knee"]["batch"],
        "budget": choices.get("budget"),
    }


def _from_v2(document: Document) -> Document:
    return {**stop_rule_from_v2(document), "budget": budget_from_v2(document.get("budget"))}


FORMAT = KindFormat(
    ThroughputResult,
    _derived,
    ThroughputDerived,
    upgrades={1: _from_v1, 2: _from_v2, 3: unchanged, 4: unchanged, 5: unchanged},
)
