"""Energy in words for tables, `show` and logs: one line per figure, the method, the reason."""

from __future__ import annotations

import math

from .estimate import Estimate
from .records import EnergyCurve, EnergySection


def _ci(e: Estimate) -> str:
    rel = e.half_width_rel
    return f"±{rel:.1%}" if rel is not None else "(no CI)"


def joules(value: float, digits: int = 4) -> str:
    """0.0012345 -> '1.234 mJ'; picks kJ, J, mJ, µJ or nJ."""
    if not math.isfinite(value):
        return "n/a"
    a = abs(value)
    for unit, scale in (("kJ", 1e3), ("J", 1.0), ("mJ", 1e-3), ("µJ", 1e-6)):
        if a >= scale:
            return f"{_sig(value / scale, digits)} {unit}"
    return f"{_sig(value / 1e-9, digits)} nJ"


def _sig(value: float, digits: int) -> str:
    if value == 0:
        return "0"
    decimals = max(digits - 1 - math.floor(math.log10(abs(value))), 0)
    return f"{value:.{decimals}f}"


def _j(e: Estimate) -> str:
    return f"{joules(e.value)} {_ci(e)}"


def section_lines(s: EnergySection) -> list[str]:
    """The section as short lines: figures or the reason there are none, then the method."""
    f = s.figures
    if f is None:
        reason = s.reason or "no figures"
        if reason.startswith("energy "):  # the reasons made here say it already
            return [reason]
        return [f"energy {s.status.replace('_', ' ')}: {reason}"]
    lines = []
    for unit, total, above in (
        ("call", f.j_per_call, f.j_per_call_above_idle),
        ("item", f.j_per_item, f.j_per_item_above_idle),
        ("token", f.j_per_token, f.j_per_token_above_idle),
    ):
        if total is not None:
            extra = f", {_j(above)} above idle" if above is not None else ""
            lines.append(f"energy per {unit}: {_j(total)} total{extra}")
    lines.append(f"average power: {f.power_w.value:.1f} W {_ci(f.power_w)}")
    m = s.method
    period = m.update_period
    idle = m.idle
    how = [m.counter]
    if period is not None:
        how.append(f"update period {period.median_s * 1e3:.1f} ms")
    if idle is not None:
        how.append(f"idle {idle.power_w.value:.1f} W over {idle.seconds:.1f} s")
    how.append(f"{f.windows} windows, {f.seconds:.1f} s, {m.calls_pattern}")
    lines.append("method: " + "; ".join(how))
    if s.cross_check is not None and s.cross_check.difference_rel is not None:
        lines.append(f"integrated power vs counter: {s.cross_check.difference_rel:+.1%}")
    if s.status == "flagged":
        lines.append(f"flagged: {s.reason}")
    return lines


def curve_line(c: EnergyCurve) -> str:
    return c.verdict
