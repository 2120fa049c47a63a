"""The energy section of a result: method, raw windows, figures with CIs, findings; JSON-able
through infertime.serialization (plain frozen dataclasses, statistics derived from windows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .. import stats
from ..records import Diagnostic
from ..sections import GpuState
from .estimate import Estimate

# How a finding acts on the figure: "withhold" (no figure, the reason instead), "flag" (figure
# given with the reason beside it, never as good), "note" (context only).
EFFECTS = ("withhold", "flag", "note")
# Status of a section: "measured" (figures, no flag), "flagged" (figures with reasons),
# "withheld" (measured but not trustworthy: windows kept, figures None), "not_measured" (no
# readable counter on this device: no windows).
STATUSES = ("measured", "flagged", "withheld", "not_measured")


@dataclass(frozen=True)
class Finding:
    """One energy finding: what, how it acts on the figure, and what would help."""

    code: str
    effect: str
    message: str
    advice: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.effect not in EFFECTS:
            raise ValueError(f"finding effect {self.effect!r} not in {EFFECTS}")

    def diagnostic(self) -> Diagnostic:
        """The same finding as a result diagnostic (withheld or flagged figures warn)."""
        severity = "info" if self.effect == "note" else "warning"
        return Diagnostic(self.code, severity, self.message, self.advice, dict(self.data))


@dataclass(frozen=True)
class UpdatePeriod:
    """How often the counter's value changes, from polling it until it changed several times."""

    intervals_s: tuple[float, ...]  # between consecutive observed changes (the first is dropped)
    poll_s: float  # polling interval: each interval is known to about this much
    seconds: float  # time spent polling

    @property
    def median_s(self) -> float:
        return stats.median(self.intervals_s)

    @property
    def max_s(self) -> float:
        return max(self.intervals_s)


@dataclass(frozen=True)
class IdleBaseline:
    """Power with the device idle, from consecutive sub-windows read at shared edges."""

    energies_j: tuple[float, ...]
    durations_s: tuple[float, ...]
    start_ns: int  # device.now_ns() at its start
    power_w: Estimate  # mean of the sub-windows' powers, t interval

    @property
    def seconds(self) -> float:
        return sum(self.durations_s)


@dataclass(frozen=True)
class EnergyWindow:
    """One window of back-to-back calls between two synchronized counter reads."""

    start_ns: int  # device.now_ns() right after the synchronize at its start
    duration_s: float
    calls: int
    energy_j: float | None  # None where the counter was reset inside the window
    wrapped: bool = False
    excluded: str | None = None  # why this window is not used (a counter reset)

    @property
    def used(self) -> bool:
        return self.excluded is None and self.energy_j is not None


@dataclass(frozen=True)
class EnergyMethod:
    """How the figures were taken, for the report: counter, period, baseline, window rule."""

    source: str  # "nvml" | "rapl" | "fake" | "none"
    counter: str
    scope: str
    update_period: UpdatePeriod | None
    idle: IdleBaseline | None
    min_window_s: float  # max(policy minimum, multiple x median update period)
    window_rule: str  # the rule in words
    confidence: float
    calls_pattern: str = "back-to-back calls, synchronized at window edges (pipelined)"


@dataclass(frozen=True)
class CrossCheck:
    """The counter against NVML power samples integrated over the same span."""

    counter_j: float
    integrated_j: float | None
    readings: int
    difference_rel: float | None  # (integrated - counter) / counter
    tolerance_rel: float
    note: str  # how the power was sampled, or why there is no comparison


@dataclass(frozen=True)
class EnergyFigures:
    """Energy per call, item and token, total and above idle, with CIs over windows."""

    j_per_call: Estimate
    j_per_call_above_idle: Estimate | None  # None without an idle baseline
    j_per_item: Estimate
    j_per_item_above_idle: Estimate | None
    j_per_token: Estimate | None  # only with a token count per call (generate)
    j_per_token_above_idle: Estimate | None
    power_w: Estimate  # average power over the windows
    items_per_s: Estimate  # the windows' own throughput (host clock, synchronized edges)
    windows: int
    seconds: float


@dataclass(frozen=True)
class EnergySection:
    """What a result keeps about energy for one configuration (one batch size)."""

    status: str  # one of STATUSES
    reason: str | None  # why withheld / not measured, or what flagged it, in one line
    method: EnergyMethod
    items_per_call: int  # the batch size
    tokens_per_call: int | None
    windows: tuple[EnergyWindow, ...] = ()
    figures: EnergyFigures | None = None
    cross_check: CrossCheck | None = None
    findings: tuple[Finding, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"energy status {self.status!r} not in {STATUSES}")
        if (self.figures is None) != (self.status in ("withheld", "not_measured")):
            raise ValueError(f"energy status {self.status!r} does not match its figures")

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(f.diagnostic() for f in self.findings)


@dataclass(frozen=True)
class EnergyCurvePoint:
    """Energy per item at one batch size, beside that batch's throughput."""

    batch: int
    status: str  # the section's status
    j_per_item: Estimate | None
    j_per_item_above_idle: Estimate | None
    items_per_s: Estimate | None


@dataclass(frozen=True)
class EnergyCurve:
    """Energy per item across batches: the energy-optimal batch beside the throughput peak."""

    points: tuple[EnergyCurvePoint, ...]
    energy_optimal_batch: int | None  # lowest total J/item (ties to the smaller batch)
    above_idle_optimal_batch: int | None  # lowest J/item above idle
    throughput_peak_batch: int | None
    throughput_source: str  # "energy windows" or what the caller passed
    excess_at_peak_rel: float | None  # J/item at the peak over J/item at the optimum, minus 1
    separated: bool | None  # do optimum and peak differ in J/item beyond noise (None: unknown)
    verdict: str


@dataclass(frozen=True)
class EnergyRecord:
    """The energy probe's section of a result (`analysis.energy`).

    One EnergySection per configuration measured, named in `names`: the run's batch; each
    batch of a throughput curve; each configuration of a comparison. `arrangement` says how
    their windows were placed in time (after the timed figures; interleaved across
    configurations). `curve`: energy per item against batch size (throughput). `ratios`: each
    configuration's energy per item over the first's, paired by round (an interleaved
    comparison; None where there is no paired figure). `gpu_state`: the NVML watch over the
    energy pass, whose power readings the cross-check integrates. `seconds`: the pass's wall
    time, calibration included."""

    sections: tuple[EnergySection, ...]
    names: tuple[str, ...]
    arrangement: str
    curve: EnergyCurve | None = None
    ratios: tuple[Estimate | None, ...] = ()
    gpu_state: GpuState | None = None
    seconds: float = 0.0

    def __post_init__(self) -> None:
        if len(self.names) != len(self.sections):
            raise ValueError(
                f"energy record: {len(self.sections)} sections for {len(self.names)} names"
            )

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Every section's findings as diagnostics, each said once: prefixed with the
        sections it applies to, unless it applies to all of them."""
        found: dict[tuple[str, str], tuple[Diagnostic, list[str]]] = {}
        for name, section in zip(self.names, self.sections, strict=True):
            for d in section.diagnostics:
                found.setdefault((d.code, d.message), (d, []))[1].append(name)
        out = []
        for d, names in found.values():
            if len(names) == len(self.sections) or not any(names):
                out.append(d)
                continue
            shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
            out.append(Diagnostic(d.code, d.severity, f"{shown}: {d.message}", d.advice, d.data))
        return tuple(out)

    def section(self, name: str) -> EnergySection:
        """The section of that name (KeyError naming the ones there are)."""
        for n, s in zip(self.names, self.sections, strict=True):
            if n == name:
                return s
        raise KeyError(f"no energy section {name!r}; there are: {', '.join(self.names)}")
