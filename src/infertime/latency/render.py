"""Render a latency result for the terminal: the answer first, in 80 columns; with
`details`, the full table, method, warm-up, stopping, timer, memory and GPU state."""

from __future__ import annotations

import math
from collections.abc import Mapping

from rich import box
from rich.console import Console
from rich.table import Table

from .. import stats
from ..diagnose.gpu import timed_clock_summary
from ..records import Series
from ..reporting.describe import build_lines, input_words
from ..reporting.diagnostics import wrapped
from ..reporting.energy import ci_footnote, method_lines, print_lines, section_headline
from ..reporting.units import duration, duration_in, percent, rate, size_bytes, unit_of
from ..sections import GpuState, WallTimes
from .result import LatencyResult

SHORT_LABELS = {
    "latency": "latency",
    "device_time": "device time",
    "graph_latency": "graph replay",
}
LEGEND = {
    "latency": "latency = synchronous request: timer around each call, then synchronize "
    "(the article's method; what one caller waits)",
    "device_time": "device time = pipelined: back-to-back calls, one synchronize per block "
    "(what throughput is made of)",
    "graph_latency": "graph replay = the model captured in a CUDA graph, one replay per call, "
    "synchronized (launch overhead removed)",
}


def describe_run(r: LatencyResult) -> str:
    s = r.settings
    device = s.device
    name = r.environment.get("device", {}).get("name")
    if name and name not in ("cpu", device):
        device = f"{device} ({name})"
    elif name == "cpu":
        device = f"cpu ({r.environment.get('host', {}).get('cpu_model', '?')}, {s.threads} threads)"
    parts = [s.model, f"batch {s.batch_size}", s.dtype_label, *input_words(s), device]
    return " · ".join(parts)


def ci_text(center: float, ci: tuple[float, float] | None) -> str:
    if ci is None:
        return "n/a (too few samples)"
    half = stats.relative_half_width(center, ci)
    lo, hi = duration_in(ci[0], center), duration_in(ci[1], center)
    return f"{lo}–{hi} {unit_of(center)} (±{percent(half, 1)})"


def figure_row(series: Series) -> list[str]:
    """A figure's row of the details table: what fits 80 columns (spread is in `spread_line`)."""
    s = series.summary
    blocks = "" if s.per_call else " †"  # spread of block means, not of single calls
    return [
        SHORT_LABELS.get(series.figure, series.figure),
        duration(s.median),
        ci_text(s.median, s.median_ci),
        percent(s.iqr_rel) + blocks,
        f"{s.n}×{series.calls_per_sample}",
    ]


def spread_line(series: Series) -> str:
    """Mean ± std and min–max of a figure (a line of its own: the table would pass 80 columns)."""
    s = series.summary
    blocks = "" if s.per_call else " †"
    return (
        f"{SHORT_LABELS.get(series.figure, series.figure)}: mean "
        f"{duration_in(s.mean, s.mean)} ± {duration_in(s.std, s.mean)} {unit_of(s.mean)}{blocks}, "
        f"min–max {duration_in(s.min, s.median)}–{duration_in(s.max, s.median)} "
        f"{unit_of(s.median)}{blocks}"
    )


def details_table(r: LatencyResult) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    conf = round(r.latency.confidence * 100)
    for col in ("per call", "median", f"{conf} % CI", "IQR/med", "n×calls"):
        table.add_column(col, justify="left" if col == "per call" else "right", no_wrap=True)
    for series in r.figures.values():
        table.add_row(*figure_row(series))
    tp = r.throughput_ci
    tp_ci = f"{rate(tp[0], '').strip()}–{rate(tp[1], '').strip()}" if tp else ""
    table.add_row(
        f"items/s (b={r.settings.batch_size})",
        rate(r.throughput_items_per_s, "").strip(),
        tp_ci,
        "",
        "",
    )
    return table


def tails_text(series: Series, with_ci: bool = True) -> str:
    """Tail percentiles of single calls with their CIs, or why each is not given."""
    s = series.summary
    if not s.per_call:
        return f"withheld: each sample is the mean of {s.calls_per_sample} calls (short calls)"
    parts = []
    missing = [t for t in s.tails if t.value is None]
    for t in s.tails:
        if t.value is None:
            continue
        if t.ci is not None and with_ci:
            lo, hi = duration_in(t.ci[0], t.value), duration_in(t.ci[1], t.value)
            parts.append(f"{t.label} {duration(t.value)} ({lo}–{hi})")
        else:
            parts.append(f"{t.label} {duration(t.value)}")
    if len(missing) == 1:
        parts.append(f"{missing[0].label} needs {missing[0].min_samples} samples")
    elif missing:  # one phrase, so the row fits 80 columns
        labels = "/".join(t.label for t in missing)
        floors = "/".join(str(t.min_samples) for t in missing)
        parts.append(f"{labels} need {floors} samples, have {s.n}")
    return " · ".join(parts)


INCONSISTENT = "inconsistent_figures"
UNSTEADY = {"not_steady", "drift"}


def flagged_figures(r: LatencyResult) -> set[str]:
    """Figures a check said were not steady (calls still getting faster, or drifting)."""
    out: set[str] = set()
    for d in r.diagnostics:
        if d.code in UNSTEADY:
            out.update(d.data.get("figures", []))
    if not r.warmup.steady:
        out.update(r.figures)
    return out


# A figure whose CI is wider than this (relative half-width) is not headlined as a number.
HEADLINE_CI_MAX = 0.5


def too_wide(median: float, ci: tuple[float, float] | None) -> str:
    """A headline cell for a figure whose CI is too wide to quote as a number."""
    assert ci is not None
    return (
        f"unsettled: 95 % CI {duration(ci[0])}–{duration(ci[1])} around "
        f"{duration(median)}, wider than ±50 %"
    )


def headline_lines(r: LatencyResult) -> list[str]:
    """The answer: each figure's median with its CI, throughput, tails; one line each."""
    if r.processes:
        return processes_lines(r)
    lines = [describe_run(r)]
    on_cpu = r.settings.device == "cpu"
    unsteady = flagged_figures(r)
    for name, series in r.figures.items():
        if on_cpu and name == "device_time":
            continue  # older files: on a CPU the same quantity as latency (--details)
        s = series.summary
        rel = s.median_ci_rel
        label = SHORT_LABELS.get(name, name)
        if rel is not None and rel > HEADLINE_CI_MAX:
            lines.append(f"  {label:<13} {too_wide(s.median, s.median_ci)}")
            continue
        ci = f"±{percent(rel)}" if rel is not None else "CI n/a"
        k = series.calls_per_sample
        if name == "device_time":
            what = f"median, {s.n} blocks × {k} calls"
        else:
            what = f"median of {s.n} samples" if k == 1 else f"median, {s.n} × {k} calls"
        mark = "  NOT STEADY" if name in unsteady else ""
        lines.append(f"  {label:<13} {duration(s.median):>11}  {ci:>8}  {what}{mark}")
    if any(d.code == INCONSISTENT for d in r.diagnostics):
        lines.append("  throughput    withheld: device time came out above latency (see below)")
    else:
        tp = r.throughput_items_per_s
        half = stats.relative_half_width(tp, r.throughput_ci)
        source = (
            "batch / device time per call"
            if r.throughput_figure == "device_time"
            else "batch / latency (CPU)"
        )
        if half is not None and half > HEADLINE_CI_MAX:
            lines.append("  throughput    withheld: its CI is wider than ±50 % (see latency)")
        else:
            ci = f"±{percent(half)}" if half is not None else "CI n/a"
            lines.append(f"  throughput    {rate(tp):>18}  {ci:>8}  {source}")
    lines.append(f"  tails         {tails_text(r.latency, with_ci=False)}")
    lines.extend(build_lines(r.analysis.backend))
    lines.extend(energy_lines(r))
    lines.append(
        f"±: {round(r.latency.confidence * 100)} % CI of the median in this process; "
        "fresh processes can differ more"
    )
    lines.extend(energy_footnote(r))
    return lines


def energy_lines(r: LatencyResult) -> list[str]:
    """--energy: energy per item of back-to-back calls at this batch, or why there is none."""
    record = r.analysis.energy
    return [line for s in record.sections for line in section_headline(s)] if record else []


def energy_footnote(r: LatencyResult) -> list[str]:
    record = r.analysis.energy
    note = ci_footnote(record) if record is not None else None
    return [note] if note else []


def processes_lines(r: LatencyResult) -> list[str]:
    """The headline of a measurement repeated in fresh processes: the typical figures over
    them, the range one new process will probably give, and between against within spread."""
    k = len(r.processes)
    lines = [describe_run(r)]
    on_cpu = r.settings.device == "cpu"
    for name in r.figures:
        over = r.across(name)
        if over is None or (on_cpu and name == "device_time"):
            continue
        ci = across_ci_text(over.typical, over.typical_ci)
        new = ""
        if over.prediction is not None:
            lo, hi = over.prediction
            new = f"one new process: {duration_in(lo, hi)}–{duration(hi)}"
        label = SHORT_LABELS.get(name, name)
        lines.append(f"  {label:<13} {duration(over.typical):>11}  {ci:>8}  {new}")
    tp = r.throughput_items_per_s
    ci = across_ci_text(tp, r.throughput_ci)
    source = "device time" if r.throughput_figure == "device_time" else "latency"
    lines.append(f"  throughput    {rate(tp):>18}  {ci:>8}  batch / typical {source}")
    lat = r.across("latency")
    if lat is not None:
        low, high = min(lat.medians), max(lat.medians)
        lines.append(
            f"  processes     {k} fresh ones, latency medians {duration_in(low, high)}–"
            f"{duration(high)}"
        )
        within = f"; within one process ±{percent(lat.within_se * 1.96)}" if lat.within_se else ""
        lines.append(f"  spread        between processes {percent(lat.between_cv)} (CV){within}")
    lines.extend(build_lines(r.analysis.backend))  # the last process's
    lines.extend(energy_lines(r))  # measured in the last process
    lines.append(
        f"±: {round(r.latency.confidence * 100)} % CI of the typical figure (geometric mean of "
        f"the {k} processes' medians)"
    )
    lines.extend(energy_footnote(r))
    if any("×÷" in line for line in lines):
        lines.append("×÷F: a CI from the figure ÷ F to the figure × F (too wide for ±)")
    return lines


def across_ci_text(center: float, ci: tuple[float, float] | None) -> str:
    """± for a CI over processes, or ×÷F when it is so wide that ± would mislead: it is
    symmetric on the log scale, and with few processes its upper end can be many times the
    figure (t quantiles for k - 1 degrees of freedom)."""
    half = stats.relative_half_width(center, ci)
    if half is None or ci is None:
        return "CI n/a"
    if half <= 0.5:
        return f"±{percent(half)}"
    factor = max(ci[1] / center, center / ci[0]) if ci[0] > 0 else math.inf
    return f"×÷{factor:.3g}"


def detail_lines(r: LatencyResult) -> list[str]:
    w = r.warmup
    lines = [LEGEND.get(f, f) for f in r.figures]
    for name in r.figures:
        over = r.across(name)
        if over is not None:
            meds = ", ".join(duration(m) for m in over.medians)
            i2 = f"; I² {percent(over.heterogeneity)}" if over.heterogeneity is not None else ""
            lines.append(f"per process, {SHORT_LABELS.get(name, name)}: {meds}{i2}")
    if r.processes:
        lines.append(
            "below: the last of the processes (it also ran the diagnosis passes); wall time "
            "per process " + ", ".join(f"{p.wall_s:.1f} s" for p in r.processes)
        )
    lines.extend(spread_line(series) for series in r.figures.values())
    if any(not s.summary.per_call for s in r.figures.values()):
        lines.append("† over samples that each average n×calls calls, not over single calls")
    lines.append(
        "throughput = batch / median device time per call; CV: "
        + ", ".join(
            f"{SHORT_LABELS.get(k, k)} {percent(s.summary.cv)}" for k, s in r.figures.items()
        )
    )
    lines.append(
        "latency tails of single calls (type-7 quantiles with 95 % CIs, from MLPerf's sample "
        f"floors; --min-samples raises the count): {tails_text(r.latency)}"
    )
    lines.append(
        "CIs allow for serial correlation within this run "
        f"(latency: {r.latency.summary.effective_n:.0f} independent samples' worth of "
        f"{r.latency.summary.n}); they cannot see how much fresh processes differ, which on a "
        "launch-bound or busy host is often more (docs/statistics.md)"
    )
    lines.append(
        f"cold first call: {duration(w.cold_call_s)} (latency of the first call in this process)"
    )
    lines.append(f"warm-up: {w.message}")
    for series in r.figures.values():
        if series.stop is not None:
            lines.append(
                f"stopped ({SHORT_LABELS.get(series.figure, series.figure)}): {series.stop.message}"
            )
    pipelined = (
        f"device-time samples hold {r.device_time.calls_per_sample} back-to-back calls"
        if "device_time" in r.figures
        else "on a CPU a call runs synchronously, so device time is the same quantity as "
        "latency and is not measured apart"
    )
    lines.append(
        f"timer: {r.settings.timer}, overhead {duration(r.timer_overhead_s)} per sample; latency "
        f"samples hold {r.latency.calls_per_sample} call(s), each synchronized; {pipelined}"
    )
    m = r.memory
    if m.peak_allocated_bytes is not None:
        lines.append(
            f"memory: peak allocated {size_bytes(m.peak_allocated_bytes)}, peak reserved "
            f"{size_bytes(m.peak_reserved_bytes)} of {size_bytes(m.total_bytes)} ({m.source})"
        )
    shapes = ", ".join(str(tuple(x)) for x in r.settings.input_shapes)
    lines.append(f"inputs: {shapes}; {r.settings.inputs.source}")
    if r.settings.workload.hf_config:
        lines.append(f"model config changes: {', '.join(r.settings.workload.hf_config)}")
    lines.extend(analysis_lines(r))
    return lines


def analysis_lines(r: LatencyResult) -> list[str]:
    lines = []
    launch = r.analysis.launch
    if launch is not None:
        lines.append(
            f"kernel time (CUPTI) per call: {duration(launch.kernel_time_s)} over "
            f"{launch.kernels_per_call:.0f} kernels; GPU busy "
            f"{percent(launch.busy_fraction)} of latency → {launch.verdict}"
        )
    state = r.analysis.gpu_state
    if state is not None:
        lines.append(gpu_state_line(r.figures, state))
    if r.analysis.energy is not None:
        lines.extend(method_lines(r.analysis.energy))
    wall = r.analysis.wall_s
    if wall is not None:
        lines.append(wall_line(wall))
    return lines


WALL_PHASES = {
    "prepare_s": "model and inputs",
    "search_s": "batch search",
    "engine_s": "measurement",
    "graph_pass_s": "graph pass",
    "energy_s": "energy pass",
    "kernel_pass_s": "kernel-time pass",
}


def wall_line(wall: WallTimes) -> str:
    """How long the measurement took, by phase."""
    parts = ", ".join(
        f"{label} {getattr(wall, k):.2f} s"
        for k, label in WALL_PHASES.items()
        if getattr(wall, k) is not None
    )
    return f"took {wall.total_s:.2f} s: {parts}"


def gpu_state_line(figures: Mapping[str, Series], state: GpuState) -> str:
    before = state.before
    if "error" in before:
        return f"GPU state: not read ({before['error']})"
    c = timed_clock_summary(figures, state.readings)
    if not c["readings"]:
        return "GPU state during timing: no NVML readings arrived"
    reasons = ", ".join(c["reasons_seen"]) or "none"
    return (
        f"GPU during timing ({c['readings']} NVML readings): SM clock median "
        f"{c['sm_clock_mhz_median']:.0f} MHz (min {c['sm_clock_mhz_min']}, max clock "
        f"{before.get('sm_clock_max_mhz')}), up to {c['temperature_c_max']} °C, "
        f"{_number(c['power_w_median'], '.0f')} W median; clock-event reasons: {reasons}"
    )


def _number(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def print_latency(r: LatencyResult, console: Console, details: bool = False) -> None:
    print_lines(console, headline_lines(r))
    if not details:
        return
    console.print()
    console.print(details_table(r))
    for line in detail_lines(r):
        wrapped(console, line)
