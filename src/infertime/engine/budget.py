"""The highest-throughput batch whose latency (p99 or median) meets a budget.

A p99 is checked with a one-sided upper confidence bound (an order statistic of single-call
latency samples, stats.quantile_upper_bound): a batch meets the budget when the bound does,
so the chosen batch's true p99 is within budget with the stated confidence. Candidates are
walked from the highest throughput down until one passes, bounded by time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import stats
from ..records import Series
from .curve import CurvePoint, midpoint, ok_points

P99_SAMPLES = stats.min_samples_for_percentile(0.99)
BOUND_CONFIDENCE = 0.95  # one-sided: P(true p99 <= the bound used) >= this


@dataclass(frozen=True)
class BudgetChoice:
    budget_s: float
    stat: str  # "p99" or "median"
    batch: int | None
    items_per_s: float | None
    value_s: float | None  # the statistic (p99: its upper bound) at the chosen batch
    samples: int
    # p99: the one-sided confidence that the true p99 is at most `value_s`; None for a
    # median, which is a point estimate from the curve point.
    confidence: float | None
    message: str
    tail: Series | None = None  # the single-call latency samples behind a p99
    checked: tuple[int, ...] = ()  # batches whose tails were measured, in order


def p99_bound(samples: tuple[float, ...]) -> tuple[float | None, str]:
    """A 95 % upper bound of p99 from single-call samples, or None with the reason."""
    s = sorted(samples)
    inflation = stats.serial_inflation(samples, q=0.99)
    bound = stats.quantile_upper_bound(s, 0.99, BOUND_CONFIDENCE, inflation)
    if bound is None:
        return None, (
            f"p99 cannot be bounded from {len(s)} samples (worth {len(s) / inflation:.0f} "
            f"independent ones; a {BOUND_CONFIDENCE:.0%} upper bound needs 299)"
        )
    return bound, f"{BOUND_CONFIDENCE:.0%} upper bound of p99 from {len(s)} samples"


def _median(p: CurvePoint) -> float:
    assert p.latency is not None
    return p.latency.summary.median


def refine_median_crossing(
    points: list[CurvePoint],
    budget_s: float,
    measure: Callable[[int, str], CurvePoint],
    max_refine: int,
) -> None:
    """Bisect where the median latency crosses the budget (no p99 can pass above that)."""
    for _ in range(max_refine):
        ok = ok_points(points)
        passing = [p for p in ok if _median(p) <= budget_s]
        if not passing:
            return
        top = max(p.batch for p in passing)
        failing = [p for p in ok if _median(p) > budget_s and p.batch > top]
        if not failing:
            return
        m = midpoint(top, min(p.batch for p in failing))
        if m is None or any(p.batch == m for p in points):
            return
        points.append(measure(m, "budget"))


def choose_under_budget(
    points: list[CurvePoint],
    budget_s: float,
    stat: str,
    measure: Callable[[int, str], CurvePoint],
    tail_latency: Callable[[int], Series],
    now_s: Callable[[], float],
    max_time_s: float,
    max_refine: int = 3,
) -> BudgetChoice:
    """Refine where the median crosses the budget, then walk the candidates (highest
    throughput first) until one's p99 bound meets it, or the time allowed runs out."""
    refine_median_crossing(points, budget_s, measure, max_refine)
    ok = ok_points(points)
    candidates = sorted(
        (p for p in ok if _median(p) <= budget_s), key=lambda p: (-p.items_per_s, p.batch)
    )
    if not candidates:
        smallest = ok[0]
        return BudgetChoice(
            budget_s,
            stat,
            None,
            None,
            _median(smallest),
            0,
            None,
            f"no batch meets the budget: batch {smallest.batch} already has a median latency of "
            f"{_median(smallest) * 1e3:.3g} ms",
        )
    if stat == "median":
        c = candidates[0]
        assert c.latency is not None
        return BudgetChoice(
            budget_s,
            stat,
            c.batch,
            c.items_per_s,
            _median(c),
            c.latency.summary.n,
            None,
            f"batch {c.batch}: median latency {_median(c) * 1e3:.3g} ms",
        )
    start = now_s()
    checked: list[int] = []
    unbounded: list[int] = []
    for c in candidates:
        if checked and now_s() - start > max_time_s:
            break
        tail = tail_latency(c.batch)
        checked.append(c.batch)
        value, how = p99_bound(tail.samples_s)
        if value is None:
            unbounded.append(c.batch)
            continue
        if value <= budget_s:
            return BudgetChoice(
                budget_s,
                stat,
                c.batch,
                c.items_per_s,
                value,
                len(tail.samples_s),
                BOUND_CONFIDENCE,
                f"batch {c.batch}: {how}: {value * 1e3:.3g} ms",
                tail,
                tuple(checked),
            )
    left = len(candidates) - len(checked)
    why = f"{len(checked)} batches whose median fits have slower tails"
    if unbounded:
        why += f" (at batches {unbounded} p99 could not be bounded in the time allowed)"
    if left:
        why += f"; {left} smaller batches were not checked within {max_time_s:g} s"
    return BudgetChoice(
        budget_s,
        stat,
        None,
        None,
        None,
        0,
        BOUND_CONFIDENCE,
        f"no batch meets a p99 of {budget_s * 1e3:.3g} ms: {why}",
        checked=tuple(checked),
    )
