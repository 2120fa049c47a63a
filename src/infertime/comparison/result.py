"""The result of `infertime compare` and its file form: configurations side by side, with ratios.

Three modes, one type:
- "interleaved": live, every configuration in one process, timed in interleaved rounds; each
  arm keeps its samples grouped by round, and ratios are paired by round;
- "processes": live, configurations that do not fit together in memory run in alternating
  fresh processes (ABAB...); each arm keeps one group of samples per process, ratios are
  paired by process;
- "files": saved results; each arm keeps its file's samples (one group, or one per process
  when the file was measured with --processes) and where it came from.
Every statistic is recomputed from these raw groups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from typing_extensions import TypedDict

from .. import stats
from ..devices.base import MemoryReading
from ..policies import ComparePolicy
from ..records import ResultBase, Series, Settings, StopRecord, WarmupRecord
from ..repeats import across_processes
from ..resultfile import Document, KindFormat, unchanged
from ..sections import Analysis, LaunchAnalysis
from .ratios import (
    Ratio,
    gate_fails,
    independent_ratio,
    paired_ratio,
    process_ratio,
    verdict_text,
)

MODES = ("interleaved", "processes", "files")


@dataclass(frozen=True)
class Arm:
    """One configuration: what it is, its raw samples in groups, and how it started."""

    name: str  # as the user wrote it, or the file it came from
    settings: Settings
    groups: tuple[tuple[float, ...], ...]  # seconds per call: per round, per process or one
    calls_per_sample: int
    warmup: WarmupRecord | None = None  # live modes: measured alone, before interleaving
    memory: MemoryReading | None = None
    source: str | None = None  # files mode: the result file
    environment: dict[str, Any] | None = None  # files mode: that file's environment
    verdict: str | None = None  # the launch analysis's verdict where there was one

    def __post_init__(self) -> None:
        if not self.groups or any(not g for g in self.groups):
            raise ValueError(f"configuration {self.name!r} has an empty group of samples")

    @property
    def group_medians(self) -> list[float]:
        return [stats.median(g) for g in self.groups]

    @property
    def series(self) -> Series:
        """All samples in time order (rounds or processes one after the other)."""
        return Series("samples", tuple(x for g in self.groups for x in g), self.calls_per_sample)


@dataclass(frozen=True)
class CopyAgreement:
    """A later copy of one configuration's model against its first copy, paired by round."""

    name: str
    copy: int
    time_ratio_to_first: float
    ci: tuple[float, float] | None
    confidence: float


@dataclass(frozen=True)
class Ballast:
    """The untimed copy of the baseline built first and kept (or why there was none)."""

    built: bool
    of: str | None = None
    why_not: str | None = None


@dataclass(frozen=True)
class CompareAnalysis(Analysis):
    """The probes' sections and the comparison's own: each configuration's kernel-time pass
    (`launch`, one per configuration, None for one that launches once or off the GPU), how
    its copies agreed, whose each call was (`owners`), the ballast, why one copy or fresh
    processes were used, and (offline) how the files' environments differ."""

    launch: tuple[LaunchAnalysis | None, ...] | None = None
    copies: tuple[CopyAgreement, ...] = ()
    owners: tuple[int, ...] = ()
    one_copy_because: str | None = None
    ballast: Ballast | None = None
    fresh_processes_because: str | None = None
    environment_differences: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class CompareResult(ResultBase):
    """Configurations compared; `arms[0]` is the baseline. `settings` are the baseline's."""

    kind: ClassVar[str] = "compare"

    mode: str  # one of MODES
    figure: str  # "latency" or "device_time"
    arms: tuple[Arm, ...]
    policy: ComparePolicy
    stop: StopRecord | None = None
    orders: tuple[tuple[int, ...], ...] = ()  # interleaved: the slot order of each round
    timer_overhead_s: float = 0.0
    analysis: CompareAnalysis = field(default_factory=CompareAnalysis)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown comparison mode {self.mode!r}")
        if len(self.arms) < 2:
            raise ValueError("a comparison holds at least two configurations")

    @property
    def baseline(self) -> Arm:
        return self.arms[0]

    def value(self, i: int) -> float:
        """Arm i's figure: the median of its samples, or where its groups are processes the
        geometric mean of their medians."""
        arm = self.arms[i]
        if self.mode != "interleaved" and len(arm.groups) > 1:
            return across_processes(arm.group_medians).typical
        return arm.series.summary.median

    def ratio(self, i: int) -> Ratio:
        """Time per call of arm i over the baseline's, with its CI (comparison/ratios.py)."""
        base, other = self.baseline, self.arms[i]
        confidence = self.policy.confidence
        if self.mode == "interleaved":
            return paired_ratio(base.group_medians, other.group_medians, confidence)
        if self.mode == "processes":
            return process_ratio(base.group_medians, other.group_medians, confidence, paired=True)
        if len(base.groups) > 1 and len(other.groups) > 1:
            return process_ratio(base.group_medians, other.group_medians, confidence, paired=False)
        return independent_ratio(base.series.samples_s, other.series.samples_s, confidence)

    def ratios(self) -> list[Ratio]:
        return [self.ratio(i) for i in range(1, len(self.arms))]

    def verdict(self, i: int) -> str:
        """'B is 1.06× faster than A (95 % CI 1.04–1.08)' or 'no difference beyond ±2.1 %'."""
        return verdict_text(self.ratio(i), self.arms[i].name, self.baseline.name)

    @property
    def gate_failed(self) -> bool:
        """True when the regression gate is set and some configuration is slower beyond it."""
        g = self.policy.fail_if_slower
        return g is not None and any(gate_fails(r, g) for r in self.ratios())


# -- file form ------------------------------------------------------------------------------


class RatioRecord(TypedDict):
    name: str
    time_ratio: float
    time_ratio_ci: list[float] | None
    confidence: float
    method: str
    n: int
    verdict: str


class CompareDerived(TypedDict):
    figures_s: dict[str, float]
    ratios: list[RatioRecord]
    gate_failed: bool


def _derived(r: CompareResult) -> Document:
    derived: CompareDerived = {
        "figures_s": {a.name: r.value(i) for i, a in enumerate(r.arms)},
        "ratios": [
            {
                "name": r.arms[i].name,
                "time_ratio": x.value,
                "time_ratio_ci": list(x.ci) if x.ci else None,
                "confidence": x.confidence,
                "method": x.method,
                "n": x.n,
                "verdict": r.verdict(i),
            }
            for i, x in enumerate(r.ratios(), start=1)
        ],
        "gate_failed": r.gate_failed,
    }
    return dict(derived)


def _copies_from_v4(document: Document) -> Document:
    """Version 4 built one copy of each configuration."""
    return {**document, "policy": {**document["policy"], "copies": 1}}


FORMAT = KindFormat(
    CompareResult, _derived, CompareDerived, upgrades={4: _copies_from_v4, 5: unchanged}
)
