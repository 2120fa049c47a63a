"""The highest-throughput batch whose latency (p99 or median) meets a budget."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import stats
from ..records import Series
from .curve import CurvePoint, midpoint, ok_points

P99_SAMPLES = stats.min_samples_for_percentile(0.99)


@dataclass(frozen=True)
class BudgetChoice:
    budget_s: float
    stat: str  # "p99" or "median"
    batch: int | None
    items_per_s: float | None
    value_s: float | None  # the statistic at the chosen batch
    samples: int
    exact: bool  # False: p99 from fewer than 662 samples, a conservative bound is used
    message: str
    tail: Series | None = None  # the extra latency samples behind a p99


def p99_estimate(samples: tuple[float, ...]) -> tuple[float, bool, str]:
    """p99 with 662 samples or more; otherwise a conservative upper value, labelled as such."""
    s = sorted(samples)
    if len(s) >= P99_SAMPLES:
        return stats.quantile(s, 0.99), True, f"p99 from {len(s)} samples"
    ci = stats.quantile_ci(s, 0.99)
    if ci is not None:
        return (
            ci[1],
            False,
            f"upper 95 % bound of p99 from {len(s)} samples (p99 needs {P99_SAMPLES})",
        )
    return (
        s[-1],
        False,
        f"largest of {len(s)} samples, a conservative p99 (p99 needs {P99_SAMPLES})",
    )


def choose_under_budget(
    points: list[CurvePoint],
    budget_s: float,
    stat: str,
    measure: Callable[[int, str], CurvePoint],
    tail_latency: Callable[[int], Series],
    max_refine: int = 3,
    max_candidates: int = 3,
) -> BudgetChoice:
    """Refine the grid where the median crosses the budget, then check candidates' tails."""

    def median_latency(p: CurvePoint) -> float:
        assert p.latency is not None
        return p.latency.summary.median

    for _ in range(max_refine):
        ok = ok_points(points)
        passing = [p for p in ok if median_latency(p) <= budget_s]
        if not passing:
            break
        top = max(p.batch for p in passing)
        failing = [p for p in ok if median_latency(p) > budget_s and p.batch > top]
        if not failing:
            break
        m = midpoint(top, min(p.batch for p in failing))
        if m is None or any(p.batch == m for p in points):
            break
        points.append(measure(m, "budget"))
    ok = ok_points(points)
    candidates = sorted(
        (p for p in ok if median_latency(p) <= budget_s), key=lambda p: (-p.items_per_s, p.batch)
    )
    if not candidates:
        smallest = ok[0]
        return BudgetChoice(
            budget_s,
            stat,
            None,
            None,
            median_latency(smallest),
            0,
            True,
            f"no batch meets the budget: batch {smallest.batch} already has a median latency of "
            f"{median_latency(smallest) * 1e3:.3g} ms",
        )
    for c in candidates[:max_candidates]:
        if stat == "median":
            assert c.latency is not None
            return BudgetChoice(
                budget_s,
                stat,
                c.batch,
                c.items_per_s,
                median_latency(c),
                c.latency.summary.n,
                True,
                f"batch {c.batch}: median latency {median_latency(c) * 1e3:.3g} ms",
            )
        tail = tail_latency(c.batch)
        value, exact, how = p99_estimate(tail.samples_s)
        if value <= budget_s:
            return BudgetChoice(
                budget_s,
                stat,
                c.batch,
                c.items_per_s,
                value,
                len(tail.samples_s),
                exact,
                f"batch {c.batch}: {how}: {value * 1e3:.3g} ms",
                tail,
            )
    return BudgetChoice(
        budget_s,
        stat,
        None,
        None,
        None,
        0,
        True,
        f"no batch meets a p99 of {budget_s * 1e3:.3g} ms: the {len(candidates[:max_candidates])} "
        "batches whose median fits have slower tails",
    )
