"""Noise checks on every series: spread, missed precision, outliers, drift, unsteady warm-up."""

from __future__ import annotations

from .. import stats
from ..records import Diagnostic, Series, WarmupRecord

IQR_WARN_REL = 0.10  # torch.utils.benchmark warns at the same spread
DRIFT_MIN_REL = 0.01
OUTLIER_SHARE_WARN = 0.05


def check_series(series: Series) -> list[Diagnostic]:
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
                "vary; close other programs and check the GPU state block",
                {"figure": series.figure, "iqr_rel": s.iqr_rel},
            )
        )
    stop = series.stop
    if stop is not None and not stop.met_target:
        found.append(
            Diagnostic(
                "precision_missed",
                "warning",
                f"{name}: precision target missed: {stop.message}",
                "raise --max-time, or accept a wider --precision",
                {"figure": series.figure, "achieved_rel": stop.achieved_rel},
            )
        )
    outliers = stats.mad_outliers(series.samples_s)
    if outliers:
        share = len(outliers) / s.n
        many = share > OUTLIER_SHARE_WARN and len(outliers) >= 3
        found.append(
            Diagnostic(
                "outliers",
                "warning" if many else "info",
                f"{name}: {len(outliers)} of {s.n} samples are outliers "
                f"(|x - median| > 3.5 robust SD); kept, not dropped",
                "the median and its CI are robust to them; the mean and std are not"
                if not many
                else "many slow samples: look for other processes, throttling or host noise",
                {"figure": series.figure, "count": len(outliers), "share": share},
            )
        )
    drift = check_drift(series)
    if drift is not None:
        found.append(drift)
    return found


def check_drift(series: Series) -> Diagnostic | None:
    """First quarter against last quarter: a difference beyond both CIs is drift."""
    xs = series.samples_s
    q = len(xs) // 4
    if q < 6:
        return None
    first, last = xs[:q], xs[-q:]
    m1, m2 = stats.median(first), stats.median(last)
    ci1, ci2 = stats.median_ci(first), stats.median_ci(last)
    if ci1 is None or ci2 is None:
        return None
    separated = ci1[1] < ci2[0] or ci2[1] < ci1[0]
    change = (m2 - m1) / m1
    if not separated or abs(change) < DRIFT_MIN_REL:
        return None
    direction = "slower" if change > 0 else "faster"
    return Diagnostic(
        "drift",
        "warning",
        f"{series.label}: the last quarter of samples is {abs(change):.1%} {direction} "
        "than the first",
        "a GPU that heats up or hits its power cap slows down over a run; see the GPU state "
        "block, and prefer figures from a run without drift",
        {"figure": series.figure, "change_rel": change},
    )


def check_warmup(warmup: WarmupRecord) -> list[Diagnostic]:
    if warmup.steady:
        return []
    return [
        Diagnostic(
            "warmup_unsteady",
            "warning",
            f"warm-up never became steady: {warmup.message}",
            "the figures may still be settling; look for throttling or other load, or use "
            "--preset rigorous for a longer warm-up",
            {"calls": warmup.calls, "seconds": warmup.seconds},
        )
    ]
