"""Generation calls of several arms timed against each other in interleaved rounds; torch-free.

Each round is a random order of the arms followed by its reverse (engine/interleave.py's
`round_order`: ABBA for two), one call per slot, so that a slow host state or a drift falls
on every arm alike. Each arm's round statistic is the median of its calls' figure in that
round (TTFT, TPOT or the whole sequence); ratios to arm 0 are paired by round
(comparison/ratios.py `paired_ratio`: median of the round ratios, CI widened for serial
correlation). Used for the per-step marks' cost (same loop, with and without the marks) and
ready for `compare` of generate configurations (one loop per configuration).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .. import stats
from ..comparison.ratios import Ratio, paired_ratio
from ..devices.base import Device
from ..engine.interleave import round_order
from ..records import StopRecord
from .records import SequenceRecord

Figure = Callable[[SequenceRecord], float]
# A call's figures by name, for ratios: the sequence is the unit.
FIGURES: dict[str, Figure] = {
    "ttft": lambda s: s.ttft_s,
    "decode": lambda s: s.decode_s,  # TPOT x (N - 1): ratios of TPOT are ratios of this
    "whole": lambda s: s.whole_s,
}


@dataclass(frozen=True)
class InterleavedSequences:
    """rounds[arm][round]: that arm's calls in that round, in time order."""

    rounds: tuple[tuple[tuple[SequenceRecord, ...], ...], ...]
    orders: tuple[tuple[int, ...], ...]
    stop: StopRecord

    def per_round(self, arm: int, figure: str) -> list[float]:
        f = FIGURES[figure]
        return [stats.median([f(s) for s in calls]) for calls in self.rounds[arm]]

    def ratio(self, arm: int, figure: str, base: int = 0) -> Ratio:
        """Arm over base, paired by round: above 1 the arm is slower."""
        return paired_ratio(self.per_round(base, figure), self.per_round(arm, figure))


def interleave_sequences(
    calls: Sequence[Callable[[], SequenceRecord]],
    device: Device,
    *,
    min_rounds: int,
    max_time_s: float,
    precision: float,
    figures: Sequence[str] = ("whole",),
    seed: int = 0,
    max_rounds: int = 100_000,
    width: Callable[[InterleavedSequences], float | None] | None = None,
) -> InterleavedSequences:
    """Rounds until every arm's ratio to arm 0, for every figure, has a CI within
    ±precision (checked from `min_rounds` on), or until `max_time_s` or `max_rounds`; `width`
    replaces that rule's evidence (the widest relative half-width, None while undefined),
    e.g. a comparison whose arms are copies of its configurations. Each arm is warm already:
    this times, it does not warm up."""
    if len(calls) < 2:
        raise ValueError("interleaving needs at least two arms")
    rng = random.Random(seed)
    rounds: list[list[tuple[SequenceRecord, ...]]] = [[] for _ in calls]
    orders: list[tuple[int, ...]] = []
    t0 = device.now_ns()
    reason, worst = "max_time", None
    while True:
        order = round_order(len(calls), rng)
        got: list[list[SequenceRecord]] = [[] for _ in calls]
        for arm in order:
            got[arm].append(calls[arm]())
        for arm, recs in enumerate(got):
            rounds[arm].append(tuple(recs))
        orders.append(order)
        elapsed = (device.now_ns() - t0) * 1e-9
        if len(orders) >= min_rounds:
            run = InterleavedSequences(
                tuple(tuple(r) for r in rounds),
                tuple(orders),
                StopRecord(reason, "", precision, None, elapsed),
            )
            if width is not None:
                worst = width(run)
            else:
                widths = [run.ratio(a, f).half_width for a in range(1, len(calls)) for f in figures]
                known = [w for w in widths if w is not None]
                worst = max(known) if len(known) == len(widths) else None
            if worst is not None and worst <= precision:
                reason = "precision"
                break
        if elapsed >= max_time_s:
            break
        if len(orders) >= max_rounds:
            reason = "max_samples"
            break
    w = f"±{worst:.2%}" if worst is not None else "undefined"
    message = (
        f"{len(orders)} interleaved rounds in {elapsed:.2f} s; widest ratio CI {w} "
        f"({'≤' if reason == 'precision' else 'vs'} target ±{precision:.2%})"
    )
    return InterleavedSequences(
        tuple(tuple(r) for r in rounds),
        tuple(orders),
        StopRecord(reason, message, precision, worst, elapsed),
    )
