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

import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from typing_extensions import TypedDict

from .. import stats
from ..devices.base import MemoryReading
from ..energy.records import EnergyRecord
from ..policies import ComparePolicy
from ..records import ResultBase, Series, Settings, StopRecord, WarmupRecord
from ..repeats import across_processes
from ..resultfile import Document, KindFormat, unchanged
from ..sections import Analysis, LaunchAnalysis
from .ratios import (
    Decision,
    Ratio,
    decide,
    gate_state,
    independent_ratio,
    interleaved_ratio,
    paired_ratio,
    percent_text,
    process_ratio,
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
    # --energy: one section per configuration, in the order of `arms`, and ratios to the first
    energy: EnergyRecord | None = None


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
    per_item: bool = False  # batch sizes differ (allowed): times per item are compared
    analysis: CompareAnalysis = field(default_factory=CompareAnalysis)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown comparison mode {self.mode!r}")
        if len(self.arms) < 2:
            raise ValueError("a comparison holds at least two configurations")
        if self.mode != "files" and len({len(a.groups) for a in self.arms}) > 1:
            raise ValueError(
                "the configurations hold different numbers of rounds or processes: "
                + ", ".join(f"{a.name} {len(a.groups)}" for a in self.arms)
            )

    @property
    def baseline(self) -> Arm:
        return self.arms[0]

    def samples_of(self, i: int) -> tuple[tuple[float, ...], ...]:
        """Arm i's groups of samples, per item where the comparison is per item."""
        arm = self.arms[i]
        if not self.per_item:
            return arm.groups
        batch = arm.settings.workload.batch_size or 1
        return tuple(tuple(x / batch for x in g) for g in arm.groups)

    def value(self, i: int) -> float:
        """Arm i's figure: the median of its samples, or where its groups are processes the
        geometric mean of their medians (per call, or per item with `per_item`)."""
        groups = self.samples_of(i)
        if self.mode != "interleaved" and len(groups) > 1:
            return across_processes([stats.median(g) for g in groups]).typical
        return stats.median([x for g in groups for x in g])

    def copies_of(self, name: str) -> list[float]:
        """Log times of a configuration's copies relative to its first (0 for the first)."""
        return [0.0] + [
            math.log(c.time_ratio_to_first) for c in self.analysis.copies if c.name == name
        ]

    def ratio(self, i: int) -> Ratio:
        """Time per call (or item) of arm i over the baseline's, with its CI
        (comparison/ratios.py); interleaved, the copies' spread is in the CI."""
        base = [stats.median(g) for g in self.samples_of(0)]
        other = [stats.median(g) for g in self.samples_of(i)]
        confidence = self.policy.confidence
        if self.mode == "interleaved":
            logs = [self.copies_of(a.name) for a in self.arms]
            counts = (len(logs[0]), len(logs[i]))
            return interleaved_ratio(base, other, logs, counts, confidence)
        if self.mode == "processes":
            return process_ratio(base, other, confidence, paired=True)
        if len(base) > 1 and len(other) > 1:
            return process_ratio(base, other, confidence, paired=False)
        flat = [[x for g in self.samples_of(j) for x in g] for j in (0, i)]
        return independent_ratio(flat[0], flat[1], confidence)

    def ratios(self) -> list[Ratio]:
        return [self.ratio(i) for i in range(1, len(self.arms))]

    def decision(self, i: int) -> Decision:
        """What arm i's ratio lets one say (comparison/ratios.py `decide`)."""
        ratio = self.ratio(i)
        unit = {"interleaved": "rounds", "processes": "processes"}.get(self.mode, "samples")
        return decide(
            ratio,
            self.arms[i].name,
            self.baseline.name,
            self.policy.precision,
            what_would_decide=what_would_decide(self, i, ratio),
            unit=unit,
            why_no_ci="the rounds drift" if ratio_drift(self, i) is not None else "",
        )

    def verdict(self, i: int) -> str:
        """'B is faster than A: 6.0 % less time (95 % CI 4.0–8.0 % less)', 'no difference
        beyond ±2.1 %', or 'undecided after N rounds: ... ; what would decide it'."""
        return self.decision(i).text

    @property
    def single_host_bound(self) -> list[str]:
        """Offline: the results that come from a single process of a host-bound figure (their
        difference may be the host moving between them)."""
        if self.mode != "files" or any(len(a.groups) > 1 for a in self.arms):
            return []
        return [
            a.name
            for a in self.arms
            if a.verdict in ("launch-bound", "mixed") or a.settings.device.startswith("cpu")
        ]

    @property
    def gate_state(self) -> str | None:
        """The regression gate: None when not set; "regression" when some configuration is
        slower than the baseline beyond it with the CI's confidence; "passed" when every one
        is, with that confidence, not slower beyond it; else "inconclusive". Offline results
        of single processes of a host-bound figure are inconclusive, unless trusted."""
        g = self.policy.fail_if_slower
        if g is None:
            return None
        states = [gate_state(r, g) for r in self.ratios()]
        if self.single_host_bound and not self.policy.trust_single_process:
            return "inconclusive"
        if "regression" in states:
            return "regression"
        return "passed" if all(s == "passed" for s in states) else "inconclusive"

    @property
    def gate_failed(self) -> bool:
        """True when the regression gate is set and some configuration is slower beyond it."""
        return self.gate_state == "regression"


DRIFT_MIN_ROUNDS = 16
DRIFT_RANK_RHO = 0.9


def ratio_drift(r: CompareResult, i: int) -> float | None:
    """Interleaved: how much arm i's time ratio to the baseline moved from the first half of
    the rounds to the second, where that trend is significant (else None)."""
    if r.mode != "interleaved":
        return None
    base = [stats.median(g) for g in r.samples_of(0)]
    other = [stats.median(g) for g in r.samples_of(i)]
    ratios = [o / b for b, o in zip(base, other, strict=True) if b > 0]
    found = stats.significant_trend([ratios])
    if found is not None:
        return found
    # A smooth curve (a rate that compounds) leaves smooth residuals around a straight line,
    # which the trend test's serial-correlation allowance takes for slow noise. Round-paired
    # ratios carry little of the host's drift, so a near-perfect rank order over many rounds
    # is a drift: |rho| >= 0.9 over 16 rounds has p < 1e-5 for independent rounds.
    t = stats.trend(ratios)
    if t is None or t.n < DRIFT_MIN_ROUNDS or abs(t.rho) < DRIFT_RANK_RHO:
        return None
    if abs(t.change_rel) < max(stats.TREND_MIN_REL, r.policy.precision):
        return None
    return t.change_rel


def what_would_decide(r: CompareResult, i: int, ratio: Ratio) -> str:
    """For an undecided ratio: the budget, processes or precision the observed spread needs;
    for a ratio that drifts, that more time will not help."""
    target = r.policy.precision
    drift = ratio_drift(r, i)
    if drift is not None:
        return (
            f"the ratio drifted by {drift:+.1%} from the first half of the rounds to the "
            "second (a configuration that keeps getting slower or faster: a growing cache, a "
            "leak, throttling), so more time will not settle it; fix what drifts"
        )
    half = ratio.half_width
    looser = f"--precision {percent_text(half)}%" if half is not None else ""
    if r.mode == "interleaved":
        if ratio.ci is not None and half is not None and r.stop is not None:
            rounds_only = paired_ratio(
                [stats.median(g) for g in r.samples_of(0)],
                [stats.median(g) for g in r.samples_of(i)],
                ratio.confidence,
            ).half_width
            if rounds_only is not None and rounds_only <= target < half:
                return f"more copies of each model (--copies 4), or {looser}"
            factor = (half / target) ** 2
            return f"about --max-time {max(1.0, r.stop.elapsed_s * factor):.0f}, or {looser}"
        per_round = r.stop.elapsed_s / max(len(r.orders), 1) if r.stop is not None else 0.0
        need = r.policy.min_rounds * per_round * 1.5
        return (
            f"at least {r.policy.min_rounds} rounds, about --max-time {max(need, 1.0):.0f} at "
            f"{per_round:.2g} s a round"
        )
    if r.mode == "processes":
        k = len(r.baseline.groups)
        need = k if half is None else math.ceil(k * (half / target) ** 2)
        return f"--processes {max(need, k + 1)}" + (f", or {looser}" if looser else "")
    return "each side measured with --processes 5, or the configurations compared live" + (
        f", or {looser}" if looser else ""
    )


# -- file form ------------------------------------------------------------------------------


class RatioRecord(TypedDict):
    name: str
    time_ratio: float
    time_ratio_ci: list[float] | None
    confidence: float
    method: str
    n: int
    decision: str  # faster, slower, same (no difference beyond the CI) or undecided
    verdict: str


class CompareDerived(TypedDict):
    figures_s: dict[str, float]
    ratios: list[RatioRecord]
    gate: str | None  # passed, regression, inconclusive; None: no gate
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
                "decision": r.decision(i).kind,
                "verdict": r.verdict(i),
            }
            for i, x in enumerate(r.ratios(), start=1)
        ],
        "gate": r.gate_state,
        "gate_failed": r.gate_failed,
    }
    return dict(derived)


def _copies_from_v4(document: Document) -> Document:
    """Version 4 built one copy of each configuration."""
    return {**document, "policy": {**document["policy"], "copies": 1}}


FORMAT = KindFormat(
    CompareResult, _derived, CompareDerived, upgrades={4: _copies_from_v4, 5: unchanged}
)
