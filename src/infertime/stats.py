"""Pure statistics on raw samples: quantiles, distribution-free CIs, spread, steadiness.

Estimators (named in docs/statistics.md):
- quantiles: linear interpolation between order statistics (Hyndman & Fan type 7, numpy's default);
- CI of a quantile: distribution-free, from binomial order statistics (exact up to 2000 samples,
  normal approximation beyond); no normality assumed; assumes independent samples;
- CI of the median of a series (what infertime reports and stops on): the wider of that interval
  and a batch-medians interval (10 consecutive batches, median ± t(9) x SD of batch medians /
  sqrt(10)), which stays honest when consecutive samples are correlated, as host noise makes them;
- mean ± std: arithmetic mean and sample standard deviation (n - 1), as in the article;
- MAD: median absolute deviation (raw); robust SD = 1.4826 x MAD.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist

EXACT_BINOMIAL_MAX_N = 2000
MAD_TO_SD = 1.4826

# Samples needed before a tail percentile is printed. MLPerf LoadGen's floors for p90 and p99;
# p95 by the rule behind them (about 6.6 samples expected above the percentile).
PERCENTILE_MIN_SAMPLES: dict[float, int] = {0.90: 64, 0.95: 133, 0.99: 662, 0.999: 6636}


def min_samples_for_percentile(q: float) -> int:
    """Fewest samples for which a q-quantile (0 < q < 1) of the tail is reported."""
    if q in PERCENTILE_MIN_SAMPLES:
        return PERCENTILE_MIN_SAMPLES[q]
    return math.ceil(6.62 / (1.0 - q))


def quantile(sorted_xs: Sequence[float], q: float) -> float:
    """Hyndman & Fan type 7 quantile of already sorted data (numpy's default)."""
    n = len(sorted_xs)
    if n == 0:
        raise ValueError("quantile of no samples")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile level {q} outside [0, 1]")
    h = (n - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, n - 1)
    return sorted_xs[lo] + (h - lo) * (sorted_xs[hi] - sorted_xs[lo])


@lru_cache(maxsize=4096)
def order_statistic_ci_ranks(n: int, q: float, confidence: float) -> tuple[int, int] | None:
    """0-based ranks (lo, hi) such that [x_lo, x_hi] covers the q-quantile with >= confidence.

    Returns None when n is too small for any such interval (e.g. n < 6 for the median at 95 %).
    """
    if n < 1:
        return None
    alpha = 1.0 - confidence
    if n <= EXACT_BINOMIAL_MAX_N:
        cdf = _binomial_cdf(n, q)
        below = [k for k in range(n + 1) if cdf[k] <= alpha / 2]
        if not below:
            return None
        lo_rank = below[-1] + 1  # 1-based rank l with P(X <= l - 1) <= alpha / 2
        hi_rank = next(k for k in range(n + 1) if cdf[k] >= 1 - alpha / 2) + 1
    else:
        z = NormalDist().inv_cdf(1 - alpha / 2)
        half = z * math.sqrt(n * q * (1 - q))
        lo_rank = math.floor(n * q - half)
        hi_rank = math.ceil(n * q + half) + 1
    if lo_rank < 1 or hi_rank > n:
        return None
    return lo_rank - 1, hi_rank - 1


def _binomial_cdf(n: int, p: float) -> list[float]:
    """P(X <= k) for X ~ Binomial(n, p), k = 0..n, computed in log space to stay finite."""
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    cdf = []
    for k in range(n + 1):
        log_pmf = (
            math.lgamma(n + 1)
            - math.lgamma(k + 1)
            - math.lgamma(n - k + 1)
            + k * log_p
            + (n - k) * log_q
        )
        total += math.exp(log_pmf)
        cdf.append(min(total, 1.0))
    return cdf


def quantile_ci(
    sorted_xs: Sequence[float], q: float, confidence: float = 0.95
) -> tuple[float, float] | None:
    """Distribution-free confidence interval of the q-quantile, or None with too few samples."""
    ranks = order_statistic_ci_ranks(len(sorted_xs), q, confidence)
    if ranks is None:
        return None
    return sorted_xs[ranks[0]], sorted_xs[ranks[1]]


def _t_central_mass(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with integer df (Abramowitz & Stegun 26.7.3 and 26.7.4)."""
    theta = math.atan(t / math.sqrt(df))
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2:  # odd
        term, total = math.cos(theta), 0.0
        for k in range(1, (df - 1) // 2 + 1):
            if k > 1:
                term *= c2 * (2 * k - 2) / (2 * k - 1)
            total += term
        return (2 / math.pi) * (theta + s * total) if df > 1 else 2 * theta / math.pi
    term, total = 1.0, 1.0
    for k in range(1, df // 2):
        term *= c2 * (2 * k - 1) / (2 * k)
        total += term
    return s * total


@lru_cache(maxsize=256)
def t_quantile(p: float, df: int) -> float:
    """Student's t quantile (p > 0.5) for integer df, by bisection on the exact distribution."""
    target = 2 * p - 1
    lo, hi = 0.0, 1e3
    for _ in range(200):
        mid = (lo + hi) / 2
        if _t_central_mass(mid, df) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


CI_BATCHES = 10
CI_MIN_BATCH = 5


def batch_median_half_width(xs: Sequence[float], confidence: float = 0.95) -> float | None:
    """Half-width of the median's CI from medians of consecutive batches (time order kept).

    Neighbouring samples that share a slow host state are correlated; batches of them are much
    less so, and the spread of batch medians shows the uncertainty that an independent-samples
    interval hides. None with fewer than 4 batches of 5 samples.
    """
    b = min(CI_BATCHES, len(xs) // CI_MIN_BATCH)
    if b < 4:
        return None
    size = len(xs) // b
    meds = [median(xs[i * size : (i + 1) * size if i < b - 1 else len(xs)]) for i in range(b)]
    return t_quantile(1 - (1 - confidence) / 2, b - 1) * sample_std(meds) / math.sqrt(b)


def median_ci(xs: Sequence[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """CI of the median of a time-ordered series: order-statistic CI widened by batch medians."""
    s = sorted(xs)
    iid = quantile_ci(s, 0.5, confidence)
    if iid is None:
        return None
    half = batch_median_half_width(xs, confidence)
    if half is None:
        return iid
    center = quantile(s, 0.5)
    return min(iid[0], center - half), max(iid[1], center + half)


def relative_half_width(center: float, ci: tuple[float, float] | None) -> float | None:
    """The larger distance from the estimate to a CI bound, relative to the estimate."""
    if ci is None or center <= 0:
        return None
    return max(center - ci[0], ci[1] - center) / center


def median_ci_half_width(xs: Sequence[float], confidence: float = 0.95) -> float | None:
    """Relative half-width of `median_ci` of a time-ordered series (None if undefined)."""
    return relative_half_width(median(xs), median_ci(xs, confidence))


def mean(xs: Sequence[float]) -> float:
    return math.fsum(xs) / len(xs)


def sample_std(xs: Sequence[float]) -> float:
    """Standard deviation with n - 1 in the denominator (0 for a single sample)."""
    n = len(xs)
    if n < 2:
        return 0.0
    m = mean(xs)
    return math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (n - 1))


def median(xs: Sequence[float]) -> float:
    return quantile(sorted(xs), 0.5)


def mad(xs: Sequence[float]) -> float:
    """Median absolute deviation from the median (raw, not scaled)."""
    m = median(xs)
    return median([abs(x - m) for x in xs])


def robust_sd(xs: Sequence[float]) -> float:
    """MAD scaled to estimate the standard deviation of normal data."""
    return MAD_TO_SD * mad(xs)


def mad_outliers(xs: Sequence[float], threshold: float = 3.5) -> list[int]:
    """Indices whose modified z-score |x - median| / (1.4826 MAD) exceeds `threshold`.

    Iglewicz & Hoaglin's rule; 3.5 is their recommended threshold.
    """
    if len(xs) < 3:
        return []
    m = median(xs)
    spread = robust_sd(xs)
    if spread == 0:
        return [i for i, x in enumerate(xs) if x != m]
    return [i for i, x in enumerate(xs) if abs(x - m) / spread > threshold]


@dataclass(frozen=True)
class Steadiness:
    """Outcome of the windowed stability test on the most recent samples."""

    steady: bool
    window_medians: tuple[float, ...]
    spread_rel: float  # (max - min) of the window medians / their median
    allowed_rel: float  # what the test allowed: max(tolerance, noise term)


def steadiness(tail: Sequence[float], windows: int, tolerance: float) -> Steadiness:
    """Split `tail` into `windows` equal consecutive windows and test that their medians agree.

    The medians may differ by the larger of `tolerance` (relative) and three standard errors of
    a window median (1.2533 x robust SD / sqrt(window)), so noise alone does not block a verdict
    while a trend larger than the noise does.
    """
    w = len(tail) // windows
    if w < 1:
        raise ValueError("fewer samples than windows")
    chunks = [tail[i * w : (i + 1) * w] for i in range(windows)]
    meds = tuple(median(c) for c in chunks)
    center = median(meds)
    pooled = [x for c in chunks for x in c]
    noise = 3 * 1.2533 * robust_sd(pooled) / math.sqrt(w)
    allowed = max(tolerance, noise / center if center > 0 else math.inf)
    spread = (max(meds) - min(meds)) / center if center > 0 else math.inf
    return Steadiness(spread <= allowed, meds, spread, allowed)


@dataclass(frozen=True)
class Summary:
    """Statistics derived from one series of per-call durations (seconds)."""

    n: int
    mean: float
    std: float
    median: float
    median_ci: tuple[float, float] | None
    q1: float
    q3: float
    iqr: float
    min: float
    max: float
    cv: float
    mad: float
    confidence: float
    percentiles: dict[float, float | None]  # None: too few samples (see min_samples_for_percentile)

    @property
    def median_ci_rel(self) -> float | None:
        """Relative half-width of the median's CI (the stopping rule's quantity)."""
        return relative_half_width(self.median, self.median_ci)

    @property
    def iqr_rel(self) -> float:
        return self.iqr / self.median if self.median > 0 else math.inf


TAIL_PERCENTILES = (0.90, 0.95, 0.99)


def summarize(xs: Sequence[float], confidence: float = 0.95) -> Summary:
    """Every statistic infertime reports, derived from raw samples in time order."""
    if not xs:
        raise ValueError("cannot summarize an empty series")
    s = sorted(xs)
    m = mean(s)
    sd = sample_std(s)
    med = quantile(s, 0.5)
    q1, q3 = quantile(s, 0.25), quantile(s, 0.75)
    tails = {
        q: (quantile(s, q) if len(s) >= min_samples_for_percentile(q) else None)
        for q in TAIL_PERCENTILES
    }
    return Summary(
        n=len(s),
        mean=m,
        std=sd,
        median=med,
        median_ci=median_ci(xs, confidence),
        q1=q1,
        q3=q3,
        iqr=q3 - q1,
        min=s[0],
        max=s[-1],
        cv=sd / m if m > 0 else math.inf,
        mad=mad(s),
        confidence=confidence,
        percentiles=tails,
    )
