"""Render a throughput result: the curve as a table with the chosen batches marked and the
answer in words, in 80 columns; with `details`, allocated memory, definitions and the search."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from ..engine.curve import CurvePoint, differ
from ..reporting.describe import backend_words
from ..reporting.diagnostics import wrapped
from ..reporting.energy import curve_lines, energy_curve_table, method_lines, reason_line
from ..reporting.units import duration, percent, rate, size_bytes
from .result import ThroughputResult


def describe(r: ThroughputResult) -> str:
    s = r.settings
    name = r.environment.get("device", {}).get("name")
    device = f"{s.device} ({name})" if name and name not in ("cpu", s.device) else s.device
    shapes = ", ".join("×".join(map(str, sh)) for sh in s.inputs.item_shapes)
    layout = " · channels-last" if s.channels_last else ""
    backend = "".join(f" · {w}" for w in backend_words(s))
    return f"{s.model} · items of {shapes} · {s.dtype_label}{backend}{layout} · {device}"


def marks(r: ThroughputResult, batch: int) -> str:
    out = []
    if batch == r.peak_batch:
        out.append("peak")
    if batch == r.knee_batch:
        out.append("knee")
    if batch == r.max_fit_batch:
        out.append("max-fit")
    if r.budget is not None and batch == r.budget.batch:
        out.append("budget")
    return ", ".join(out)


def curve_table(r: ThroughputResult) -> Table:
    """The curve in 80 columns: throughput with its CI, latency, memory and the choices."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    memory = "peak RSS" if r.settings.device == "cpu" else "memory"
    for col in ("batch", "items/s", "±CI", "latency", memory, "choice"):
        table.add_column(col, justify="left" if col == "choice" else "right", no_wrap=True)
    for p in r.points:
        if not p.measured:
            table.add_row(str(p.batch), "out of memory", "", "", "", p.reason)
            continue
        ci = p.items_per_s_ci
        ci_text = f"±{percent((ci[1] - ci[0]) / 2 / p.items_per_s)}" if ci else "n/a"
        assert p.latency is not None
        table.add_row(
            str(p.batch),
            rate(p.items_per_s, ""),
            ci_text,
            duration(p.latency.summary.median),
            size_bytes(p.memory.peak_reserved_bytes if p.memory else None),
            choice_cell(r, p),
        )
    return table


def points_table(r: ThroughputResult) -> Table:
    """--details: each point's device time and latency per call, memory, steadiness."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    cols = ("batch", "device time", "latency", "allocated", "reserved", "steady", "n×calls")
    for col in cols:
        table.add_column(col, justify="right", no_wrap=True)
    for p in r.points:
        if p.device_time is None or p.latency is None:
            continue
        table.add_row(
            str(p.batch),
            duration(p.device_time.summary.median),
            duration(p.latency.summary.median),
            size_bytes(p.memory.peak_allocated_bytes if p.memory else None),
            size_bytes(p.memory.peak_reserved_bytes if p.memory else None),
            {True: "yes", False: "no", None: "?"}[p.warmup_steady],
            f"{p.device_time.summary.n}×{p.device_time.calls_per_sample}",
        )
    return table


def choice_cell(r: ThroughputResult, p: CurvePoint) -> str:
    """The choices a point is, or why it is left out of them; an unsteady point says so."""
    if not p.ok:
        return "dip: not used"
    chosen = marks(r, p.batch)
    if p.warmup_steady is False:
        return f"{chosen}, unsteady" if chosen else "unsteady"
    return chosen


def finding_lines(r: ThroughputResult) -> list[str]:
    """The answer: which batch to serve at, and what the largest batch costs."""
    peak, knee = r.point(r.peak_batch), r.point(r.knee_batch)
    fraction = r.policy.knee_fraction
    lines = [
        f"peak: batch {peak.batch}, {rate(peak.items_per_s)} · knee ({fraction:.0%} of the "
        f"peak): batch {knee.batch}, {rate(knee.items_per_s)}"
    ]
    top = [p for p in r.points if p.batch == r.max_fit_batch and p.ok]
    if top and top[0].batch != peak.batch:
        m = top[0]
        loss = 1 - m.items_per_s / peak.items_per_s
        grown = ""
        if m.memory and peak.memory and peak.memory.peak_reserved_bytes:
            ratio = (m.memory.peak_reserved_bytes or 0) / peak.memory.peak_reserved_bytes
            grown = f", with {ratio:.1f}x the memory"
        if differ(m, peak):
            lines.append(
                f"the largest batch that fits, {m.batch}, gives {loss:.1%} less than the peak"
                f"{grown}: serve at the peak or the knee"
            )
        else:
            lines.append(
                f"the largest batch that fits, {m.batch}, and the peak are within noise of each "
                f"other{grown}"
            )
    elif top:
        lines.append(f"max-fit: batch {r.max_fit_batch}, the peak too")
    if r.budget is not None:
        b = r.budget
        if b.batch is None:
            lines.append(f"budget: {b.stat} latency ≤ {duration(b.budget_s)}: {b.message}")
        else:
            lines.append(
                f"budget: best batch with {b.stat} latency ≤ {duration(b.budget_s)}: batch "
                f"{b.batch}, {rate(b.items_per_s)}; {b.message}"
            )
    return lines


def detail_lines(r: ThroughputResult) -> list[str]:
    memory = "process peak RSS" if r.settings.device == "cpu" else "peak reserved by torch"
    lines = [
        "items/s = batch / median device time per call, over back-to-back calls (timer around "
        "each block, one synchronize per block); ±CI: the 95 % CI of that median; per call: "
        f"device time; latency: median synchronous call; memory: {memory}",
        f"search: {r.search.message}",
    ]
    builds = [b for b in r.analysis.backend_builds if b is not None]
    costs = [(b.batch, b.compile_s if b.compile_s is not None else b.export_s) for b in builds]
    if costs:
        what = "compiles" if builds[0].compile_s is not None else "exports"
        listed = ", ".join(f"{duration(s)} at {b}" for b, s in costs[:8] if s is not None)
        more = f" and {len(costs) - 8} more" if len(costs) > 8 else ""
        lines.append(f"{what} (outside the timed calls), {len(costs)}: {listed}{more}")
    wall = r.analysis.wall_s
    if wall is not None:
        lines.append(
            f"took {wall.total_s:.1f} s ({wall.search_s or 0:.1f} s search, "
            f"{len(r.search.probes)} probes; {len(r.points)} curve points)"
        )
    return lines


def print_throughput(r: ThroughputResult, console: Console, details: bool = False) -> None:
    wrapped(console, describe(r))
    console.print(curve_table(r))
    if details:
        console.print(points_table(r))
    lines = finding_lines(r) + (detail_lines(r) if details else [])
    for line in lines:
        wrapped(console, line)
    print_energy(r, console, details)


def print_energy(r: ThroughputResult, console: Console, details: bool) -> None:
    """--energy: energy per item by batch, the energy-optimal batch beside the peak; or why
    there is none."""
    record = r.analysis.energy
    if record is None:
        return
    table = energy_curve_table(record) if any(s.figures for s in record.sections) else None
    if table is None:  # no counter, or every figure withheld: one reason each
        for line in dict.fromkeys(reason_line(s) for s in record.sections):
            wrapped(console, line)
        return
    console.print(table)
    for line in curve_lines(record) + (method_lines(record) if details else []):
        wrapped(console, line)
