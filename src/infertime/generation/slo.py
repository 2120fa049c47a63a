"""Latency limits for generation (`--slo ttft=500ms,tpot=30ms`) and the largest batch that
meets them, with tokens/s per GPU against tokens/s per user; pure and torch-free.

A batch meets a limit when a one-sided 95 % upper confidence bound of the statistic does:
for the median, the order statistic from `stats.quantile_upper_bound` (widened for serial
correlation between calls); for p99, `engine.budget.p99_bound`, which needs about 299
independent calls and otherwise says why there is none. So a chosen batch's true median (or
p99) TTFT and TPOT are within the limits with 95 % confidence each.

The search doubles the batch from 1 until a batch fails a limit, runs out of memory or passes
the largest allowed, then bisects between the last passing and the first failing batch:
at most 2 log2(max) + 2 probes (issue 21, G7). It assumes TTFT and TPOT grow with the batch.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import stats
from ..engine.budget import BOUND_CONFIDENCE, p99_bound
from ..errors import ConfigError, option

SLO_STATS = ("median", "p99")
_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}
_ITEM = re.compile(r"^\s*(ttft|tpot)\s*=\s*([0-9]*\.?[0-9]+(?:e-?[0-9]+)?)\s*(s|ms|us|µs)\s*$")


@dataclass(frozen=True)
class Slo:
    """Upper limits on TTFT and TPOT (seconds; None: no limit), on the median or p99."""

    ttft_s: float | None = None
    tpot_s: float | None = None
    stat: str = "median"

    def __post_init__(self) -> None:
        if self.ttft_s is None and self.tpot_s is None:
            raise ConfigError(f"{option('slo')} needs a limit on ttft, tpot or both")
        for name, v in (("ttft", self.ttft_s), ("tpot", self.tpot_s)):
            if v is not None and not (math.isfinite(v) and v > 0):
                raise ConfigError(f"{option('slo')} {name} must be a positive time, got {v}")
        if self.stat not in SLO_STATS:
            raise ConfigError(f"the SLO statistic must be median or p99, got {self.stat!r}")

    def text(self) -> str:
        parts = [
            f"{k}={v * 1e3:g}ms"
            for k, v in (("ttft", self.ttft_s), ("tpot", self.tpot_s))
            if v is not None
        ]
        return ",".join(parts) + f" ({self.stat})"


def parse_slo(text: str, stat: str = "median") -> Slo:
    """'ttft=500ms,tpot=30ms' (units s, ms, us) -> Slo."""
    limits: dict[str, float] = {}
    for item in text.split(","):
        m = _ITEM.match(item)
        if not m:
            raise ConfigError(
                f"{option('slo')} takes ttft=TIME,tpot=TIME with a unit (s, ms, us): {item!r}",
                advice="e.g. --slo ttft=500ms,tpot=30ms",
            )
        key, value, unit = m.groups()
        if key in limits:
            raise ConfigError(f"{option('slo')} gives {key} twice")
        limits[key] = float(value) * _UNITS[unit]
    return Slo(limits.get("ttft"), limits.get("tpot"), stat)


def upper_bound(values: Sequence[float], stat: str) -> tuple[float | None, str]:
    """A one-sided 95 % upper bound of the median or p99 of per-call values (time order)."""
    if stat == "p99":
        return p99_bound(tuple(values))
    s = sorted(values)
    inflation = stats.serial_inflation(values, q=0.5)
    bound = stats.quantile_upper_bound(s, 0.5, BOUND_CONFIDENCE, inflation)
    if bound is None:
        return None, f"the median cannot be bounded from {len(s)} calls"
    return bound, f"{BOUND_CONFIDENCE:.0%} upper bound of the median from {len(s)} calls"


@dataclass(frozen=True)
class BatchPoint:
    """One batch of a sweep: per-call TTFT, TPOT and end-to-end times, or why it failed."""

    batch: int
    new_tokens: int
    ttft_s: tuple[float, ...] = ()
    tpot_s: tuple[float, ...] = ()
    e2e_s: tuple[float, ...] = ()
    failed: str | None = None  # "out of memory: ..." and the like

    @property
    def ok(self) -> bool:
        return self.failed is None and bool(self.ttft_s)

    @property
    def tokens_per_s_per_gpu(self) -> float | None:
        """Output tokens of the whole batch per second, end to end (prefill included)."""
        return self.batch * self.new_tokens / stats.median(self.e2e_s) if self.ok else None

    @property
    def tokens_per_s_per_user(self) -> float | None:
        """The decode rate one sequence sees: 1 / median TPOT."""
        return 1.0 / stats.median(self.tpot_s) if self.ok else None


@dataclass(frozen=True)
class Verdict:
    batch: int
    meets: bool
    ttft_bound_s: float | None
    tpot_bound_s: float | None
    reason: str


def judge(point: BatchPoint, slo: Slo) -> Verdict:
    """Whether one batch's bounds meet every limit, and why not."""
    if not point.ok:
        return Verdict(point.batch, False, None, None, point.failed or "no calls timed")
    bounds: dict[str, float | None] = {"ttft": None, "tpot": None}
    reasons = []
    for name, limit, values in (
        ("ttft", slo.ttft_s, point.ttft_s),
        ("tpot", slo.tpot_s, point.tpot_s),
    ):
        if limit is None:
            continue
        bound, how = upper_bound(values, slo.stat)
        bounds[name] = bound
        if bound is None:
            reasons.append(f"{name}: {how}")
        elif bound > limit:
            reasons.append(f"{name} {slo.stat} bound {bound * 1e3:.4g} ms > {limit * 1e3:g} ms")
    meets = not reasons
    why = "meets " + slo.text() if meets else "; ".join(reasons)
    return Verdict(point.batch, meets, bounds["ttft"], bounds["tpot"], why)


@dataclass(frozen=True)
class SloChoice:
    slo: Slo
    batch: int | None  # the largest batch that meets the limits; None: none does
    verdicts: tuple[Verdict, ...]  # every probe, in the order measured
    message: str


def choose(points: Sequence[BatchPoint], slo: Slo) -> SloChoice:
    """The largest measured batch whose bounds meet the limits."""
    verdicts = tuple(judge(p, slo) for p in points)
    passing = [v for v in verdicts if v.meets]
    if not passing:
        smallest = min(verdicts, key=lambda v: v.batch) if verdicts else None
        why = f": batch {smallest.batch}: {smallest.reason}" if smallest else ""
        return SloChoice(slo, None, verdicts, f"no batch meets {slo.text()}{why}")
    best = max(passing, key=lambda v: v.batch)
    return SloChoice(slo, best.batch, verdicts, f"batch {best.batch} {best.reason}")


def search(
    measure: Callable[[int], BatchPoint], slo: Slo, max_batch: int
) -> tuple[list[BatchPoint], SloChoice]:
    """Doubling from 1, then bisection, to the largest batch meeting the limits."""
    if max_batch < 1:
        raise ConfigError(f"{option('max_batch')} must be at least 1, got {max_batch}")
    points: dict[int, BatchPoint] = {}

    def meets(batch: int) -> bool:
        points[batch] = measure(batch)
        return judge(points[batch], slo).meets

    good, bad = 0, None
    b = 1
    while b <= max_batch:
        if meets(b):
            good = b
            b *= 2
        else:
            bad = b
            break
    if bad is None and good < max_batch:  # every power of two passed: try the cap itself
        if meets(max_batch):
            good = max_batch
        else:
            bad = max_batch
    while bad is not None and bad - good > 1:
        mid = (good + bad) // 2
        if meets(mid):
            good = mid
        else:
            bad = mid
    ordered = list(points.values())
    return ordered, choose(ordered, slo)
