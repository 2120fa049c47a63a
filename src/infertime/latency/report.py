"""A latency result (`infertime run`) in the HTML report (the registry's `report` and
`figures`): the figures side by side with kernel time, each figure's samples in time order with
warm-up and throttle flags, the latency distribution, with --processes each process's median,
and its row and point in the overview of many results."""

from __future__ import annotations

from collections.abc import Sequence

from ..records import FIGURE_LABELS, Series
from ..reporting.html import cells, downsample, gpu_state
from ..reporting.html.cells import Cell
from ..reporting.html.common import configuration
from ..reporting.html.document import Panel, Table
from ..reporting.html.figures import (
    Axis,
    Band,
    Bar,
    Bars,
    Distribution,
    Figure,
    Forest,
    Interval,
    Level,
    TimeSeries,
    Trace,
)
from ..reporting.html.kind_report import Config, KindReport, figures_of
from ..reporting.html.overview import variant
from ..reporting.html.probes import probes_panel
from ..reporting.html.sources import pointer as p
from .render import LEGEND, SHORT_LABELS, describe_run
from .result import LatencyResult

ROLES = {"latency": "data", "device_time": "other", "graph_latency": "good"}
PER_CALL = Axis("time per call", "s")
WARMUP_SHOWN = 100
# What throughput is made of (LatencyResult.throughput_figure), in words.
THROUGHPUT_OF = {
    "device_time": "median device time per call",
    "latency": "median latency per call",
}
TAIL_ROLES = {"p90": "other", "p95": "limit", "p99": "bad"}  # one colour per tail line


def title(r: LatencyResult) -> str:
    return describe_run(r)


def lead(r: LatencyResult) -> tuple[str, ...]:
    lines = [LEGEND.get(name, name) for name in r.figures]
    if r.processes:
        lines.append(
            f"repeated in {len(r.processes)} fresh processes: the typical figure is the "
            "geometric mean of their medians; the other panels show the last process"
        )
    return tuple(lines)


def _tail_cell(series: Series, name: str, label: str) -> Cell:
    t = next(t for t in series.summary.tails if t.label == label)
    if t.value is None:
        return cells.text("withheld")
    return cells.seconds(t.value, p("statistics", name, "percentiles_s", label))


def headline(r: LatencyResult) -> Panel:
    """Each figure's median with its CI as bars, beside the table of every headline number."""
    rows: list[tuple[Cell, ...]] = []
    bars: list[Bar] = []
    for name, series in r.figures.items():
        over = r.across(name)
        if over is not None:  # fresh processes: the typical figure is the answer
            ci = over.typical_ci
            base = p("across_processes", name)
            value = over.typical
            rows.append(
                (
                    cells.text(SHORT_LABELS.get(name, name)),
                    cells.seconds(value, base + "/typical_s"),
                    cells.seconds(ci[0] if ci else None, base + "/typical_ci_s/0"),
                    cells.seconds(ci[1] if ci else None, base + "/typical_ci_s/1"),
                    cells.text(""),
                    cells.count(over.processes, f"len({base}/medians_s)"),
                    cells.text("see each process"),
                )
            )
        else:
            s = series.summary
            ci = s.median_ci
            value = s.median
            rows.append(
                (
                    cells.text(SHORT_LABELS.get(name, name)),
                    cells.seconds(s.median, p("statistics", name, "median_s")),
                    cells.seconds(ci[0] if ci else None, p("statistics", name, "median_ci_s", 0)),
                    cells.seconds(ci[1] if ci else None, p("statistics", name, "median_ci_s", 1)),
                    cells.fraction(s.median_ci_rel, p("statistics", name, "median_ci_rel")),
                    cells.count(s.n, p("statistics", name, "n")),
                    _tail_cell(series, name, "p99"),
                )
            )
        bars.append(
            Bar(
                SHORT_LABELS.get(name, name),
                value,
                ci[0] if ci else None,
                ci[1] if ci else None,
                role=ROLES.get(name, "data"),
            )
        )
    launch = r.analysis.launch
    if launch is not None:
        kernel = launch.kernel_time_s
        rows.append(
            (
                cells.text("kernel time"),
                cells.seconds(kernel, p("analysis", "launch", "kernel_time_s")),
                *(cells.text("") for _ in range(5)),
            )
        )
        bars.append(Bar("kernel time", kernel, role="reference"))
    typical = "typical" if r.processes else "median"
    table = Table(
        (
            "per call",
            typical,
            "CI low",
            "CI high",
            "±",
            "processes" if r.processes else "samples",
            "p99",
        ),
        tuple(rows),
        (
            f"typical figures over {len(r.processes)} fresh processes (geometric mean of their "
            "medians) with their CIs"
            if r.processes
            else f"medians with their {round(r.latency.confidence * 100)} % CIs; p99 of single "
            "calls"
        ),
    )
    tp = r.throughput_ci
    throughput = Table(
        ("throughput", "items/s", "CI low", "CI high"),
        (
            (
                cells.text(f"batch {r.settings.batch_size} / {THROUGHPUT_OF[r.throughput_figure]}"),
                cells.items_per_s(r.throughput_items_per_s, p("throughput", "items_per_s")),
                cells.items_per_s(tp[0] if tp else None, p("throughput", "ci", 0)),
                cells.items_per_s(tp[1] if tp else None, p("throughput", "ci", 1)),
            ),
        ),
    )
    notes = []
    withheld = {t.withheld for t in r.latency.summary.tails if t.withheld}
    if withheld:
        notes.append(f"latency tails withheld: {'; '.join(sorted(withheld))}")
    if launch is not None:
        notes.append(f"GPU busy {launch.busy_fraction:.0%} of the latency → {launch.verdict}")
    if r.throughput_figure == "latency":
        notes.append(
            "no device-time figure: on a CPU a call runs synchronously, so throughput is "
            "batch / latency"
        )
    figure = Bars(
        f"median time per call, by what it measures — {configuration(r.settings)}",
        PER_CALL,
        tuple(bars),
        note="error bars: CI of the median",
    )
    return Panel("the answer", figure, (table, throughput), tuple(notes))


def series_panel(r: LatencyResult, name: str) -> Panel:
    """One figure's samples in time order; for latency the warm-up calls before them."""
    series = r.figures[name]
    s = series.summary
    n = len(series.samples_s)
    traces = []
    events = []
    w = r.warmup
    shown_warmup = 0
    if name == "latency" and w.samples_s:
        # The last warm-up calls, as many as there are samples (at least 100): thousands of
        # short warm-up calls would otherwise squeeze the measured series into a sliver.
        shown_warmup = min(len(w.samples_s), max(n, WARMUP_SHOWN))
        tail = w.samples_s[-shown_warmup:]
        traces.append(Trace("warm-up calls", tuple(range(-shown_warmup, 0)), tail, role="warmup"))
        events.append(Level("end of warm-up", -0.5))
    traces.append(Trace("samples", tuple(range(n)), series.samples_s, role=ROLES.get(name, "data")))
    flagged = gpu_state.throttled(series, r)
    if flagged:
        traces.append(
            Trace(
                "NVML: clock throttled",
                tuple(flagged),
                tuple(series.samples_s[i] for i in flagged),
                role="flag",
                points=True,
            )
        )
    bands: tuple[Band, ...] = ()
    if s.median_ci:
        bands = (Band(f"{round(s.confidence * 100)} % CI of the median", *s.median_ci),)
    what = FIGURE_LABELS.get(name, name)
    k = series.calls_per_sample
    per = "" if k == 1 else f", each the mean of {k} calls"
    figure = TimeSeries(
        f"{what}: every sample in time order{per} — {configuration(r.settings)}",
        Axis("sample number (warm-up calls below 0)" if events else "sample number"),
        PER_CALL,
        tuple(traces),
        bands,
        (Level("median", s.median, "median"),),
        tuple(events),
    )
    rows = [
        (cells.text("samples"), cells.count(s.n, p("statistics", name, "n"))),
        (
            cells.text("calls per sample"),
            cells.count(series.calls_per_sample, p("figures", name, "calls_per_sample")),
        ),
        (cells.text("median"), cells.seconds(s.median, p("statistics", name, "median_s"))),
        (
            cells.text("CI low"),
            cells.seconds(
                s.median_ci[0] if s.median_ci else None, p("statistics", name, "median_ci_s", 0)
            ),
        ),
        (
            cells.text("CI high"),
            cells.seconds(
                s.median_ci[1] if s.median_ci else None, p("statistics", name, "median_ci_s", 1)
            ),
        ),
        (
            cells.text("serial inflation of the CI"),
            cells.number(s.inflation, p("statistics", name, "serial_inflation")),
        ),
    ]
    if events:
        rows += [
            (cells.text("warm-up calls"), cells.count(w.calls, p("warmup", "calls"))),
            (cells.text("warm-up time"), cells.seconds(w.seconds, p("warmup", "seconds"))),
            (cells.text("first call"), cells.seconds(w.cold_call_s, p("warmup", "cold_call_s"))),
        ]
    notes = []
    if events:
        notes.append(f"warm-up: {w.message}; drawn: its last {shown_warmup} calls")
    if series.stop is not None:
        notes.append(f"stopped: {series.stop.message}")
    if flagged:
        notes.append(f"{len(flagged)} samples taken while NVML reported a throttle reason")
    if n > downsample.MAX_POINTS:
        notes.append(
            f"drawn: the lowest and highest of each run of about {2 * n // downsample.MAX_POINTS}"
            f" samples ({downsample.MAX_POINTS} of {n}); every statistic is from all {n}"
        )
    return Panel(
        SHORT_LABELS.get(name, name), figure, (Table(("", "value"), tuple(rows)),), tuple(notes)
    )


def distribution_panel(r: LatencyResult) -> Panel:
    """The latency distribution from every sample, with the median and the tails marked."""
    series = r.latency
    s = series.summary
    marks = [Level("median", s.median, "median")]
    marks += [
        Level(t.label, t.value, TAIL_ROLES.get(t.label, "limit"))
        for t in s.tails
        if t.value is not None
    ]
    per = "single calls" if s.per_call else f"means of {series.calls_per_sample} calls"
    figure = Distribution(
        f"latency distribution, {s.n} samples of {per} — {configuration(r.settings)}",
        Axis("latency per call (synchronous request)", "s"),
        series.samples_s,
        tuple(marks),
    )
    rows: list[tuple[Cell, ...]] = [
        (cells.text("n"), cells.count(s.n, p("statistics", "latency", "n"))),
        (cells.text("min"), cells.seconds(s.min, p("statistics", "latency", "min_s"))),
        (cells.text("q1"), cells.seconds(s.q1, p("statistics", "latency", "q1_s"))),
        (cells.text("median"), cells.seconds(s.median, p("statistics", "latency", "median_s"))),
        (cells.text("q3"), cells.seconds(s.q3, p("statistics", "latency", "q3_s"))),
        (cells.text("max"), cells.seconds(s.max, p("statistics", "latency", "max_s"))),
        (cells.text("mean"), cells.seconds(s.mean, p("statistics", "latency", "mean_s"))),
        (cells.text("std"), cells.seconds(s.std, p("statistics", "latency", "std_s"))),
    ]
    for t in s.tails:
        if t.value is None:
            rows.append((cells.text(t.label), cells.text("withheld")))
            continue
        rows.append(
            (
                cells.text(t.label),
                cells.seconds(t.value, p("statistics", "latency", "percentiles_s", t.label)),
            )
        )
        if t.ci is not None:
            ci = p("statistics", "latency", "percentile_ci_s", t.label)
            rows.append((cells.text(f"{t.label} CI low"), cells.seconds(t.ci[0], ci + "/0")))
            rows.append((cells.text(f"{t.label} CI high"), cells.seconds(t.ci[1], ci + "/1")))
    notes = (
        ()
        if s.per_call
        else (
            f"each sample averages {series.calls_per_sample} calls: "
            "spread of means, not of single calls; tails withheld",
        )
    )
    return Panel("distribution", figure, (Table(("latency", "value"), tuple(rows)),), notes)


def processes_panel(r: LatencyResult, name: str) -> Panel | None:
    """Each fresh process's median with its CI, the typical figure and where a new one falls."""
    over = r.across(name)
    if over is None:
        return None
    rows_f: list[Interval] = []
    rows_t: list[tuple[Cell, ...]] = []
    for i, proc in enumerate(r.processes):
        series = proc.figures.get(name)
        if series is None:
            continue
        s = series.summary
        ci = s.median_ci
        rows_f.append(
            Interval(f"process {i + 1}", s.median, ci[0] if ci else None, ci[1] if ci else None)
        )
        samples = p("processes", i, "figures", name, "samples_s")
        rows_t.append(
            (
                cells.count(i + 1),
                cells.seconds(s.median, p("across_processes", name, "medians_s", i)),
                cells.seconds(ci[0] if ci else None, f"ci_low({samples})"),
                cells.seconds(ci[1] if ci else None, f"ci_high({samples})"),
                cells.seconds(proc.wall_s, p("processes", i, "wall_s")),
            )
        )
    base = p("across_processes", name)
    bands = []
    if over.prediction:
        bands.append(Band("one new process (prediction)", *over.prediction, role="limit"))
    if over.typical_ci:
        bands.append(Band("CI of the typical figure", *over.typical_ci))
    figure = Forest(
        f"{FIGURE_LABELS.get(name, name)}: the median of each fresh process with its CI — "
        f"{configuration(r.settings)}",
        PER_CALL,
        tuple(rows_f),
        tuple(bands),
        (Level("typical (geometric mean of the medians)", over.typical, "median"),),
    )
    summary = (
        (cells.text("typical"), cells.seconds(over.typical, base + "/typical_s")),
        (
            cells.text("CI low"),
            cells.seconds(
                over.typical_ci[0] if over.typical_ci else None, base + "/typical_ci_s/0"
            ),
        ),
        (
            cells.text("CI high"),
            cells.seconds(
                over.typical_ci[1] if over.typical_ci else None, base + "/typical_ci_s/1"
            ),
        ),
        (
            cells.text("prediction low"),
            cells.seconds(
                over.prediction[0] if over.prediction else None, base + "/prediction_s/0"
            ),
        ),
        (
            cells.text("prediction high"),
            cells.seconds(
                over.prediction[1] if over.prediction else None, base + "/prediction_s/1"
            ),
        ),
        (
            cells.text("between processes (CV)"),
            cells.fraction(over.between_cv, base + "/between_cv"),
        ),
        (
            cells.text("I² (spread not explained by each CI)"),
            cells.fraction(over.heterogeneity, base + "/i_squared"),
        ),
    )
    return Panel(
        f"{SHORT_LABELS.get(name, name)} over processes",
        figure,
        (
            Table(("process", "median", "CI low", "CI high", "wall time"), tuple(rows_t)),
            Table(("over processes", "value"), summary),
        ),
    )


def details(r: LatencyResult) -> Panel:
    """The timer, memory, what a call leaves behind, and the kernel-time pass in numbers."""
    m = r.memory
    rows: list[tuple[Cell, ...]] = [
        (cells.text("timer"), cells.text(r.settings.timer, p("settings", "timer"))),
        (
            cells.text("timer overhead per sample"),
            cells.seconds(r.timer_overhead_s, p("timer_overhead_s")),
        ),
        (
            cells.text("peak allocated"),
            cells.size(m.peak_allocated_bytes, p("memory", "peak_allocated_bytes")),
        ),
        (
            cells.text("peak reserved"),
            cells.size(m.peak_reserved_bytes, p("memory", "peak_reserved_bytes")),
        ),
        (cells.text("memory read by"), cells.text(m.source, p("memory", "source"))),
    ]
    growth = r.analysis.memory_growth
    if growth is not None and growth.bytes is not None:
        base = p("analysis", "memory_growth")
        rows.append(
            (
                cells.text(f"memory growth over {growth.calls} calls"),
                cells.size(growth.bytes, base + "/bytes"),
            )
        )
    launch = r.analysis.launch
    notes = []
    if launch is not None:
        base = p("analysis", "launch")
        rows += [
            (
                cells.text("kernels per call (CUPTI)"),
                cells.number(launch.kernels_per_call, base + "/kernels_per_call"),
            ),
            (
                cells.text("GPU busy fraction"),
                cells.fraction(launch.busy_fraction, base + "/busy_fraction"),
            ),
            (cells.text("launch verdict"), cells.text(launch.verdict, base + "/verdict")),
        ]
        if launch.host_syncs_per_call is not None:
            rows.append(
                (
                    cells.text("host syncs per call"),
                    cells.count(launch.host_syncs_per_call, base + "/host_syncs_per_call"),
                )
            )
        notes.append(launch.definition)
    return Panel("run details", tables=(Table(("", "value"), tuple(rows)),), notes=tuple(notes))


def panels(r: LatencyResult, compact: bool = False) -> tuple[Panel, ...]:
    """Every panel of a latency result; `compact` (many results in one report): the answer,
    the latency series and the processes only."""
    out = [headline(r)]
    names = ["latency"] if compact else list(r.figures)
    out += [series_panel(r, name) for name in names]
    if not compact:
        out.append(distribution_panel(r))
    for name in r.figures:
        panel = processes_panel(r, name)
        if panel is not None:
            out.append(panel)
    if not compact:
        out.append(details(r))
        probes = probes_panel(r)
        if probes is not None:
            out.append(probes)
    return tuple(out)


def figures(r: LatencyResult) -> tuple[Figure, ...]:
    """The data series of a latency result's plots (the kind registry's `figures`)."""
    return figures_of(panels(r))


def configs(r: LatencyResult, i: int) -> list[Config]:
    """A latency result is one configuration in the overview: its median latency and its
    throughput (over processes, the typical figures)."""
    b = r.settings.batch_size
    over = r.across("latency")
    latency_source = (
        p("across_processes", "latency", "typical_s")
        if over is not None
        else p("statistics", "latency", "median_s")
    )
    return [
        Config(
            i,
            f"#{i + 1} {r.settings.model} b{b}",
            r.settings.model,
            variant(r),
            b,
            p("settings", "workload", "batch_size"),
            r.typical("latency"),
            latency_source,
            r.throughput_items_per_s,
            p("throughput", "items_per_s"),
        )
    ]


def _typical_cell(r: LatencyResult, name: str) -> Cell:
    """A figure's answer: its median, or over fresh processes their typical figure."""
    if name not in r.figures:
        return cells.text("— (CPU)")  # no device time: a CPU call is synchronous
    if r.processes:
        return cells.seconds(r.typical(name), p("across_processes", name, "typical_s"))
    return cells.seconds(r.figures[name].summary.median, p("statistics", name, "median_s"))


def summary(members: Sequence[tuple[int, LatencyResult]]) -> Table | None:
    """Every latency result of a report in one sortable table."""
    rows = []
    index = []
    for i, r in members:
        s = r.latency.summary
        p99 = next(t for t in s.tails if t.label == "p99")
        spread: tuple[Cell, Cell] = (
            cells.text("see result"),
            cells.text("see result"),
        )
        if not r.processes:
            spread = (
                cells.fraction(s.median_ci_rel, p("statistics", "latency", "median_ci_rel")),
                cells.seconds(p99.value, p("statistics", "latency", "percentiles_s", "p99"))
                if p99.value is not None
                else cells.text("withheld"),
            )
        rows.append(
            (
                cells.count(i + 1),
                cells.text(r.settings.model, p("settings", "workload", "model")),
                cells.count(r.settings.batch_size, p("settings", "workload", "batch_size")),
                cells.text(variant(r)),
                _typical_cell(r, "latency"),
                *spread,
                _typical_cell(r, "device_time"),
                cells.items_per_s(r.throughput_items_per_s, p("throughput", "items_per_s")),
            )
        )
        index.append(i)
    if not rows:
        return None
    return Table(
        ("#", "model", "batch", "configuration", "latency", "±", "p99", "device time", "items/s"),
        tuple(rows),
        "every latency result: medians, or typical figures over fresh processes (click a "
        "column to sort)",
        sortable=True,
        row_results=tuple(index),
    )


REPORT = KindReport("Latency", title, lead, panels, summary, configs)
