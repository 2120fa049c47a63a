"""Noise checks on every series: spread, missed precision, outliers, drift, unsteady warm-up."""

from __future__ import annotations

from collections.abc import Mapping

from .. import stats
from ..records import Diagnostic, Series, WarmupRecord

IQR_WARN_REL = 0.10  # torch.utils.benchmark warns at the same spread
OUTLIER_SHARE_WARN = 0.05
# Outliers are counted at Iglewicz & Hoaglin's 3.5 robust SDs (a note); they make a warning
# only when many lie beyond hyperfine's warning distance, 10 robust SDs. On an idle 2-core VM
# a tight series (MAD 1 %) has samples 4-5 % slow in most runs: that is the host's jitter, which
# the median and its CI absorb, not other work the user could stop.
OUTLIER_SEVERE_SD = 10.0
# The ± printed beside every figure is what was reached; missing the stopping rule's target is
# a note unless the figure came out more than this many times less precise than asked (on an
# idle 2-core VM, EfficientNet-B0 reached ±1.2-2.7 % against the default ±1 % in half the runs).
PRECISION_MISS_WARN = 3.0


def check_series(series: Series, trend: bool = True) -> list[Diagnostic]:
    s = series.summary
    found: list[Diagnostic] = []
    name = series.label
    if s.iqr_rel > IQR_WARN_REL:
        found.append(
            Diagnostic(
                "noisy",
                "warning",
                f"{name}: the IQR is {s.iqr_rel:.1%} of the median (over {IQR_WARN_REL:.0%})",
                "other work on the machine, clock changes or a launch-bound model make calls "
                "vary; close other programs (on a GPU, --details shows its clocks and "
                "throttling)",
                {"figure": series.figure, "iqr_rel": s.iqr_rel},
            )
        )
    stop = series.stop
    if stop is not None and not stop.met_target:
        far = (
            stop.achieved_rel is None
            or stop.target_rel <= 0
            or stop.achieved_rel > PRECISION_MISS_WARN * stop.target_rel
        )
        found.append(
            Diagnostic(
                "precision_missed",
                "warning" if far else "info",
                f"{name}: precision target missed: {stop.message}",
                "raise --max-time, or accept a wider --precision",
                {"figure": series.figure, "achieved_rel": stop.achieved_rel},
            )
        )
    outliers = stats.mad_outliers(series.samples_s)
    if outliers:
        share = len(outliers) / s.n
        severe = stats.mad_outliers(series.samples_s, OUTLIER_SEVERE_SD)
        many = len(severe) / s.n > OUTLIER_SHARE_WARN and len(severe) >= 3
        found.append(
            Diagnostic(
                "outliers",
                "warning" if many else "info",
                f"{name}: {len(outliers)} of {s.n} samples are outliers "
                f"(|x - median| > 3.5 robust SD), {len(severe)} of them beyond "
                f"{OUTLIER_SEVERE_SD:.0f}; kept, not dropped",
                "the median and its CI are robust to them; the mean and std are not"
                if not many
                else "many slow samples: look for other processes, throttling or host noise",
                {
                    "figure": series.figure,
                    "count": len(outliers),
                    "share": share,
                    "severe": len(severe),
                },
            )
        )
    drift = check_drift(series) if trend else None
    if drift is not None:
        found.append(drift)
    return found


def check_drift(series: Series, preset: str = "default") -> Diagnostic | None:
    """A trend through the samples (rank correlation with time, allowing for serial
    correlation) that moves the level by more than stats.TREND_MIN_REL."""
    found = stats.significant_trend([series.samples_s])
    if found is None:
        return None
    return trend_diagnostic(found, [series.figure], series.label, preset)


def longer_warmup(preset: str) -> str:
    """What allows a longer warm-up from here: the rigorous preset, unless it is in use."""
    if preset == "rigorous":
        return "a longer --max-time (it bounds warm-up too)"
    return "--preset rigorous (a longer warm-up) or a longer --max-time"


def trend_diagnostic(
    change: float, figures: list[str], label: str, preset: str = "default"
) -> Diagnostic:
    if change < 0:  # still getting faster: warm-up ended before the figure settled
        return Diagnostic(
            "not_steady",
            "warning",
            f"{label} was not steady: calls kept getting faster while it was measured (the "
            f"second half {-change:.1%} faster than the first), so warm-up ended too early "
            "and the median is too slow",
            f"use {longer_warmup(preset)}, or look for what keeps speeding calls up (a CPU "
            "clock ramping up, another process finishing)",
            {"figures": figures, "change_rel": change},
        )
    return Diagnostic(
        "drift",
        "warning",
        f"{label}: calls got slower while it was measured (the second half {change:.1%} "
        "slower than the first)",
        "a device that heats up or hits its power cap slows down over a run, and so does a "
        "busy host; prefer figures from a run without drift",
        {"figures": figures, "change_rel": change},
    )


def check_settling(figures: Mapping[str, Series], preset: str = "default") -> list[Diagnostic]:
    """Did the calls keep getting faster through all the figures, measured one after the
    other? (The engine already extended warm-up while the latency samples showed it.) Each
    figure is a segment of its own: their levels differ."""
    change = stats.significant_trend([s.samples_s for s in figures.values()])
    if change is None or change > 0:
        return []
    return [trend_diagnostic(change, list(figures), "the measurement", preset)]


def check_warmup(warmup: WarmupRecord, preset: str = "default") -> list[Diagnostic]:
    if warmup.steady:
        return []
    return [
        Diagnostic(
            "warmup_unsteady",
            "warning",
            f"the figures may still be settling: warm-up {warmup.message}",
            f"look for throttling or other load, or use {longer_warmup(preset)}",
            {"calls": warmup.calls, "seconds": warmup.seconds},
        )
    ]
