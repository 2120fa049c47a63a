"""Report figures as data: downsampling, the Pareto front, sources, and what each kind's
panels hold, checked against the results they come from (no drawing, no browser)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from infertime import kinds, stats
from infertime.comparison import report as compare
from infertime.latency import report as latency
from infertime.pitfalls import report as pitfalls
from infertime.reporting.html import downsample, gpu_state, overview
from infertime.reporting.html.figures import Axis, Curve, Forest, Line, Point, TimeSeries
from infertime.reporting.html.report import report_of
from infertime.reporting.html.sources import at, pointer, resolve
from infertime.resultfile import load_result, to_document
from infertime.throughput import report as throughput
from report_results import GOLDEN, golden, long_latency

# Each kind's newest golden file (test_pipeline.py's SAMPLES).
SAMPLES = {
    "latency": "v4_latency_processes_cpu.json",
    "throughput": "v3_throughput_cpu.json",
    "pitfalls": "v3_pitfalls_cpu.json",
    "compare": "v5_compare_cpu.json",
    "generate": "v6_generate_cpu.json",
}


def test_minmax_keeps_every_extreme_in_time_order() -> None:
    y = [1.0] * 10_000
    y[1234], y[8765], y[5000] = 50.0, 0.1, 20.0
    x = list(range(len(y)))
    xs, ys = downsample.minmax(x, y, 2000)
    assert len(xs) <= 2000 and list(xs) == sorted(xs)
    assert {1234, 8765, 5000} <= set(xs)
    assert max(ys) == 50.0 and min(ys) == 0.1


def test_short_series_are_drawn_whole() -> None:
    assert downsample.minmax([1, 2, 3], [3.0, 1.0, 2.0]) == ((1, 2, 3), (3.0, 1.0, 2.0))
    with pytest.raises(ValueError):
        downsample.minmax([1, 2], [1.0])


def test_ecdf_keeps_both_ends() -> None:
    values = [float(v) for v in range(10_000, 0, -1)]
    xs, ys = downsample.ecdf(values, 500)
    assert len(xs) <= 500 and xs[0] == 1.0 and xs[-1] == 10_000.0 and ys[-1] == 1.0


def test_pareto_front_is_the_undominated_points() -> None:
    points = [(1.0, 10.0), (2.0, 30.0), (1.5, 5.0), (3.0, 30.0), (4.0, 40.0), (0.5, 1.0)]
    front = overview.pareto_front(points)
    assert front == (5, 0, 1, 4)
    for i, (x, y) in enumerate(points):
        dominated = any(ox <= x and oy >= y and (ox, oy) != (x, y) for ox, oy in points)
        assert (i in front) == (not dominated) or points[i] == (3.0, 30.0)


def test_pointers_escape_and_resolve() -> None:
    doc = {"figures_s": {"a/b~c": 1.5}, "xs": [[1.0, 3.0], [2.0]], "groups": [[1.0], [2.0]]}
    assert pointer("figures_s", "a/b~c") == "/figures_s/a~1b~0c"
    assert at(doc, pointer("figures_s", "a/b~c")) == 1.5
    assert resolve(doc, "median(/xs)") == 2.0
    assert resolve(doc, "count(/xs)") == 3.0
    assert resolve(doc, "len(/xs)") == 2
    assert resolve(doc, "max(ratios(/groups,/xs))") == 2.0
    with pytest.raises(ValueError, match="unknown function"):
        resolve(doc, "mode(/xs)")


def test_figures_refuse_inconsistent_data() -> None:
    with pytest.raises(ValueError, match="unit"):
        Axis("x", "ms")
    with pytest.raises(ValueError, match="second axis"):
        Curve("c", Axis("b"), Axis("y"), (Line("l", (Point(1, 2),), right=True),))


def test_latency_figures_keep_every_sample_and_mark_what_matters() -> None:
    r = long_latency(n=10_000)
    series = next(f for f in latency.figures(r) if isinstance(f, TimeSeries))
    samples = next(t for t in series.traces if t.label == "samples")
    assert samples.y == r.latency.samples_s  # every sample; the renderer downsamples
    warm = next(t for t in series.traces if t.role == "warmup")
    assert max(warm.x) < 0 <= min(samples.x)
    assert [e.label for e in series.events] == ["end of warm-up"]
    assert series.levels[0].value == r.latency.summary.median
    assert (series.bands[0].low, series.bands[0].high) == r.latency.summary.median_ci
    flagged = next(t for t in series.traces if t.role == "flag")
    assert list(flagged.x) == gpu_state.throttled(r.latency, r) and flagged.x


def test_throttle_flags_follow_the_nvml_readings() -> None:
    r = long_latency(n=3000)
    flagged = gpu_state.throttled(r.latency, r)
    readings = gpu_state.readings(r)
    assert flagged and len(flagged) < len(r.latency.samples_s)
    # A sample is flagged when the latest reading before its end was throttled.
    for i in (flagged[0], flagged[-1]):
        end = r.latency.start_ns + int(r.latency.sample_end_offsets_s[i] * 1e9)
        latest = [x for x in readings if x.t_ns <= end][-1]
        assert latest.reasons & 0x4
    assert gpu_state.throttled(r.latency, golden("latency")) == []


def test_kernel_time_is_drawn_beside_latency() -> None:
    r = long_latency(n=500)
    bars = latency.headline(r).figure
    assert bars is not None
    values = {b.label: b.value for b in bars.bars}  # type: ignore[union-attr]
    assert r.analysis.launch is not None
    assert values["kernel time"] == r.analysis.launch.kernel_time_s
    assert values["latency"] == r.latency.summary.median


def test_processes_forest_holds_each_process_and_the_prediction() -> None:
    r = golden("latency_processes")
    forest = next(f for f in latency.figures(r) if isinstance(f, Forest))
    over = r.across("latency")
    assert [row.value for row in forest.rows] == list(over.medians)
    assert forest.levels[0].value == over.typical
    assert (forest.bands[0].low, forest.bands[0].high) == over.prediction


def test_throughput_curve_marks_the_choices() -> None:
    r = golden("throughput")
    curve = throughput.figures(r)[0]
    assert isinstance(curve, Curve)
    points = curve.lines[0].points
    assert [p.x for p in points] == [q.batch for q in r.points if q.measured]
    assert [p.y for p in points] == [q.items_per_s for q in r.points if q.measured]
    words = " ".join(m.label for m in curve.marks)
    assert "peak" in words and "knee" in words and "max-fit" in words and "budget" in words


def test_pitfall_bars_are_mean_and_std_with_the_median() -> None:
    r = golden("pitfalls")
    bars = pitfalls.figures(r)[0]
    correct = next(b for b in bars.bars if b.label == "correct")  # type: ignore[union-attr]
    s = r.row("correct").summary
    assert (correct.value, correct.high, correct.dot) == (s.mean, s.mean + s.std, s.median)


def test_compare_forest_has_the_ratio_the_band_and_the_gate() -> None:
    r = golden("compare")
    forest = compare.figures(r)[0]
    assert isinstance(forest, Forest)
    x = r.ratio(1)
    assert (forest.rows[0].value, forest.rows[0].low, forest.rows[0].high) == (x.value, *x.ci)
    p = r.policy.precision
    assert (forest.bands[0].low, forest.bands[0].high) == (1 - p, 1 + p)
    rounds = compare.figures(r)[1]
    assert isinstance(rounds, TimeSeries)
    ratios = rounds.traces[0].y
    assert stats.median(ratios) == pytest.approx(x.value)


def test_sweep_sources_point_at_the_values() -> None:
    results = [golden("latency"), golden("throughput")]
    docs = [to_document(r) for r in results]
    found = [c for i, r in enumerate(results) for c in report_of(r.kind).configs(r, i)]
    assert len(found) == 1 + sum(1 for q in results[1].points if q.ok)
    for c in found:
        assert resolve(docs[c.result], c.latency_source) == c.latency_s
        assert resolve(docs[c.result], c.items_per_s_source) == c.items_per_s


def test_the_report_modules_import_neither_torch_nor_matplotlib() -> None:
    """Every module of the HTML report and every kind's report part, imported and asked for
    its figures: matplotlib comes only when drawing starts, torch never."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import infertime.reporting.html as html\n"
        "from infertime import kinds\n"
        "from infertime.resultfile import load_result\n"
        "for m in pkgutil.walk_packages(html.__path__, 'infertime.reporting.html.'):\n"
        "    importlib.import_module(m.name)\n"
        f"for name, path in {dict((k, str(GOLDEN / f)) for k, f in SAMPLES.items())!r}.items():\n"
        "    kind = kinds.get(name)\n"
        "    assert kind.report is not None and kind.figures(load_result(path))\n"
        "print('torch' in sys.modules, 'matplotlib' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False False"


def test_every_kind_registers_its_report_and_figures() -> None:
    """The report reads the registry: each kind names its report part and its figures, in
    its own folder, and a report of its golden file draws them."""
    for name in kinds.names():
        kind = kinds.get(name)
        assert kind.report_path is not None and kind.figures_path is not None, name
        folder = kinds.REGISTRY[name].rsplit(".", 1)[0]
        assert kind.report_path.startswith(folder + ".") and kind.figures_path.startswith(
            folder + "."
        )
        assert report_of(name) is kind.report
        result = load_result(GOLDEN / SAMPLES[name])
        assert kind.figures is not None and kind.figures(result)
