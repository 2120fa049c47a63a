"""Immutable results that keep raw samples; every statistic is derived; versioned dict form.

SCHEMA_HISTORY records each change of the on-disk form; readers refuse newer major versions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, ClassVar

from . import stats

SCHEMA_NAME = "infertime.result"
SCHEMA_VERSION = 1
SCHEMA_HISTORY = {
    1: "latency, throughput and pitfalls results; raw samples in seconds per call",
}

FIGURE_LABELS = {
    "latency": "latency (synchronous request, per call)",
    "device_time": "device time per call (pipelined)",
    "graph_latency": "CUDA-graph replay latency (per call)",
}


@dataclass(frozen=True)
class StopRecord:
    """Why sampling of one figure stopped."""

    reason: str  # "precision" | "max_time" | "max_samples"
    message: str
    target_rel: float
    achieved_rel: float | None
    elapsed_s: float

    @property
    def met_target(self) -> bool:
        return self.achieved_rel is not None and self.achieved_rel <= self.target_rel

    def to_dict(self) -> dict[str, Any]:
        return vars(self).copy()

    @staticmethod
    def from_dict(d: dict[str, Any]) -> StopRecord:
        return StopRecord(**d)


@dataclass(frozen=True)
class Series:
    """Raw per-call durations of one figure, one per sample; a sample may cover a block of calls."""

    figure: str
    samples_s: tuple[float, ...]
    calls_per_sample: int
    sample_end_offsets_s: tuple[
        float, ...
    ] = ()  # host time at each sample's end, from series start
    stop: StopRecord | None = None
    start_ns: int = 0  # device.now_ns() at the series start (CLOCK_MONOTONIC on Linux hosts)
    confidence: float = 0.95

    @cached_property
    def summary(self) -> stats.Summary:
        return stats.summarize(self.samples_s, self.confidence)

    @property
    def label(self) -> str:
        return FIGURE_LABELS.get(self.figure, self.figure)

    def to_dict(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "calls_per_sample": self.calls_per_sample,
            "confidence": self.confidence,
            "stop": self.stop.to_dict() if self.stop else None,
            "samples_s": list(self.samples_s),
            "sample_end_offsets_s": list(self.sample_end_offsets_s),
            "start_ns": self.start_ns,
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Series:
        return Series(
            figure=d["figure"],
            samples_s=tuple(float(x) for x in d["samples_s"]),
            calls_per_sample=int(d["calls_per_sample"]),
            sample_end_offsets_s=tuple(float(x) for x in d.get("sample_end_offsets_s", ())),
            stop=StopRecord.from_dict(d["stop"]) if d.get("stop") else None,
            confidence=float(d.get("confidence", 0.95)),
            start_ns=int(d.get("start_ns", 0)),
        )


@dataclass(frozen=True)
class WarmupRecord:
    """How warm-up went: its length is measured, not assumed."""

    calls: int
    seconds: float
    steady: bool
    message: str
    cold_call_s: float  # the first call in this process on these inputs (latency)
    samples_s: tuple[float, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = vars(self).copy()
        d["samples_s"] = list(self.samples_s)
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> WarmupRecord:
        return WarmupRecord(**{**d, "samples_s": tuple(d.get("samples_s", ()))})


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a measurement: what, how serious, and what would help."""

    code: str
    severity: str  # "info" | "warning"
    message: str
    advice: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return vars(self).copy()

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Diagnostic:
        return Diagnostic(**d)


@dataclass(frozen=True)
class Settings:
    """What was measured, resolved: model, inputs, numeric format, device, how."""

    model: str
    batch_size: int
    input_shapes: tuple[tuple[int, ...], ...]  # full shapes, batch dimension first
    dtype: str
    dtype_label: str
    channels_last: bool
    device: str
    threads: int | None
    seed: int
    input_source: str
    timer: str
    measure: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        d = vars(self).copy()
        d["input_shapes"] = [list(s) for s in self.input_shapes]
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Settings:
        return Settings(**{**d, "input_shapes": tuple(tuple(s) for s in d["input_shapes"])})


def document_header(kind: str, version: str, created_utc: str) -> dict[str, Any]:
    """The fields every result file starts with."""
    return {
        "schema": SCHEMA_NAME,
        "schema_version": SCHEMA_VERSION,
        "kind": kind,
        "infertime_version": version,
        "created_utc": created_utc,
    }


def _ratio_ci(numerator: float, ci: tuple[float, float] | None) -> tuple[float, float] | None:
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
    memory: dict[str, Any]
    environment: dict[str, Any]
    diagnostics: tuple[Diagnostic, ...] = ()
    analysis: dict[str, Any] = field(default_factory=dict)  # kernel time, GPU state (diagnosis)
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
        return _ratio_ci(self.settings.batch_size, self.device_time.summary.median_ci)

    def with_diagnostics(self, extra: tuple[Diagnostic, ...]) -> LatencyResult:
        from dataclasses import replace

        return replace(self, diagnostics=self.diagnostics + extra)

    def to_dict(self) -> dict[str, Any]:
        return {
            **document_header(self.kind, self.infertime_version, self.created_utc),
            "settings": self.settings.to_dict(),
            "warmup": self.warmup.to_dict(),
            "timer_overhead_s": self.timer_overhead_s,
            "statistics": {k: summary_to_dict(s.summary) for k, s in self.figures.items()},
            "throughput": {
                "items_per_s": self.throughput_items_per_s,
                "ci": list(self.throughput_ci) if self.throughput_ci else None,
                "definition": "batch_size / median device time per call (pipelined)",
            },
            "figures": {k: s.to_dict() for k, s in self.figures.items()},
            "memory": self.memory,
            "analysis": self.analysis,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "environment": self.environment,
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> LatencyResult:
        return LatencyResult(
            settings=Settings.from_dict(d["settings"]),
            warmup=WarmupRecord.from_dict(d["warmup"]),
            figures={k: Series.from_dict(v) for k, v in d["figures"].items()},
            timer_overhead_s=float(d["timer_overhead_s"]),
            memory=d.get("memory", {}),
            environment=d.get("environment", {}),
            diagnostics=tuple(Diagnostic.from_dict(x) for x in d.get("diagnostics", ())),
            analysis=d.get("analysis", {}),
            created_utc=d.get("created_utc", ""),
            infertime_version=d.get("infertime_version", ""),
        )


def summary_to_dict(s: stats.Summary) -> dict[str, Any]:
    """Derived statistics, written for readers of the JSON; recomputed from samples on load."""
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
