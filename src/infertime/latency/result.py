"""The result of `infertime run` and its file form: latency and device time of one configuration."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12

from .. import stats
from ..devices.base import MemoryReading
from ..energy.records import EnergyRecord, EnergySection
from ..records import ResultBase, Series, WarmupRecord
from ..repeats import AcrossProcesses, across_processes
from ..resultfile import (
    Document,
    KindFormat,
    settings_from_v1,
    stop_rule_from_v2,
    unchanged,
)
from ..sections import Analysis, LaunchAnalysis, MemoryGrowth


def ratio_ci(numerator: float, ci: tuple[float, float] | None) -> tuple[float, float] | None:
    """CI of numerator / x from a CI of x (a throughput from a time per call)."""
    if ci is None or ci[0] <= 0:
        return None
    return numerator / ci[1], numerator / ci[0]


@dataclass(frozen=True)
class ProcessRun:
    """One fresh process of a measurement repeated with `--processes`: its own raw figures."""

    figures: dict[str, Series]
    warmup: WarmupRecord
    wall_s: float  # the process's whole measurement, model build included


@dataclass(frozen=True)
class LatencyAnalysis(Analysis):
    """The probes' sections, the kernel-time pass (GPU) and the memory a call leaves behind."""

    launch: LaunchAnalysis | None = None
    memory_growth: MemoryGrowth | None = None
    energy: EnergyRecord | None = None  # --energy: one section, at the run's batch


@dataclass(frozen=True, kw_only=True)
class LatencyResult(ResultBase):
    """Latency and device time of one configuration, with warm-up, memory and environment.

    `analysis` holds the kernel-time pass (`launch`), GPU state (`gpu_state`) and wall time.
    Repeated in fresh processes (`processes` not empty), the other fields are those of the
    last process, the one that also ran the diagnosis passes, and `across(figure)` gives the
    typical figure over all of them with its intervals.
    """

    kind: ClassVar[str] = "latency"

    warmup: WarmupRecord
    figures: dict[str, Series]  # "latency", "device_time", optionally "graph_latency"
    timer_overhead_s: float
    memory: MemoryReading
    processes: tuple[ProcessRun, ...] = ()
    analysis: LatencyAnalysis = field(default_factory=LatencyAnalysis)

    def __post_init__(self) -> None:
        for i, p in enumerate(self.processes, start=1):
            missing = [
                f for f in ("latency", "device_time") if f in self.figures and f not in p.figures
            ]
            if missing:
                raise ValueError(f"process {i} of {len(self.processes)} has no {missing[0]} figure")

    def across(self, figure: str) -> AcrossProcesses | None:
        """The figure over every process (None for a single process)."""
        if not self.processes:
            return None
        series = [p.figures[figure] for p in self.processes if figure in p.figures]
        return across_processes(
            [s.summary.median for s in series],
            [s.summary.median_ci_rel for s in series],
            series[0].confidence,
        )

    def typical(self, figure: str) -> float:
        """The figure's median, or over processes the geometric mean of their medians."""
        over = self.across(figure)
        return over.typical if over is not None else self.figures[figure].summary.median

    @property
    def energy(self) -> EnergySection | None:
        """Energy per call and per item of back-to-back calls at this batch (`energy=True`);
        None when energy was not asked for."""
        record = self.analysis.energy
        return record.sections[0] if record is not None and record.sections else None

    @property
    def latency(self) -> Series:
        return self.figures["latency"]

    @property
    def device_time(self) -> Series:
        if "device_time" not in self.figures:
            raise KeyError(
                "this result has no device-time figure: on a CPU a call runs synchronously, so "
                "device time is the same quantity as latency (use .latency)"
            )
        return self.figures["device_time"]

    @property
    def throughput_figure(self) -> str:
        """What throughput is made of: pipelined device time, or latency where that is the
        same quantity (a CPU, where device time is not measured apart)."""
        return "device_time" if "device_time" in self.figures else "latency"

    @property
    def throughput_items_per_s(self) -> float:
        """Items per second in the pipelined regime: batch / median device time per call
        (over processes: batch / their typical device time); on a CPU batch / latency."""
        return self.settings.batch_size / self.typical(self.throughput_figure)

    @property
    def throughput_ci(self) -> tuple[float, float] | None:
        over = self.across(self.throughput_figure)
        ci = (
            over.typical_ci
            if over is not None
            else self.figures[self.throughput_figure].summary.median_ci
        )
        return ratio_ci(self.settings.batch_size, ci)


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
    percentiles_s: dict[str, float | None]  # of single calls; None: withheld (see below)
    percentile_ci_s: dict[str, list[float] | None]
    percentiles_withheld: dict[str, str | None]
    percentile_min_samples: dict[str, int]
    serial_inflation: float  # how much serial correlation widens the CIs (1: none)
    per_call_spread: bool  # False: std, IQR, min, max describe means of several calls


class ThroughputRecord(TypedDict):
    items_per_s: float
    ci: list[float] | None
    definition: str


class ProcessesRecord(TypedDict):
    """One figure over the fresh processes of `--processes`."""

    medians_s: list[float]
    typical_s: float
    typical_ci_s: list[float] | None
    prediction_s: list[float] | None
    between_cv: float
    within_se: float | None
    i_squared: float | None
    definition: str


class LatencyDerived(TypedDict):
    statistics: dict[str, SummaryRecord]
    throughput: ThroughputRecord
    across_processes: dict[str, ProcessesRecord]


def processes_record(a: AcrossProcesses) -> ProcessesRecord:
    return {
        "medians_s": list(a.medians),
        "typical_s": a.typical,
        "typical_ci_s": list(a.typical_ci) if a.typical_ci else None,
        "prediction_s": list(a.prediction) if a.prediction else None,
        "between_cv": a.between_cv,
        "within_se": a.within_se,
        "i_squared": a.heterogeneity,
        "definition": "geometric mean of the processes' medians; t interval of the log "
        "medians (typical) and for one new process (prediction)",
    }


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
        "percentiles_s": {t.label: t.value for t in s.tails},
        "percentile_ci_s": {t.label: list(t.ci) if t.ci else None for t in s.tails},
        "percentiles_withheld": {t.label: t.withheld for t in s.tails},
        "percentile_min_samples": {t.label: t.min_samples for t in s.tails},
        "serial_inflation": s.inflation,
        "per_call_spread": s.per_call,
    }


def _derived(r: LatencyResult) -> Document:
    derived: LatencyDerived = {
        "statistics": {k: summary_record(s.summary) for k, s in r.figures.items()},
        "throughput": {
            "items_per_s": r.throughput_items_per_s,
            "ci": list(r.throughput_ci) if r.throughput_ci else None,
            "definition": "batch_size / median device time per call (pipelined)"
            if r.throughput_figure == "device_time"
            else "batch_size / median latency per call (a CPU: the same quantity)",
        },
        "across_processes": {
            k: processes_record(a) for k in r.figures if (a := r.across(k)) is not None
        },
    }
    return dict(derived)


FORMAT = KindFormat(
    LatencyResult,
    _derived,
    LatencyDerived,
    upgrades={1: settings_from_v1, 2: stop_rule_from_v2, 3: unchanged, 4: unchanged, 5: unchanged},
)
