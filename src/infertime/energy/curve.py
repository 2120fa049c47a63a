"""Energy per item across batch sizes: the energy-optimal batch beside the throughput peak.

The two differ (vllm-project/vllm#36440 measured batch size moving J/token by 84-96 %), and a
reader needs to know whether they differ beyond noise. Ties go to the smaller batch, as the
throughput curve's peak does (engine/curve.py pick_peak): a batch ties with the best when their
CIs do not separate and it is within TIE_TOLERANCE of it (wide CIs alone never make a worse
batch the choice); less memory, shorter latency.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..engine.curve import TIE_TOLERANCE
from .estimate import Estimate, separated
from .records import EnergyCurve, EnergyCurvePoint, EnergySection
from .render import joules


def _best(
    points: Sequence[EnergyCurvePoint],
    value: Callable[[EnergyCurvePoint], Estimate | None],
    lowest: bool,
) -> EnergyCurvePoint | None:
    """The best point by `value`; the smallest batch that does not differ from it wins."""
    have = [(p, v) for p in points if (v := value(p)) is not None]
    if not have:
        return None
    sign = 1 if lowest else -1
    best, best_v = min(have, key=lambda pv: sign * pv[1].value)
    close = TIE_TOLERANCE * abs(best_v.value)
    tied = [p for p, v in have if abs(v.value - best_v.value) <= close and not separated(v, best_v)]
    return min([*tied, best], key=lambda p: p.batch)


def energy_curve(
    sections: Sequence[EnergySection],
    throughput: Mapping[int, Estimate] | None = None,
    peak_batch: int | None = None,
) -> EnergyCurve:
    """The curve from one section per batch; `throughput` (items/s by batch, e.g. from the
    throughput kind's points) replaces the energy windows' own items/s where given;
    `peak_batch`, the caller's own throughput peak, is used where it has an energy figure
    (the throughput kind chooses its peak with rules of its own: dips, refinement)."""
    points = []
    for s in sorted(sections, key=lambda s: s.items_per_call):
        fig = s.figures
        ips = (throughput or {}).get(s.items_per_call) or (fig.items_per_s if fig else None)
        points.append(
            EnergyCurvePoint(
                batch=s.items_per_call,
                status=s.status,
                j_per_item=fig.j_per_item if fig else None,
                j_per_item_above_idle=fig.j_per_item_above_idle if fig else None,
                items_per_s=ips,
            )
        )
    source = "the caller's throughput figures" if throughput else "the energy windows"
    optimum = _best(points, lambda p: p.j_per_item, lowest=True)
    above = _best(points, lambda p: p.j_per_item_above_idle, lowest=True)
    measured = [p for p in points if p.j_per_item is not None]
    given = [p for p in measured if p.batch == peak_batch]
    peak = given[0] if given else _best(measured, lambda p: p.items_per_s, lowest=False)
    excess, apart, verdict = None, None, "no batch has an energy figure"
    if optimum is not None and peak is not None:
        assert optimum.j_per_item is not None and peak.j_per_item is not None
        excess = peak.j_per_item.value / optimum.j_per_item.value - 1
        apart = None if peak is optimum else separated(peak.j_per_item, optimum.j_per_item)
        verdict = _verdict(optimum, peak, excess, apart)
    return EnergyCurve(
        points=tuple(points),
        energy_optimal_batch=optimum.batch if optimum else None,
        above_idle_optimal_batch=above.batch if above else None,
        throughput_peak_batch=peak.batch if peak else None,
        throughput_source=source,
        excess_at_peak_rel=excess,
        separated=apart,
        verdict=verdict,
    )


def _j(e: Estimate | None) -> str:
    if e is None:
        return "n/a"
    rel = e.half_width_rel
    return f"{joules(e.value)}/item" + (f" ±{rel:.1%}" if rel is not None else " (no CI)")


def _verdict(
    optimum: EnergyCurvePoint, peak: EnergyCurvePoint, excess: float, apart: bool | None
) -> str:
    head = f"energy-optimal batch {optimum.batch}: {_j(optimum.j_per_item)}"
    if peak is optimum:
        return f"{head}; it is also the throughput peak"
    tail = f"throughput peak batch {peak.batch}: {_j(peak.j_per_item)}, {excess:+.1%} per item"
    if apart is None:
        return f"{head}; {tail} (no CI to tell them apart)"
    return f"{head}; {tail}" + (" (beyond noise)" if apart else " (within noise)")
