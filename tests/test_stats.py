"""Statistics: quantiles, distribution-free CIs, percentile floors, steadiness, outliers."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from infertime import stats


def test_quantile_matches_numpy_type_7() -> None:
    rng = random.Random(1)
    xs = sorted(rng.lognormvariate(0, 0.3) for _ in range(101))
    for q in (0.0, 0.1, 0.25, 0.5, 0.9, 0.99, 1.0):
        assert stats.quantile(xs, q) == pytest.approx(float(np.quantile(xs, q)), rel=1e-12)


def test_median_ci_needs_six_samples_at_95_percent() -> None:
    assert stats.order_statistic_ci_ranks(5, 0.5, 0.95) is None
    assert stats.order_statistic_ci_ranks(6, 0.5, 0.95) == (0, 5)


def _coverage(n: int, q: float, lo: int, hi: int) -> float:
    # P(lo+1 <= X <= hi) for X ~ Bin(n, q): the true quantile lies between x_(lo) and x_(hi).
    return sum(math.comb(n, k) * q**k * (1 - q) ** (n - k) for k in range(lo + 1, hi + 1))


@pytest.mark.parametrize("n", [6, 10, 31, 64, 100, 333, 1000])
@pytest.mark.parametrize("q", [0.5, 0.9])
def test_order_statistic_ci_covers_at_least_the_confidence(n: int, q: float) -> None:
    ranks = stats.order_statistic_ci_ranks(n, q, 0.95)
    if ranks is None:
        assert q == 0.9 and n < 40
        return
    assert _coverage(n, q, *ranks) >= 0.95


def test_normal_approximation_continues_the_exact_ranks() -> None:
    exact = stats.order_statistic_ci_ranks(2000, 0.5, 0.95)
    approx = stats.order_statistic_ci_ranks(2001, 0.5, 0.95)
    assert exact is not None and approx is not None
    assert abs(exact[0] - approx[0]) <= 2 and abs(exact[1] - approx[1]) <= 3


def test_percentile_floors_follow_mlperf() -> None:
    # P(Binomial(n, 1 - q) <= 1) < 1 %, LoadGen's early-stopping rule.
    assert stats.min_samples_for_percentile(0.90) == 64
    assert stats.min_samples_for_percentile(0.95) == 130
    assert stats.min_samples_for_percentile(0.99) == 662
    assert stats.min_samples_for_percentile(0.999) == 6636
    s63 = stats.summarize([1.0 + i * 1e-3 for i in range(63)])
    assert s63.percentiles[0.90] is None
    s64 = stats.summarize([1.0 + i * 1e-3 for i in range(64)])
    assert s64.percentiles[0.90] is not None and s64.percentiles[0.99] is None
    xs = [1.0 + i * 1e-3 for i in range(662)]
    assert stats.summarize(xs).percentiles[0.99] == pytest.approx(float(np.quantile(xs, 0.99)))


def test_summary_fields() -> None:
    xs = [1.0, 2.0, 3.0, 4.0, 100.0, 2.5, 3.5]
    s = stats.summarize(xs)
    assert s.n == 7 and s.min == 1.0 and s.max == 100.0
    assert s.median == 3.0
    assert s.mean == pytest.approx(np.mean(xs))
    assert s.std == pytest.approx(np.std(xs, ddof=1))
    assert s.iqr == pytest.approx(np.quantile(xs, 0.75) - np.quantile(xs, 0.25))
    assert s.cv == pytest.approx(s.std / s.mean)
    # Seven samples cannot rule out serial correlation: no CI is claimed.
    assert s.median_ci is None


def test_steadiness_accepts_noise_and_rejects_a_trend() -> None:
    rng = random.Random(3)
    flat = [1.0 + rng.gauss(0, 0.05) for _ in range(60)]
    assert stats.steadiness(flat, 3, 0.01).steady
    trend = [1.0 + 0.01 * i for i in range(60)]
    result = stats.steadiness(trend, 3, 0.02)
    assert not result.steady and result.spread_rel > result.allowed_rel


def test_mad_outliers_finds_the_slow_samples() -> None:
    xs = [1.0 + 0.01 * (i % 5) for i in range(50)] + [3.0, 5.0]
    assert stats.mad_outliers(xs) == [50, 51]
    assert stats.mad_outliers([2.0] * 10) == []


def test_t_quantile_matches_tables() -> None:
    for df, expected in ((1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (9, 2.262), (30, 2.042)):
        assert stats.t_quantile(0.975, df) == pytest.approx(expected, abs=1e-3)


def _ar1(n: int, phi: float, seed: int) -> list[float]:
    rng = random.Random(seed)
    x, out = 0.0, []
    for _ in range(n):
        x = phi * x + rng.gauss(0, 0.03)
        out.append(1.0 + x)
    return out


def test_median_ci_widens_for_correlated_samples_and_not_for_independent_ones() -> None:
    rng = random.Random(5)
    iid = [1.0 + rng.gauss(0, 0.03) for _ in range(400)]
    s = sorted(iid)
    plain = stats.relative_half_width(stats.quantile(s, 0.5), stats.quantile_ci(s, 0.5))
    combined = stats.median_ci_half_width(iid)
    assert plain is not None and combined is not None
    assert combined < 1.6 * plain  # independent data: about the same interval
    wavy = _ar1(400, 0.95, seed=6)
    s = sorted(wavy)
    plain = stats.relative_half_width(stats.quantile(s, 0.5), stats.quantile_ci(s, 0.5))
    combined = stats.median_ci_half_width(wavy)
    assert plain is not None and combined is not None and combined > 2 * plain


def test_median_ci_coverage_under_autocorrelation() -> None:
    # The true median of this AR(1) process is 1.0: count how often the CI covers it.
    covered = 0
    for seed in range(200):
        ci = stats.median_ci(_ar1(300, 0.9, seed))
        assert ci is not None
        covered += ci[0] <= 1.0 <= ci[1]
    assert covered / 200 >= 0.85  # an independent-samples interval covers about half as often


def test_ties_and_float_rounding_carry_no_order() -> None:
    # A constant series in float noise: without tied ranks its rounding pattern looks like
    # strong serial correlation and no CI would ever be claimed.
    xs = [1e-3 + (1e-19 if i % 3 == 0 else 0.0) for i in range(100)]
    assert stats.serial_inflation(xs) < 1.6


def test_serial_inflation_follows_the_correlation() -> None:
    rng = random.Random(8)
    iid = [rng.gauss(0, 1) for _ in range(2000)]
    assert stats.serial_inflation(iid) < 1.2
    ar = _ar1(2000, 0.8, seed=9)  # the median's inflation under AR(1) 0.8 is 6.39
    assert 4.5 < stats.serial_inflation(ar) < 9
    assert stats.indicator_inflation(0.8, 0.99) < stats.indicator_inflation(0.8, 0.5)


def test_tails_come_with_cis_and_only_from_single_calls() -> None:
    rng = random.Random(4)
    xs = [rng.lognormvariate(0, 0.2) for _ in range(700)]
    s = stats.summarize(xs)
    p99 = s.tails[-1]
    assert p99.value is not None and p99.ci is not None and p99.ci[0] <= p99.value <= p99.ci[1]
    blocked = stats.summarize(xs, calls_per_sample=8)
    assert all(t.value is None and "mean of 8 calls" in (t.withheld or "") for t in blocked.tails)
    assert not blocked.per_call


def test_upper_bound_of_p99_holds_with_its_confidence() -> None:
    rng = random.Random(12)
    truth = math.exp(0.3 * 2.3263478740408408)  # the lognormal's p99
    held = total = 0
    for _ in range(400):
        xs = sorted(rng.lognormvariate(0, 0.3) for _ in range(400))
        bound = stats.quantile_upper_bound(xs, 0.99, 0.95)
        assert bound is not None
        total += 1
        held += bound >= truth
    assert held / total >= 0.93
    assert stats.quantile_upper_bound(sorted(rng.random() for _ in range(298)), 0.99) is None


def test_a_trend_is_found_through_noise_and_not_in_noise() -> None:
    rng = random.Random(5)
    falling = [1.0 - 0.001 * i + rng.gauss(0, 0.02) for i in range(200)]
    change = stats.significant_trend([falling])
    assert change is not None and change < -0.05
    flat = [1.0 + rng.gauss(0, 0.02) for _ in range(200)]
    assert stats.significant_trend([flat]) is None
    ar = _ar1(300, 0.8, seed=13)  # slow wander without a trend: no false alarm here
    assert stats.significant_trend([ar]) is None


def test_t_quantile_is_not_clamped() -> None:
    assert stats.t_quantile(0.99999, 1) > 1000
