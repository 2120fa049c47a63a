"""From windows to figures: energy per call, item and token, total and above idle, with CIs,
and the findings that withhold or flag them (pure: no device, no counter)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .. import stats
from . import findings as found
from .estimate import Estimate, t_interval
from .policy import EnergyPolicy
from .records import EnergyFigures, EnergyMethod, EnergySection, EnergyWindow, Finding
from .windows import WindowsRun


def above_idle(windows: Sequence[EnergyWindow], idle: Estimate, confidence: float) -> Estimate:
    """Per call above idle, (E - P_idle d) / calls per window: the t interval over windows,
    widened in quadrature by the idle power's own CI times the mean seconds per call."""
    per_call = [_energy(w) - idle.value * w.duration_s for w in windows]
    est = t_interval([x / w.calls for x, w in zip(per_call, windows, strict=True)], confidence)
    if est.ci is None or idle.half_width is None:
        return Estimate(est.value, None, est.n)
    s_per_call = stats.mean([w.duration_s / w.calls for w in windows])
    half = math.hypot(est.ci[1] - est.value, idle.half_width * s_per_call)
    return Estimate(est.value, (est.value - half, est.value + half), est.n)


def _energy(w: EnergyWindow) -> float:
    if w.energy_j is None:
        raise ValueError("a window without energy is not used for figures")
    return w.energy_j


def figures_of(
    windows: Sequence[EnergyWindow],
    items_per_call: int,
    tokens_per_call: int | None,
    idle: Estimate | None,
    confidence: float,
) -> EnergyFigures:
    per_call = t_interval([_energy(w) / w.calls for w in windows], confidence)
    above = None if idle is None else above_idle(windows, idle, confidence)

    def per(count: int | None, est: Estimate | None) -> Estimate | None:
        return None if count is None or est is None else est.scaled(1 / count)

    return EnergyFigures(
        j_per_call=per_call,
        j_per_call_above_idle=above,
        j_per_item=per_call.scaled(1 / items_per_call),
        j_per_item_above_idle=per(items_per_call, above),
        j_per_token=per(tokens_per_call, per_call),
        j_per_token_above_idle=per(tokens_per_call, above),
        power_w=t_interval([_energy(w) / w.duration_s for w in windows], confidence),
        items_per_s=t_interval(
            [w.calls * items_per_call / w.duration_s for w in windows], confidence
        ),
        windows=len(windows),
        seconds=sum(w.duration_s for w in windows),
    )


# A drift needs this many windows, a slope whose t statistic passes the two-sided 99 % level (a
# flag should rarely be noise) and a change of at least stats.TREND_MIN_REL (1 %) from the first
# half to the second. The noise is the scatter around the line, so a trend does not hide behind
# its own spread. Not stats.significant_trend: with ten windows or fewer its allowance for
# serial correlation misses even a steady 15 % rise.
DRIFT_MIN_WINDOWS = 6
DRIFT_CONFIDENCE = 0.99


def drift_rel(values: Sequence[float]) -> float | None:
    """The change of the least-squares line over half the windows, relative to the mean, when
    its slope differs from zero beyond noise; None otherwise or with too few windows."""
    n = len(values)
    if n < DRIFT_MIN_WINDOWS:
        return None
    m = stats.mean(values)
    x_mean = (n - 1) / 2
    sxx = math.fsum((i - x_mean) ** 2 for i in range(n))
    slope = math.fsum((i - x_mean) * (v - m) for i, v in enumerate(values)) / sxx
    resid = math.fsum((v - m - slope * (i - x_mean)) ** 2 for i, v in enumerate(values))
    se = math.sqrt(resid / (n - 2) / sxx)
    change = slope * (n // 2) / m if m > 0 else 0.0
    needed = stats.t_quantile(1 - (1 - DRIFT_CONFIDENCE) / 2, n - 2)
    if abs(change) < stats.TREND_MIN_REL or abs(slope) <= needed * se:
        return None
    return change


def run_findings(run: WindowsRun, policy: EnergyPolicy) -> list[Finding]:
    """What the windows themselves say: errors, 0 J windows, resets, too few windows."""
    out: list[Finding] = []
    resets = sum(1 for w in run.windows if w.excluded is not None)
    if resets:
        out.append(found.counter_reset(resets))
    if run.stop == "counter_error":
        out.append(found.counter_error(run.error or "unknown error", "the windows"))
    elif run.stop == "zero_window":
        # run_windows stops at the first window that read no energy: the last one
        out.append(found.zero_window(len(run.windows) - 1, run.windows[-1].duration_s))
    used = sum(1 for w in run.windows if w.used)
    if not any(f.effect == "withhold" for f in out) and used < policy.min_windows:
        out.append(found.too_few_windows(used, policy.min_windows))
    return out


def figure_findings(
    fig: EnergyFigures, windows: Sequence[EnergyWindow], stop: str, policy: EnergyPolicy
) -> list[Finding]:
    """What the figures say: precision short of the target, a drift, above idle unresolved."""
    out: list[Finding] = []
    rel = fig.j_per_call.half_width_rel
    if rel is None or rel > policy.precision:
        out.append(found.imprecise(rel, policy.precision, stop))
    change = drift_rel([_energy(w) / w.calls for w in windows])
    if change is not None:
        out.append(found.drift(change))
    above = fig.j_per_call_above_idle
    if above is not None and (above.ci is None or above.ci[0] <= 0):
        out.append(found.above_idle_unresolved())
    return out


def section_of(
    run: WindowsRun,
    method: EnergyMethod,
    items_per_call: int,
    tokens_per_call: int | None,
    policy: EnergyPolicy,
    prior: Sequence[Finding] = (),
) -> EnergySection:
    """The energy section of one configuration; `prior`: findings from before the windows
    (scope, calibration), which may already withhold the figure."""
    notes = [*prior, *run_findings(run, policy)]
    used = [w for w in run.windows if w.used]
    fig = None
    if not any(f.effect == "withhold" for f in notes):
        idle = method.idle.power_w if method.idle is not None else None
        fig = figures_of(used, items_per_call, tokens_per_call, idle, policy.confidence)
        notes += figure_findings(fig, used, run.stop, policy)
    return finish(method, items_per_call, tokens_per_call, run.windows, fig, notes)


def finish(
    method: EnergyMethod,
    items_per_call: int,
    tokens_per_call: int | None,
    windows: Sequence[EnergyWindow],
    fig: EnergyFigures | None,
    notes: Sequence[Finding],
) -> EnergySection:
    """Status and reason from the findings: any withhold withholds, any flag flags."""
    withheld = [f for f in notes if f.effect == "withhold"]
    flags = [f for f in notes if f.effect == "flag"]
    if withheld or fig is None:
        not_measured = any(f.code == "energy_not_measured" for f in withheld)
        status = "not_measured" if not_measured else "withheld"
        reason = withheld[0].message if withheld else "no figures"
        fig = None
    elif flags:
        status, reason = "flagged", "; ".join(f.message for f in flags)
    else:
        status, reason = "measured", None
    return EnergySection(
        status=status,
        reason=reason,
        method=method,
        items_per_call=items_per_call,
        tokens_per_call=tokens_per_call,
        windows=tuple(windows),
        figures=fig,
        findings=tuple(notes),
    )
