"""The result of `infertime pitfalls`: one row per method, raw samples kept, errors derived."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from .. import stats
from ..results import Diagnostic, Settings, document_header

LABELS = {
    "correct": "correct: warm-up, device timer, synchronize",
    "copy_pageable": "host→device copy in the timed region (pageable memory)",
    "copy_pinned": "host→device copy in the timed region (pinned memory)",
    "no_sync": "CPU timer without synchronize",
    "no_warmup": "no warm-up: first calls of a fresh process",
    "single_sample": "a single sample",
}

SHORT_LABELS = {
    "correct": "correct",
    "copy_pageable": "copy in timer\n(pageable)",
    "copy_pinned": "copy in timer\n(pinned)",
    "no_sync": "CPU timer,\nno synchronize",
    "no_warmup": "no warm-up\n(fresh process)",
    "single_sample": "single sample",
}


@dataclass(frozen=True)
class PitfallRow:
    code: str
    samples_s: tuple[float, ...]  # empty when the mistake does not apply here
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return LABELS.get(self.code, self.code)

    @property
    def applies(self) -> bool:
        return bool(self.samples_s)

    @property
    def summary(self) -> stats.Summary:
        return stats.summarize(self.samples_s)

    def to_dict(self) -> dict[str, Any]:
        d = vars(self).copy()
        d["samples_s"] = list(self.samples_s)
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> PitfallRow:
        return PitfallRow(**{**d, "samples_s": tuple(d["samples_s"])})


@dataclass(frozen=True)
class PitfallsResult:
    kind: ClassVar[str] = "pitfalls"

    settings: Settings
    rows: tuple[PitfallRow, ...]
    environment: dict[str, Any]
    diagnostics: tuple[Diagnostic, ...] = ()
    created_utc: str = ""
    infertime_version: str = ""

    def row(self, code: str) -> PitfallRow:
        return next(r for r in self.rows if r.code == code)

    @property
    def reference_s(self) -> float:
        """The correct method's median: what every mistake is compared with."""
        return self.row("correct").summary.median

    def error(self, code: str, statistic: str = "mean") -> float | None:
        r = self.row(code)
        if not r.applies:
            return None
        value = r.summary.mean if statistic == "mean" else r.summary.median
        return value / self.reference_s - 1

    def single_sample_errors(self) -> dict[str, float]:
        """How far one sample falls from the median: typical (median) and 95th-percentile error."""
        ref = self.reference_s
        errs = sorted(abs(x / ref - 1) for x in self.row("correct").samples_s)
        return {
            "typical": stats.quantile(errs, 0.5),
            "p95": stats.quantile(errs, 0.95),
            "max": errs[-1],
        }

    def with_diagnostics(self, extra: tuple[Diagnostic, ...]) -> PitfallsResult:
        return replace(self, diagnostics=self.diagnostics + extra)

    def to_dict(self) -> dict[str, Any]:
        return {
            **document_header(self.kind, self.infertime_version, self.created_utc),
            "settings": self.settings.to_dict(),
            "reference_s": self.reference_s,
            "errors_vs_correct_median": {
                r.code: {"mean": self.error(r.code, "mean"), "median": self.error(r.code, "median")}
                for r in self.rows
            },
            "single_sample_errors": self.single_sample_errors(),
            "rows": [r.to_dict() for r in self.rows],
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "environment": self.environment,
        }

    @staticmethod
    def from_dict(d: dict[str, Any]) -> PitfallsResult:
        return PitfallsResult(
            settings=Settings.from_dict(d["settings"]),
            rows=tuple(PitfallRow.from_dict(r) for r in d["rows"]),
            environment=d.get("environment", {}),
            diagnostics=tuple(Diagnostic.from_dict(x) for x in d.get("diagnostics", ())),
            created_utc=d.get("created_utc", ""),
            infertime_version=d.get("infertime_version", ""),
        )
