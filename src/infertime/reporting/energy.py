"""The energy section of any result in words and in export columns: headline lines, the
method for --details, the energy-per-item table of a throughput curve, and the columns CSV and
Markdown rows carry. A withheld or flagged figure is never shown as a good one: no figure and
the reason, or the figure and the reason beside it. torch-free."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table as RichTable

from ..energy.estimate import Estimate
from ..energy.records import EnergyCurve, EnergyRecord, EnergySection
from ..energy.render import joules
from .diagnostics import wrapped
from .units import duration, percent, rate

WHAT = "back-to-back calls (pipelined)"


def watts(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.4g} W" if value < 1000 else f"{value:,.0f} W"


def pm(e: Estimate | None) -> str:
    """'±0.8 %' for an estimate's CI, or 'CI n/a'."""
    rel = e.half_width_rel if e is not None else None
    return f"±{percent(rel)}" if rel is not None else "CI n/a"


def resolved(e: Estimate | None) -> bool:
    """An above-idle figure is given as a number only when its CI lies above 0."""
    return e is not None and e.ci is not None and e.ci[0] > 0


def reason_line(s: EnergySection) -> str:
    """Why a section has no figure, or what flagged it, starting with 'energy'."""
    reason = s.reason or "no figures"
    if reason.startswith("energy "):  # the core's reasons say it already
        return reason
    return f"energy {s.status.replace('_', ' ')}: {reason}"


# -- the terminal -------------------------------------------------------------------------------


def section_headline(s: EnergySection, indent: str = "  ") -> list[str]:
    """A section's answer: energy per item (per token) total and above idle, average power;
    or the reason there is none. Aligned with `run`'s figure lines."""
    f = s.figures
    if f is None:
        return [indent + reason_line(s)]
    row = indent + "{:<13} {:>11}  {:>8}  {}"
    lines = [row.format("energy/item", joules(f.j_per_item.value), pm(f.j_per_item), WHAT)]
    idle = s.method.idle
    above = f.j_per_item_above_idle
    if above is not None and idle is not None:
        idle_w = watts(idle.power_w.value)
        if resolved(above):
            lines.append(row.format("above idle", joules(above.value), pm(above), f"idle {idle_w}"))
        else:  # a CI that holds 0 (or none): no number a reader could take for a figure
            lines.append(
                f"{indent}{'above idle':<13} not told apart from 0: the calls add less than "
                f"the noise of the idle power ({idle_w})"
            )
    if f.j_per_token is not None:
        lines.append(row.format("energy/token", joules(f.j_per_token.value), pm(f.j_per_token), ""))
    lines.append(
        row.format(
            "power",
            watts(f.power_w.value),
            pm(f.power_w),
            f"average over {f.windows} windows, {f.seconds:.1f} s",
        )
    )
    if s.status == "flagged":
        lines.append(f"{indent}energy FLAGGED: {s.reason}")
    return lines


def ci_footnote(record: EnergyRecord) -> str | None:
    """What ± means for the energy figures (windows, not samples), where any has one."""
    with_figures = [s for s in record.sections if s.figures is not None]
    if not with_figures:
        return None
    conf = round(with_figures[0].method.confidence * 100)
    source = with_figures[0].method.source.upper()
    return f"energy ±: {conf} % t interval over windows of {source}'s energy counter"


def print_lines(console: Console, lines: Sequence[str]) -> None:
    """Lines that fit are printed as they are (aligned columns); longer ones wrapped at words,
    later lines indented under the first's text."""
    for line in lines:
        if len(line) <= console.width:
            console.print(line, highlight=False, soft_wrap=True, markup=False)
            continue
        lead = line[: len(line) - len(line.lstrip())]
        wrapped(console, line.lstrip(), first=lead, indent=lead + "  ")


def method_lines(record: EnergyRecord) -> list[str]:
    """--details: how the figures were taken (counter, update period, idle baseline, window
    rule, arrangement), each section's windows and cross-check."""
    sections = record.sections
    if not sections:
        return []
    m = sections[0].method
    if m.counter == "none":  # no counter: the reason is in the headline
        return []
    lines = [f"energy: {record.arrangement}; took {record.seconds:.1f} s"]
    lines.append(f"energy counter: {m.counter} ({m.scope})")
    p = m.update_period
    if p is not None:
        lines.append(
            f"update period: median {duration(p.median_s)}, max {duration(p.max_s)} over "
            f"{len(p.intervals_s)} intervals (polled every {duration(p.poll_s)})"
        )
    idle = m.idle
    if idle is not None:
        lines.append(
            f"idle power: {watts(idle.power_w.value)} {pm(idle.power_w)} over "
            f"{idle.seconds:.1f} s in {len(idle.durations_s)} sub-windows, the device idle "
            "after the timed figures"
        )
    lines.append(
        f"windows: at least {duration(m.min_window_s)} each ({m.window_rule}); {m.calls_pattern}"
    )
    for name, s in zip(record.names, sections, strict=True):
        lines.append(window_line(name, s))
        check = s.cross_check
        head = f"{name}: " if name else ""
        if check is not None and check.difference_rel is not None:
            lines.append(
                f"{head}integrated NVML power vs counter {check.difference_rel:+.1%} (tolerance "
                f"±{check.tolerance_rel:.0%}, {check.readings} readings; {check.note})"
            )
        elif check is not None:
            lines.append(f"{head}no cross-check: {check.note}")
    return lines


def window_line(name: str, s: EnergySection) -> str:
    used = [w for w in s.windows if w.used]
    head = f"{name}: " if name else ""
    if s.figures is None:
        return f"{head}{reason_line(s)} ({len(s.windows)} window(s) read)"
    f = s.figures
    calls = sum(w.calls for w in used)
    return (
        f"{head}{len(used)} windows, {f.seconds:.1f} s, {calls} calls; energy per call "
        f"{joules(f.j_per_call.value)} {pm(f.j_per_call)}; {rate(f.items_per_s.value)} "
        "in the windows"
    )


def energy_curve_table(record: EnergyRecord) -> RichTable | None:
    """A throughput curve's energy per item by batch, in 80 columns, the optimum and the
    throughput peak marked."""
    curve = record.curve
    if curve is None:
        return None
    table = RichTable(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("batch", "J/item", "±CI", "above idle", "±CI", "power", "choice"):
        table.add_column(col, justify="left" if col == "choice" else "right", no_wrap=True)
    for s in sorted(record.sections, key=lambda s: s.items_per_call):
        f = s.figures
        if f is None:
            table.add_row(str(s.items_per_call), s.status.replace("_", " "), "", "", "", "", "")
            continue
        above = f.j_per_item_above_idle
        table.add_row(
            str(s.items_per_call),
            joules(f.j_per_item.value),
            pm(f.j_per_item).replace("CI ", ""),
            joules(above.value) if resolved(above) and above is not None else "~0",
            pm(above) if resolved(above) else "",
            watts(f.power_w.value),
            curve_marks(curve, s),
        )
    return table


def curve_marks(curve: EnergyCurve, s: EnergySection) -> str:
    out = []
    if s.items_per_call == curve.energy_optimal_batch:
        out.append("energy-optimal")
    if s.items_per_call == curve.throughput_peak_batch:
        out.append("peak")
    if s.status == "flagged":
        out.append("FLAGGED")
    return ", ".join(out)


def curve_lines(record: EnergyRecord) -> list[str]:
    """The energy-optimal batch beside the throughput peak, in words; what each row is."""
    if record.curve is None:
        return []
    lines = [record.curve.verdict]
    lines += [reason_line(s) for s in record.sections if s.status == "flagged"]
    lines.append(
        f"energy per item of {WHAT} at each batch, total (what the device draws serving "
        "continuously) and above its idle power (~0: not told apart from 0); ±: 95 % t "
        "interval over windows"
    )
    return lines


def compare_lines(record: EnergyRecord, letters: Sequence[str]) -> list[str]:
    """Each configuration's energy per item, and its ratio to the first paired by round; one
    line when none has a figure for one reason (no counter on this device)."""
    reasons = {reason_line(s) for s in record.sections if s.figures is None}
    if len(reasons) == 1 and all(s.figures is None for s in record.sections):
        return list(reasons)
    lines = [f"energy per item, {WHAT}, {record.arrangement.split(':')[0]}:"]
    for i, (s, letter) in enumerate(zip(record.sections, letters, strict=False)):
        f = s.figures
        if f is None:
            lines.append(f"  {letter}  {reason_line(s)}")
            continue
        x = record.ratios[i] if i < len(record.ratios) else None
        tail = "baseline" if i == 0 else "no paired ratio"
        if x is not None:
            ci = f" [{x.ci[0]:.3f}–{x.ci[1]:.3f}]" if x.ci else " [no CI]"
            tail = f"×{x.value:.3f}{ci} energy/item vs A"
        flag = "  FLAGGED" if s.status == "flagged" else ""
        lines.append(
            f"  {letter}  {joules(f.j_per_item.value):>10}  {pm(f.j_per_item):>8}  {tail}{flag}"
        )
    if any(x is not None for x in record.ratios):
        lines.append("×: energy per item over A's, geometric mean of the rounds' ratios, 95 % CI")
    lines += [f"{letters[i]}: {reason_line(s)}" for i, s in enumerate(record.sections)
              if s.status == "flagged"]  # fmt: skip
    return lines


# -- exports -------------------------------------------------------------------------------------

ENERGY_COLUMNS = (
    "energy_status",
    "energy_reason",
    "j_per_item",
    "j_per_item_ci_low",
    "j_per_item_ci_high",
    "j_per_item_above_idle",
    "j_per_item_above_idle_ci_low",
    "j_per_item_above_idle_ci_high",
    "j_per_call",
    "power_w",
    "idle_power_w",
    "energy_windows",
    "energy_window_s",
    "energy_update_period_s",
    "energy_counter",
    "integrated_vs_counter_rel",
)
TOKEN_COLUMNS = ("j_per_token", "j_per_token_ci_low", "j_per_token_ci_high")


def energy_columns(record: EnergyRecord | None) -> tuple[str, ...]:
    """The energy columns a table carries: none without energy; per token where any section
    counts tokens (generate)."""
    if record is None:
        return ()
    tokens = any(s.tokens_per_call is not None for s in record.sections)
    return ENERGY_COLUMNS + (TOKEN_COLUMNS if tokens else ())


def _est(e: Estimate | None) -> tuple[float | None, float | None, float | None]:
    if e is None:
        return None, None, None
    return e.value, e.ci[0] if e.ci else None, e.ci[1] if e.ci else None


def energy_values(s: EnergySection | None, columns: Sequence[str]) -> tuple[object, ...]:
    """A row's energy cells for `columns` (energy_columns): a withheld or not-measured figure
    is empty, with its status and reason; never 0."""
    if s is None:
        return (None,) * len(columns)
    f = s.figures
    m = s.method
    check = s.cross_check
    window = [w.duration_s for w in s.windows if w.used]
    values: dict[str, object] = {
        "energy_status": s.status,
        "energy_reason": s.reason,
        "energy_counter": m.source,
        "energy_update_period_s": m.update_period.median_s if m.update_period else None,
        "idle_power_w": m.idle.power_w.value if m.idle else None,
    }
    if f is not None:
        item = _est(f.j_per_item)
        # Above idle where it is told apart from 0 only: -51 nJ "±300 %" invites misreading.
        above = _est(f.j_per_item_above_idle if resolved(f.j_per_item_above_idle) else None)
        token = _est(f.j_per_token)
        values.update(
            {
                "j_per_item": item[0],
                "j_per_item_ci_low": item[1],
                "j_per_item_ci_high": item[2],
                "j_per_item_above_idle": above[0],
                "j_per_item_above_idle_ci_low": above[1],
                "j_per_item_above_idle_ci_high": above[2],
                "j_per_call": f.j_per_call.value,
                "power_w": f.power_w.value,
                "energy_windows": f.windows,
                "energy_window_s": min(window) if window else None,
                "integrated_vs_counter_rel": check.difference_rel if check else None,
                "j_per_token": token[0],
                "j_per_token_ci_low": token[1],
                "j_per_token_ci_high": token[2],
            }
        )
    return tuple(values.get(c) for c in columns)


def _joules_cell(v: Any) -> str:
    return joules(float(v))


ENERGY_LABELS = {
    "energy_status": "energy",
    "energy_reason": "energy: why",
    "j_per_item": "J/item",
    "j_per_item_ci_low": "J/item CI low",
    "j_per_item_ci_high": "J/item CI high",
    "j_per_item_above_idle": "J/item above idle",
    "j_per_item_above_idle_ci_low": "above idle CI low",
    "j_per_item_above_idle_ci_high": "above idle CI high",
    "j_per_call": "J/call",
    "power_w": "power",
    "idle_power_w": "idle power",
    "energy_windows": "windows",
    "energy_window_s": "window",
    "energy_update_period_s": "counter period",
    "energy_counter": "counter",
    "integrated_vs_counter_rel": "integrated vs counter",
    "j_per_token": "J/token",
    "j_per_token_ci_low": "J/token CI low",
    "j_per_token_ci_high": "J/token CI high",
}
ENERGY_FORMATS: dict[str, Callable[[Any], str]] = {
    **{c: _joules_cell for c in ENERGY_COLUMNS + TOKEN_COLUMNS if c.startswith("j_per")},
    "power_w": lambda v: watts(float(v)),
    "idle_power_w": lambda v: watts(float(v)),
    "integrated_vs_counter_rel": lambda v: f"{float(v):+.1%}",
    "energy_status": lambda v: str(v).replace("_", " "),
}


def energy_notes(record: EnergyRecord | None) -> list[str]:
    """What the export's energy columns are, in one note."""
    if record is None or not any(s.figures is not None for s in record.sections):
        return []  # the reason is in the energy: why column, and among the warnings
    return [
        f"energy: of {WHAT}, {record.arrangement}; J per item total and above idle power, "
        "95 % t interval over windows; empty where withheld or not measured (energy: why), "
        "above idle empty where it is not told apart from 0 (the JSON keeps every window)"
    ]
