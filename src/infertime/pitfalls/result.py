"""The result of `infertime pitfalls`: one row per method, raw samples kept, errors derived."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12

from .. import stats
from ..records import ResultBase
from ..resultfile import (
    Document,
    KindFormat,
    settings_from_v1,
    stop_rule_from_v2,
    unchanged,
)

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
    extra: dict[str, Any] = field(default_factory=dict)  # cold start: startup_s, context

    @property
    def label(self) -> str:
        return LABELS.get(self.code, self.code)

    @property
    def applies(self) -> bool:
        return bool(self.samples_s)

    @property
    def summary(self) -> stats.Summary:
        return stats.summarize(self.samples_s)


@dataclass(frozen=True, kw_only=True)
class PitfallsResult(ResultBase):
    """The correct method and each classic mistake on the same model, inputs and sample count."""

    kind: ClassVar[str] = "pitfalls"

    rows: tuple[PitfallRow, ...]

    def row(self, code: str) -> PitfallRow:
        return next(r for r in self.rows if r.code == code)

    @property
    def reference_s(self) -> float:
        """The correct method's median: what every mistake's median is compared with."""
        return self.row("correct").summary.median

    def reference(self, statistic: str = "median") -> float:
        """The correct method's mean or median: each mistake is compared like for like."""
        summary = self.row("correct").summary
        return summary.mean if statistic == "mean" else summary.median

    def error(self, code: str, statistic: str = "mean") -> float | None:
        """A method's mean (or median) against the correct method's mean (or median)."""
        r = self.row(code)
        if not r.applies:
            return None
        value = r.summary.mean if statistic == "mean" else r.summary.median
        return value / self.reference(statistic) - 1

    def reference_spread(self, statistic: str = "median") -> float | None:
        """The correct method's own uncertainty, relative (its 95 % CI's half-width): an error
        smaller than this cannot be told from the reference's noise."""
        correct = self.row("correct")
        if statistic == "median":
            rel: float | None = correct.summary.median_ci_rel
            return rel
        xs = correct.samples_s
        if len(xs) < 2:
            return None
        half: float = stats.t_quantile(0.975, len(xs) - 1) * stats.sample_std(xs) / len(xs) ** 0.5
        return half / stats.mean(xs)

    def within_noise(self, code: str, statistic: str = "median") -> bool:
        """The error is no larger than the correct method's own spread: not a finding."""
        err, spread = self.error(code, statistic), self.reference_spread(statistic)
        return err is not None and (spread is None or abs(err) <= spread)

    def single_sample_errors(self) -> dict[str, float]:
        """How far one sample falls from the median: typical (median) and 95th-percentile error."""
        ref = self.reference_s
        errs = sorted(abs(x / ref - 1) for x in self.row("correct").samples_s)
        return {
            "typical": stats.quantile(errs, 0.5),
            "p95": stats.quantile(errs, 0.95),
            "max": errs[-1],
        }


# -- file form ------------------------------------------------------------------------------


class Errors(TypedDict):
    mean: float | None
    median: float | None


class PitfallsDerived(TypedDict):
    reference_s: float
    errors_vs_correct_median: dict[str, Errors]  # like for like: mean vs mean, median vs median
    single_sample_errors: dict[str, float]


def _derived(r: PitfallsResult) -> Document:
    derived: PitfallsDerived = {
        "reference_s": r.reference_s,
        "errors_vs_correct_median": {
            row.code: {"mean": r.error(row.code, "mean"), "median": r.error(row.code, "median")}
            for row in r.rows
        },
        "single_sample_errors": r.single_sample_errors(),
    }
    return dict(derived)


FORMAT = KindFormat(
    PitfallsResult,
    _derived,
    PitfallsDerived,
    upgrades={1: settings_from_v1, 2: stop_rule_from_v2, 3: unchanged, 4: unchanged, 5: unchanged},
)
