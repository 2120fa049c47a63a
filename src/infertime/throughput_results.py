"""The immutable result of a throughput measurement: every probe, every curve point, the choices."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from .engine.batch_search import SearchResult
from .engine.budget import BudgetChoice
from .engine.curve import CurvePoint
from .results import Diagnostic, document_header


@dataclass(frozen=True)
class CurveSettings:
    """What the curve was measured for; batch sizes vary, so shapes are per item."""

    model: str
    item_shapes: tuple[tuple[int, ...], ...]
    dtype: str
    dtype_label: str
    channels_last: bool
    device: str
    threads: int | None
    seed: int
    input_source: str
    timer: str
    measure: dict[str, Any]
    policy: dict[str, Any]
    isolate: bool

    def to_dict(self) -> dict[str, Any]:
        d = vars(self).copy()
        d["item_shapes"] = [list(s) for s in self.item_shapes]
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> CurveSettings:
        return CurveSettings(**{**d, "item_shapes": tuple(tuple(s) for s in d["item_shapes"])})


@dataclass(frozen=True)
class ThroughputResult:
    kind: ClassVar[str] = "throughput"

    settings: CurveSettings
    search: SearchResult
    points: tuple[CurvePoint, ...]
    peak_batch: int
    knee_batch: int
    budget: BudgetChoice | None
    timer_overhead_s: float
    environment: dict[str, Any]
    diagnostics: tuple[Diagnostic, ...] = ()
    analysis: dict[str, Any] = field(default_factory=dict)
    created_utc: str = ""
    infertime_version: str = ""

    @property
    def max_fit_batch(self) -> int:
        return self.search.max_fit

    def point(self, batch: int) -> CurvePoint:
        return next(p for p in self.points if p.batch == batch)

    def with_diagnostics(self, extra: tuple[Diagnostic, ...]) -> ThroughputResult:
        return replace(self, diagnostics=self.diagnostics + extra)

    def to_dict(self) -> dict[str, Any]:
        peak, knee = self.point(self.peak_batch), self.point(self.knee_batch)
        max_fit = [p for p in self.points if p.batch == self.max_fit_batch and p.ok]
        return {
            **document_header(self.kind, self.infertime_version, self.created_utc),
            "settings": self.settings.to_dict(),
            "choices": {
                "peak": {"batch": peak.batch, "items_per_s": peak.items_per_s},
                "knee": {"batch": knee.batch, "items_per_s": knee.items_per_s},
                "max_fit": {
                    "batch": self.max_fit_batch,
                    "items_per_s": max_fit[0].items_per_s if max_fit else None,
                },
                "budget": self.budget.to_dict() if self.budget else None,
                "definitions": {
                    "throughput": "batch / median device time per call (pipelined blocks)",
                    "peak": "highest throughput; within noise and 1 % the smaller batch wins",
                    "knee": f"smallest batch within {self.settings.policy['knee_fraction']:.0%} "
                    "of peak throughput",
                    "max_fit": "largest batch that runs (confirmed with a sustained run)",
                },
            },
            "search": self.search.to_dict(),
            "points": [p.to_dict() for p in self.points],
            "timer_overhead_s": self.timer_overhead_s,
            "analysis": self.analysis,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "environment": self.environment,
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> ThroughputResult:
        choices = d["choices"]
        return ThroughputResult(
            settings=CurveSettings.from_dict(d["settings"]),
            search=SearchResult.from_dict(d["search"]),
            points=tuple(CurvePoint.from_dict(p) for p in d["points"]),
            peak_batch=choices["peak"]["batch"],
            knee_batch=choices["knee"]["batch"],
            budget=BudgetChoice.from_dict(choices["budget"]) if choices.get("budget") else None,
            timer_overhead_s=d["timer_overhead_s"],
            environment=d.get("environment", {}),
            diagnostics=tuple(Diagnostic.from_dict(x) for x in d.get("diagnostics", ())),
            analysis=d.get("analysis", {}),
            created_utc=d.get("created_utc", ""),
            infertime_version=d.get("infertime_version", ""),
        )
