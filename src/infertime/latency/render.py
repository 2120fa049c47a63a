"""Render a latency result for the terminal: headline table, details, each number labelled."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from .. import stats
from ..diagnose.gpu import timed_clock_summary
from ..records import Series
from ..reporting.units import duration, duration_in, percent, rate, size_bytes, unit_of
from ..telemetry.gpu_monitor import readings_of
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
    parts = [s.model, f"batch {s.batch_size}", s.dtype_label]
    if any(len(shape) == 4 for shape in s.input_shapes):
        parts.append("channels-last" if s.channels_last else "NCHW")
    parts.append(device)
    return " · ".join(parts)


def ci_text(center: float, ci: tuple[float, float] | None) -> str:
    if ci is None:
        return "n/a (< 6 samples)"
    half = stats.relative_half_width(center, ci)
    lo, hi = duration_in(ci[0], center), duration_in(ci[1], center)
    return f"{lo}–{hi} {unit_of(center)} (±{percent(half, 1)})"


def figure_row(series: Series) -> list[str]:
    s = series.summary
    return [
        SHORT_LABELS.get(series.figure, series.figure),
        duration(s.median),
        ci_text(s.median, s.median_ci),
        f"{duration_in(s.mean, s.mean)} ± {duration_in(s.std, s.mean)} {unit_of(s.mean)}",
        percent(s.iqr_rel),
        f"{duration_in(s.min, s.median)}–{duration_in(s.max, s.median)} {unit_of(s.median)}",
        f"{s.n}×{series.calls_per_sample}",
    ]


def headline_table(r: LatencyResult) -> Table:
    table = Table(title=describe_run(r), title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    conf = round(r.latency.confidence * 100)
    for col in (
        "per call",
        "median",
        f"{conf} % CI",
        "mean ± std",
        "IQR/med",
        "min–max",
        "n×calls",
    ):
        table.add_column(col, justify="left" if col == "per call" else "right", no_wrap=True)
    for series in r.figures.values():
        row = figure_row(series)
        table.add_row(*row)
    tp = r.throughput_ci
    tp_ci = f"{rate(tp[0], '').strip()}–{rate(tp[1], 'items/s')}" if tp else ""
    table.add_row(
        f"throughput (b={r.settings.batch_size})",
        rate(r.throughput_items_per_s, "items/s"),
        tp_ci,
        "",
        "",
        "",
        "",
    )
    return table


def tails_text(series: Series) -> str:
    s = series.summary
    parts = []
    for q, value in s.percentiles.items():
        label = f"p{round(q * 100)}"
        if value is None:
            parts.append(f"{label} needs {stats.min_samples_for_percentile(q)} samples")
        else:
            parts.append(f"{label} {duration(value)}")
    return " · ".join(parts) + f" (have {s.n}; --min-samples raises it)"


def detail_lines(r: LatencyResult) -> list[str]:
    w = r.warmup
    lines = [LEGEND.get(f, f) for f in r.figures]
    lines.append(
        "throughput = batch / median device time per call; CV: "
        + ", ".join(
            f"{SHORT_LABELS.get(k, k)} {percent(s.summary.cv)}" for k, s in r.figures.items()
        )
    )
    lines.append(f"latency tails (type-7 quantiles, MLPerf sample floors): {tails_text(r.latency)}")
    lines.append(
        f"cold first call: {duration(w.cold_call_s)} (latency of the first call in this process)"
    )
    lines.append(f"warm-up: {w.message}")
    for series in r.figures.values():
        if series.stop is not None:
            lines.append(
                f"stopped ({SHORT_LABELS.get(series.figure, series.figure)}): {series.stop.message}"
            )
    lines.append(
        f"timer: {r.settings.timer}, overhead {duration(r.timer_overhead_s)} per sample; latency "
        f"samples hold {r.latency.calls_per_sample} call(s), each synchronized; device-time "
        f"samples hold {r.device_time.calls_per_sample} back-to-back calls"
    )
    m = r.memory
    if m.peak_allocated_bytes is not None:
        lines.append(
            f"memory: peak allocated {size_bytes(m.peak_allocated_bytes)}, peak reserved "
            f"{size_bytes(m.peak_reserved_bytes)} of {size_bytes(m.total_bytes)} ({m.source})"
        )
    shapes = ", ".join(str(tuple(x)) for x in r.settings.input_shapes)
    lines.append(f"inputs: {shapes}; {r.settings.inputs.source}")
    lines.extend(analysis_lines(r))
    return lines


def analysis_lines(r: LatencyResult) -> list[str]:
    lines = []
    launch = r.analysis.get("launch")
    if launch:
        lines.append(
            f"kernel time (CUPTI) per call: {duration(launch['kernel_time_s'])} over "
            f"{launch['kernels_per_call']:.0f} kernels; GPU busy "
            f"{percent(launch['busy_fraction'])} of latency → {launch['verdict']}"
        )
    state = r.analysis.get("gpu_state")
    if state:
        lines.append(gpu_state_line(r, state))
    wall = r.analysis.get("wall_s")
    if wall:
        names = {
            "prepare_s": "model and inputs",
            "engine_s": "measurement",
            "graph_pass_s": "graph pass",
            "kernel_pass_s": "kernel-time pass",
        }
        parts = ", ".join(f"{label} {wall[k]:.2f} s" for k, label in names.items() if k in wall)
        lines.append(f"took {wall.get('total_s', 0):.2f} s: {parts}")
    return lines


def gpu_state_line(r: LatencyResult, state: dict[str, Any]) -> str:
    before = state.get("before", {})
    if "error" in before:
        return f"GPU state: not read ({before['error']})"
    c = timed_clock_summary(r.figures, readings_of(state))
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


def print_latency(r: LatencyResult, console: Console) -> None:
    console.print(headline_table(r))
    for line in detail_lines(r):
        console.print(line, highlight=False, soft_wrap=True, markup=False)
