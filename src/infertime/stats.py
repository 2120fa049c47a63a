"""Pure statistics on raw samples: quantiles, distribution-free CIs, spread, steadiness.

Estimators (named in docs/statistics.md):
- quantiles: linear interpolation between order statistics (Hyndman & Fan type 7, numpy's default);
- CI of a quantile: distribution-free, from binomial order statistics (exact up to 2000 samples,
  normal approximation beyond), with the variance inflated by the serial correlation of the
  series (`serial_inflation`), so that correlated samples do not count as independent ones;
- CI of the median of a series (what infertime reports and stops on): the wider of that interval
  and a batch-medians interval (up to 10 consecutive batches, median ± t(b - 1) x SD of batch
  medians / sqrt(b)), which also sees slow states that an AR(1) model of the noise misses;
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


@lru_cache(maxsize=64)
def min_samples_for_percentile(q: float) -> int:
    """Fewest samples for which a q-quantile (0 < q < 1) of the tail is reported.

    MLPerf LoadGen's rule (early stopping, SingleStream): the smallest n with
    P(Binomial(n, 1 - q) <= 1) < 1 %, at which the second-largest sample is a 99 % upper bound
    of the percentile. It gives 64 for p90, 130 for p95, 662 for p99 and 6636 for p99.9.
    """
    p = 1.0 - q
    n = 2
    while True:
        # P(X <= 1) = (1 - p)^n + n p (1 - p)^(n - 1), in logs to stay finite.
        log_q = math.log1p(-p)
        tail = math.exp(n * log_q) + n * p * math.exp((n - 1) * log_q)
        if tail < 0.01:
            return n
        n += 1


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
def order_statistic_ci_ranks(
    n: int, q: float, confidence: float, inflation: float = 1.0
) -> tuple[int, int] | None:
    """0-based ranks (lo, hi) such that [x_lo, x_hi] covers the q-quantile with >= confidence.

    `inflation` > 1: the samples are serially correlated, and the count of samples at or below
    the quantile varies that many times more than a binomial count; the ranks then come from
    the normal approximation with that variance, and are never narrower than the exact
    independent-samples ranks. Returns None when n is too small for any such interval (e.g.
    n < 6 for the median at 95 % with independent samples).
    """
    if n < 1:
        return None
    iid = _iid_ranks(n, q, confidence)
    if inflation <= 1.0 or iid is None:
        return iid
    z = NormalDist().inv_cdf(1 - (1.0 - confidence) / 2)
    half = z * math.sqrt(n * q * (1 - q) * inflation)
    lo_rank = math.floor(n * q - half)
    hi_rank = math.ceil(n * q + half) + 1
    if lo_rank < 1 or hi_rank > n:
        return None
    return min(lo_rank - 1, iid[0]), max(hi_rank - 1, iid[1])


def _iid_ranks(n: int, q: float, confidence: float) -> tuple[int, int] | None:
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
    sorted_xs: Sequence[float], q: float, confidence: float = 0.95, inflation: float = 1.0
) -> tuple[float, float] | None:
    """Distribution-free confidence interval of the q-quantile, or None with too few samples.

    `inflation`: the serial-correlation inflation of the series the values came from.
    """
    ranks = order_statistic_ci_ranks(len(sorted_xs), q, confidence, _rounded(inflation))
    if ranks is None:
        return None
    return sorted_xs[ranks[0]], sorted_xs[ranks[1]]


def quantile_upper_bound(
    sorted_xs: Sequence[float], q: float, confidence: float = 0.95, inflation: float = 1.0
) -> float | None:
    """A one-sided upper confidence bound of the q-quantile: the smallest order statistic
    x_(k) with P(x_(k) >= the quantile) >= confidence, or None when even the largest sample
    does not qualify (for p99 at 95 % with independent samples: fewer than 299 samples)."""
    n = len(sorted_xs)
    if n == 0:
        return None
    if inflation <= 1.0 and n <= EXACT_BINOMIAL_MAX_N:
        # x_(k) >= quantile  <=>  fewer than k samples lie below it: P(Bin(n, q) <= k - 1).
        cdf = _binomial_cdf(n, q)
        k = next((k for k in range(1, n + 1) if cdf[k - 1] >= confidence), None)
    else:
        z = NormalDist().inv_cdf(confidence)
        k = math.ceil(n * q + z * math.sqrt(n * q * (1 - q) * max(inflation, 1.0))) + 1
        if k > n:
            k = None
    return sorted_xs[k - 1] if k is not None else None


# The AR(1) coefficient is raised by this many standard errors before it inflates a CI: an
# estimate from a short series is uncertain, and too small a one makes the CI too narrow.
SERIAL_UPPER_SE = 1.0
MAX_SERIAL_PHI = 0.99


def centred_ranks(xs: Sequence[float]) -> list[float]:
    """Ranks minus their mean; tied values (equal to 12 significant digits, as timer ticks and
    float rounding make them) share their average rank, so ties carry no order."""
    n = len(xs)
    keys = [float(f"{x:.12g}") for x in xs]
    order = sorted(range(n), key=keys.__getitem__)
    ranks = [0.0] * n
    start = 0
    while start < n:
        end = start
        while end + 1 < n and keys[order[end + 1]] == keys[order[start]]:
            end += 1
        for j in range(start, end + 1):
            ranks[order[j]] = (start + end) / 2 - (n - 1) / 2
        start = end + 1
    return ranks


def lag1_rank_correlation(xs: Sequence[float]) -> float:
    """Lag-1 autocorrelation of the ranks of a time-ordered series (robust to outliers)."""
    n = len(xs)
    if n < 3:
        return 0.0
    ranks = centred_ranks(xs)
    den = math.fsum(r * r for r in ranks)
    if den == 0:
        return 0.0
    return math.fsum(ranks[i] * ranks[i + 1] for i in range(n - 1)) / den


def serial_phi(xs: Sequence[float], upper_se: float = SERIAL_UPPER_SE) -> float:
    """The AR(1) coefficient of a Gaussian-copula model of the series: from the lag-1 rank
    correlation (phi = 2 sin(pi rho / 6)), corrected for its small-sample bias ((1 + 4 phi) / n)
    and raised by `upper_se` standard errors; 0 means independent samples."""
    n = len(xs)
    if n < 3:
        return 0.0
    rho = lag1_rank_correlation(xs)
    phi = 2 * math.sin(math.pi * rho / 6)
    phi += (1 + 4 * max(phi, 0.0)) / n
    phi += upper_se * math.sqrt(max(1 - phi * phi, 0.01) / n)
    return round(min(max(phi, 0.0), MAX_SERIAL_PHI), 3)


def serial_inflation(
    xs: Sequence[float], upper_se: float = SERIAL_UPPER_SE, q: float = 0.5
) -> float:
    """How many times more the q-quantile's estimate varies than with independent samples
    (`indicator_inflation` of `serial_phi`); 1.0 means independent samples."""
    return indicator_inflation(serial_phi(xs, upper_se), q)


@lru_cache(maxsize=4096)
def indicator_inflation(phi: float, q: float = 0.5) -> float:
    """1 + 2 sum_k rho_k, the autocorrelations of the indicator {x <= q-quantile} under a
    Gaussian-copula AR(1) with coefficient phi: the variance inflation of a quantile estimate.

    rho_k = (P(both below) - q^2) / (q (1 - q)), where P(both below) - q^2 =
    (1 / 2 pi) integral_0^asin(phi^k) exp(-h^2 / (1 + sin t)) dt, h = the normal q-quantile;
    for the median that is (2 / pi) asin(phi^k). Tail quantiles decorrelate faster.
    """
    h = NormalDist().inv_cdf(q)
    total, power = 1.0, phi
    while power > 1e-6:
        top = math.asin(power)
        steps = 16  # Simpson's rule: the integrand is smooth in t
        width = top / steps
        acc = 0.0
        for i in range(steps + 1):
            t = i * width
            weight = 1 if i in (0, steps) else (4 if i % 2 else 2)
            acc += weight * math.exp(-h * h / (1 + math.sin(t)))
        joint = acc * width / 3 / (2 * math.pi)
        term = joint / (q * (1 - q))
        total += 2 * term
        if term < 1e-6:
            break
        power *= phi
    return total


def detrended(xs: Sequence[float]) -> list[float]:
    """The series minus its least-squares line in time: what is left when a drift is removed."""
    n = len(xs)
    if n < 3:
        return list(xs)
    t_mean = (n - 1) / 2
    x_mean = mean(xs)
    sxx = math.fsum((i - t_mean) ** 2 for i in range(n))
    slope = math.fsum((i - t_mean) * (x - x_mean) for i, x in enumerate(xs)) / sxx
    return [x - slope * (i - t_mean) for i, x in enumerate(xs)]


@dataclass(frozen=True)
class Trend:
    """Whether a time-ordered series moves: the rank correlation of value with time, its z
    score (allowing for serial correlation), and how much the second half differs from the
    first (median of the paired differences x[i + n/2] - x[i], relative to the median)."""

    n: int
    rho: float
    z: float
    change_rel: float


def trend(xs: Sequence[float]) -> Trend | None:
    """Spearman's correlation with time, tested with an effective sample size: under AR(1)
    noise its variance grows by (1 + phi) / (1 - phi), phi estimated from the detrended series.
    None below 8 samples."""
    n = len(xs)
    if n < 8:
        return None
    ranks = centred_ranks(xs)
    t = [i - (n - 1) / 2 for i in range(n)]
    den = math.sqrt(math.fsum(r * r for r in ranks) * math.fsum(u * u for u in t))
    rho = math.fsum(r * u for r, u in zip(ranks, t, strict=True)) / den if den else 0.0
    residual = detrended(xs)
    phi = 2 * math.sin(math.pi * lag1_rank_correlation(residual) / 6)
    phi = min(max(phi + (1 + 4 * max(phi, 0.0)) / n, 0.0), MAX_SERIAL_PHI)
    variance = (1 + phi) / (1 - phi) / (n - 1)
    h = n // 2
    level = median(xs)
    change = median([xs[i + h] - xs[i] for i in range(n - h)]) / level if level > 0 else 0.0
    return Trend(n, rho, rho / math.sqrt(variance), change)


# A trend must be this many standard errors from none to count (two-sided 99 %: a finding that
# a figure moved should rarely be noise), and move the level by at least TREND_MIN_REL.
TREND_Z = 2.576
TREND_MIN_REL = 0.01
# The first warm-up calls carry first-call costs that warm-up exists to wait out.
WARMUP_SKIP = 10


def significant_trend(
    segments: Sequence[Sequence[float]], z_needed: float = TREND_Z
) -> float | None:
    """The relative change from first to second half, pooled over segments measured one after
    the other, when their trends together are significant (Stouffer's z weighted by samples,
    at least `z_needed`); None when there is no such trend, or no segment has 8 samples."""
    trends = [t for t in (trend(xs) for xs in segments) if t is not None]
    if not trends:
        return None
    total = sum(t.n for t in trends)
    z = sum(t.z * math.sqrt(t.n) for t in trends) / math.sqrt(total)
    change = sum(t.change_rel * t.n for t in trends) / total
    if abs(z) < z_needed or abs(change) < TREND_MIN_REL or (z > 0) != (change > 0):
        return None
    return change


def _rounded(inflation: float) -> float:
    return round(inflation, 2) if inflation > 1.0 else 1.0


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
    while _t_central_mass(hi, df) < target:  # df = 1 at very high confidence needs more room
        lo, hi = hi, hi * 10
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


def median_ci(
    xs: Sequence[float], confidence: float = 0.95, inflation: float | None = None
) -> tuple[float, float] | None:
    """CI of the median of a time-ordered series: the order-statistic CI with the serial
    inflation (computed here unless given), widened by the batch-medians interval."""
    s = sorted(xs)
    f = serial_inflation(xs) if inflation is None else inflation
    iid = quantile_ci(s, 0.5, confidence, f)
    if iid is None:
        return None
    half = batch_median_half_width(xs, confidence)
    if half is None:
        return iid
    center = quantile(s, 0.5)
    # The batch-medians widening is symmetric and can pass the data (a few slow samples in
    # one batch): no median of these samples can lie outside them, so neither can its CI.
    return max(s[0], min(iid[0], center - half)), min(s[-1], max(iid[1], center + half))


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
    while a trend larger than the noise does. The noise is measured within each window (as
    deviations from the window's own median), so a trend does not widen its own tolerance.
    """
    w = len(tail) // windows
    if w < 1:
        raise ValueError("fewer samples than windows")
    chunks = [tail[i * w : (i + 1) * w] for i in range(windows)]
    meds = tuple(median(c) for c in chunks)
    center = median(meds)
    within = [x - m for c, m in zip(chunks, meds, strict=True) for x in c]
    noise = 3 * 1.2533 * MAD_TO_SD * median([abs(d) for d in within]) / math.sqrt(w)
    allowed = max(tolerance, noise / center if center > 0 else math.inf)
    spread = (max(meds) - min(meds)) / center if center > 0 else math.inf
    return Steadiness(spread <= allowed, meds, spread, allowed)


@dataclass(frozen=True)
class Tail:
    """One tail percentile of single calls: its value and CI, or why there is none."""

    q: float
    value: float | None
    ci: tuple[float, float] | None  # distribution-free, with the series' serial inflation
    min_samples: int  # MLPerf's floor for this percentile
    withheld: str | None = None  # why `value` is None

    @property
    def label(self) -> str:
        return f"p{q_label(self.q)}"


def q_label(q: float) -> str:
    """0.9 -> '90', 0.999 -> '99.9'."""
    return f"{q * 100:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class Summary:
    """Statistics derived from one series of per-call durations (seconds).

    When a sample is the mean of several calls (`calls_per_sample` > 1), the spread figures
    (std, IQR, min, max, CV) describe those means, not single calls, and the tail percentiles
    are withheld: a mean of k calls hides the slow ones.
    """

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
    tails: tuple[Tail, ...]
    calls_per_sample: int = 1
    inflation: float = 1.0  # serial-correlation inflation of the CIs (1: independent samples)

    @property
    def per_call(self) -> bool:
        """Whether each sample is one call, so spread and tails are those of single calls."""
        return self.calls_per_sample == 1

    @property
    def effective_n(self) -> float:
        """Samples worth of independent information: n / inflation."""
        return self.n / self.inflation

    @property
    def percentiles(self) -> dict[float, float | None]:
        return {t.q: t.value for t in self.tails}

    @property
    def median_ci_rel(self) -> float | None:
        """Relative half-width of the median's CI (the stopping rule's quantity)."""
        return relative_half_width(self.median, self.median_ci)

    @property
    def iqr_rel(self) -> float:
        return self.iqr / self.median if self.median > 0 else math.inf


TAIL_PERCENTILES = (0.90, 0.95, 0.99)


def tail(sorted_xs: Sequence[float], q: float, confidence: float, phi: float, calls: int) -> Tail:
    """The q-quantile of single calls with its CI, once there are MLPerf's floor of samples."""
    floor = min_samples_for_percentile(q)
    if calls > 1:
        why = f"each sample is the mean of {calls} calls, which hides the slow ones"
        return Tail(q, None, None, floor, why)
    if len(sorted_xs) < floor:
        return Tail(q, None, None, floor, f"needs {floor} samples, have {len(sorted_xs)}")
    ci = quantile_ci(sorted_xs, q, confidence, indicator_inflation(phi, q))
    return Tail(q, quantile(sorted_xs, q), ci, floor)


def summarize(xs: Sequence[float], confidence: float = 0.95, calls_per_sample: int = 1) -> Summary:
    """Every statistic infertime reports, derived from raw samples in time order."""
    if not xs:
        raise ValueError("cannot summarize an empty series")
    s = sorted(xs)
    m = mean(s)
    sd = sample_std(s)
    med = quantile(s, 0.5)
    q1, q3 = quantile(s, 0.25), quantile(s, 0.75)
    phi = serial_phi(xs)
    inflation = indicator_inflation(phi)
    tails = tuple(tail(s, q, confidence, phi, calls_per_sample) for q in TAIL_PERCENTILES)
    return Summary(
        n=len(s),
        mean=m,
        std=sd,
        median=med,
        median_ci=median_ci(xs, confidence, inflation),
        q1=q1,
        q3=q3,
        iqr=q3 - q1,
        min=s[0],
        max=s[-1],
        cv=sd / m if m > 0 else math.inf,
        mad=mad(s),
        confidence=confidence,
        tails=tails,
        calls_per_sample=calls_per_sample,
        inflation=inflation,
    )
