"""Order and rounds: each round runs the grid in its own seeded random order (asv's interleaved
rounds), so that slow drift of the host falls on every point alike; with two rounds or more,
each point's rounds either agree within their CIs or do not, and the table says which."""

from __future__ import annotations

import random
from dataclasses import dataclass


def round_order(keys: list[str], seed: int, round_: int) -> list[str]:
    """The order of round `round_`: a shuffle seeded by (seed, round), the same on resume."""
    order = sorted(keys)
    random.Random(f"{seed}:{round_}").shuffle(order)
    return order


def new_seed() -> int:
    return random.SystemRandom().randrange(2**31)


@dataclass(frozen=True)
class Agreement:
    """Whether a point's rounds agree: every two rounds' CIs of its headline figure overlap."""

    figure: str
    medians: tuple[float, ...]
    cis: tuple[tuple[float, float] | None, ...]
    agree: bool | None  # None: fewer than two rounds with a CI
    spread_rel: float | None  # largest / smallest median - 1

    @property
    def word(self) -> str:
        if self.agree is None:
            return "n/a"
        return "agree" if self.agree else "differ"


def agreement(
    figure: str, medians: list[float], cis: list[tuple[float, float] | None]
) -> Agreement:
    """Rounds agree when every pair of CIs overlaps (conservative: overlapping 95 % CIs can
    hide a difference, disjoint ones cannot come from one distribution often)."""
    known = [ci for ci in cis if ci is not None]
    spread = max(medians) / min(medians) - 1 if len(medians) >= 2 and min(medians) > 0 else None
    if len(known) < 2 or len(known) != len(cis):
        return Agreement(figure, tuple(medians), tuple(cis), None, spread)
    agree = all(a[0] <= b[1] and b[0] <= a[1] for i, a in enumerate(known) for b in known[i + 1 :])
    return Agreement(figure, tuple(medians), tuple(cis), agree, spread)
