"""Render a throughput result: the curve as a table with the chosen batches marked."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from ..reporting.units import duration, percent, rate, size_bytes
from .result import ThroughputResult


def describe(r: ThroughputResult) -> str:
    s = r.settings
    name = r.environment.get("device", {}).get("name")
    device = f"{s.device} ({name})" if name and name not in ("cpu", s.device) else s.device
    shapes = ", ".join("×".join(map(str, sh)) for sh in s.inputs.item_shapes)
    layout = " · channels-last" if s.channels_last else ""
    return (
        f"{s.model} · items of {shapes} · {s.dtype_label}{layout} · {device} — throughput vs batch"
    )


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
    table = Table(title=describe(r), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    reserved = "peak RSS" if r.settings.device == "cpu" else "peak reserved"
    columns = ("batch", "items/s", "95 % CI", "device/call", "latency p50", "peak alloc")
    for col in (*columns, reserved, "choice"):
        table.add_column(col, justify="left" if col == "choice" else "right", no_wrap=True)
    for p in r.points:
        if not p.measured:
            table.add_row(str(p.batch), "out of memory", "", "", "", "", "", p.reason)
            continue
        ci = p.items_per_s_ci
        ci_text = f"±{percent((ci[1] - ci[0]) / 2 / p.items_per_s)}" if ci else "n/a"
        assert p.device_time is not None and p.latency is not None
        table.add_row(
            str(p.batch),
            rate(p.items_per_s, ""),
            ci_text,
            duration(p.device_time.summary.median),
            duration(p.latency.summary.median),
            size_bytes(p.memory.peak_allocated_bytes if p.memory else None),
            size_bytes(p.memory.peak_reserved_bytes if p.memory else None),
            marks(r, p.batch) if p.ok else "dip: not used",
        )
    return table


def summary_lines(r: ThroughputResult) -> list[str]:
    peak, knee = r.point(r.peak_batch), r.point(r.knee_batch)
    fraction = r.policy.knee_fraction
    lines = [
        "throughput = batch / median device time per call, over back-to-back calls "
        "(timer around each block of calls, one synchronize per block); CI of the median",
        f"peak: batch {peak.batch}, {rate(peak.items_per_s)} · knee (smallest batch within "
        f"{fraction:.0%} of peak): batch {knee.batch}, {rate(knee.items_per_s)} · max-fit: "
        f"batch {r.max_fit_batch}",
        f"search: {r.search.message}",
    ]
    if r.budget is not None:
        b = r.budget
        if b.batch is None:
            lines.append(f"budget: {b.stat} latency ≤ {duration(b.budget_s)}: {b.message}")
        else:
            lines.append(
                f"budget: best batch with {b.stat} latency ≤ {duration(b.budget_s)}: batch "
                f"{b.batch}, {rate(b.items_per_s)}; {b.message}"
            )
    wall = r.analysis.get("wall_s", {})
    if wall:
        lines.append(
            f"took {wall.get('total_s', 0):.1f} s ({wall.get('search_s', 0):.1f} s search, "
            f"{len(r.search.probes)} probes; {len(r.points)} curve points)"
        )
    return lines


def print_throughput(r: ThroughputResult, console: Console) -> None:
    console.print(curve_table(r))
    for line in summary_lines(r):
        console.print(line, highlight=False, soft_wrap=True, markup=False)
