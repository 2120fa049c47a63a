"""The result of `infertime run` and its file form: latency and device time of one configuration."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12

from .. import stats
from ..devices.base import MemoryReading
from ..records import Diagnostic, Series, Settings, WarmupRecord
from ..resultfile import Document, KindFormat, settings_from_v1


def ratio_ci(numerator: float, ci: tuple[float, float] | None) -> tuple[float, float] | None:
    """CI of numerator / x from a CI of x (a throughput from a time per call)."""
    if ci is None or ci[0] <= 0:
        return None
    return numerator / ci[1], numerator / ci[0]


@dataclass(frozen=True)
class LatencyResult:
    """Latency and device time of one configuration, with warm-up, memory and environment."""

    kind: ClassVar[str] = "latency"

    settings: Settings
    warmup: WarmupRecord
    figures: dict[str, Series]  # "latency", "device_time", optionally "graph_latency"
    timer_overhead_s: float
    memory: MemoryReading
    environment: dict[str, Any]
    diagnostics: tuple[Diagnostic, ...] = ()
    analysis: dict[str, Any] = field(default_factory=dict)  # kernel time, GPU state, wall time
    created_utc: str = ""
    infertime_version: str = ""

    @property
    def latency(self) -> Series:
        return self.figures["latency"]

    @property
    def device_time(self) -> Series:
        return self.figures["device_time"]

    @property
    def throughput_items_per_s(self) -> float:
        """Items per second in the pipelined regime: batch / median device time per call."""
        return self.settings.batch_size / self.device_time.summary.median

    @property
    def throughput_ci(self) -> tuple[float, float] | None:
        return ratio_ci(self.settings.batch_size, self.device_time.summary.median_ci)

    def with_diagnostics(self, extra: tuple[Diagnostic, ...]) -> LatencyResult:
        return replace(self, diagnostics=self.diagnostics + extra)


# -- file form ------------------------------------------------------------------------------


class SummaryRecord(TypedDict):
    """Statistics of one figure, derived from its raw samples (seconds per call)."""

    n: int
    mean_s: float
    std_s: float
    median_s: float
    median_ci_s: list[float] | None
    median_ci_rel: float | None
    confidence: float
    q1_s: float
    q3_s: float
    iqr_s: float
    min_s: float
    max_s: float
    cv: float | None
    mad_s: float
    percentiles_s: dict[str, float | None]
    percentile_min_samples: dict[str, int]


class ThroughputRecord(TypedDict):
    items_per_s: float
    ci: list[float] | None
    definition: str


class LatencyDerived(TypedDict):
    statistics: dict[str, SummaryRecord]
    throughput: ThroughputRecord


def summary_record(s: stats.Summary) -> SummaryRecord:
    """Derived statistics, written for readers of the file; recomputed from samples on load."""
    return {
        "n": s.n,
        "mean_s": s.mean,
        "std_s": s.std,
        "median_s": s.median,
        "median_ci_s": list(s.median_ci) if s.median_ci else None,
        "median_ci_rel": s.median_ci_rel,
        "confidence": s.confidence,
        "q1_s": s.q1,
        "q3_s": s.q3,
        "iqr_s": s.iqr,
        "min_s": s.min,
        "max_s": s.max,
        "cv": s.cv if math.isfinite(s.cv) else None,
        "mad_s": s.mad,
        "percentiles_s": {f"p{round(q * 100):d}": v for q, v in s.percentiles.items()},
        "percentile_min_samples": {
            f"p{round(q * 100):d}": stats.min_samples_for_percentile(q) for q in s.percentiles
        },
    }


def _derived(r: LatencyResult) -> Document:
    derived: LatencyDerived = {
        "statistics": {k: summary_record(s.summary) for k, s in r.figures.items()},
        "throughput": {
            "items_per_s": r.throughput_items_per_s,
            "ci": list(r.throughput_ci) if r.throughput_ci else None,
            "definition": "batch_size / median device time per call (pipelined)",
        },
    }
    return dict(derived)


def _from_v1(document: Document) -> Document:
    return {**document, "settings": settings_from_v1(document)}


FORMAT = KindFormat(
    kind=LatencyResult.kind,
    result_type=LatencyResult,
    derived=_derived,
    upgrades={1: _from_v1},
    derived_type=LatencyDerived,
)
