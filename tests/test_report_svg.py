"""Figures drawn as inline SVG: the same figure gives the same bytes (in any process), ids do
not collide between figures, nothing is linked from outside, long series stay small."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from infertime.reporting.html.figures import (
    Axis,
    Band,
    Bar,
    Bars,
    Curve,
    Distribution,
    Forest,
    Interval,
    Level,
    Line,
    Mark,
    Point,
    Scatter,
    SmallMultiples,
    TimeSeries,
    Trace,
)
from report_results import long_latency

pytest.importorskip("matplotlib")
from infertime.reporting.html.svg import render_svg

SECONDS = Axis("latency per call", "s")


def series(n: int, title: str = "latency per call, in time order") -> TimeSeries:
    r = long_latency(n=n, throttle=False)
    s = r.latency.summary
    return TimeSeries(
        title,
        Axis("sample number"),
        SECONDS,
        (Trace("samples", tuple(range(n)), r.latency.samples_s),),
        (Band("95 % CI of the median", *s.median_ci),),  # type: ignore[misc]
        (Level("median", s.median, "median"),),
        (Level("end of warm-up", -0.5),),
    )


def every_type() -> list[object]:
    curve = Curve(
        "items/s against batch",
        Axis("batch size", "", log=True),
        Axis("throughput", "items/s"),
        (
            Line("items/s", (Point(1, 100, 90, 110), Point(2, 180, 170, 190))),
            Line("memory", (Point(1, 2**20), Point(2, 2**21)), right=True),
        ),
        y2=Axis("memory", "bytes"),
        marks=(Mark("peak", 2, 180),),
        levels=(Level("budget", 150, "limit"),),
    )
    return [
        series(500),
        Distribution(
            "latency distribution",
            SECONDS,
            long_latency(n=500).latency.samples_s,
            (Level("median", 1e-3, "median"),),
        ),
        Distribution("ecdf", SECONDS, (1e-3, 2e-3, 3e-3), ecdf=True),
        curve,
        Bars(
            "by method",
            SECONDS,
            (
                Bar("correct", 1e-3, 9e-4, 1.1e-3, dot=1e-3, role="good"),
                Bar("no sync", 1e-4, role="bad"),
            ),
        ),
        Forest(
            "ratios",
            Axis("ratio", "×"),
            (Interval("B", 1.02, 1.0, 1.04), Interval("C", 0.9)),
            (Band("±1 %", 0.99, 1.01, "reference"),),
            (Level("gate", 1.05, "limit"),),
        ),
        Scatter(
            "pareto",
            SECONDS,
            Axis("throughput", "items/s"),
            (Mark("a", 1e-3, 100), Mark("b", 2e-3, 300), Mark("c", 3e-3, 200)),
            (0, 1),
        ),
        SmallMultiples("per model", (curve, curve, curve, curve), columns=3),
    ]


def ids(svg: str) -> set[str]:
    return set(re.findall(r' id="([^"]+)"', svg))


def test_every_type_renders_deterministically_without_outside_links() -> None:
    for i, figure in enumerate(every_type()):
        a = render_svg(figure, f"k{i}")  # type: ignore[arg-type]
        assert a == render_svg(figure, f"k{i}")  # type: ignore[arg-type]
        assert a.startswith("<svg ") and a.endswith("</svg>")
        assert "<?xml" not in a and "<metadata" not in a and "DOCTYPE" not in a
        assert not re.search(r'(href|src)="(?!#)', a), "a link to outside the figure"
        assert "font-family" in a and "DejaVu Sans" in a  # text kept as text


def test_ids_differ_between_figures_of_one_report() -> None:
    figure = series(200)
    a, b = render_svg(figure, "f1"), render_svg(figure, "f2")
    assert ids(a) and not ids(a) & ids(b)
    for ref in re.findall(r'(?:href="#|url\(#)([^")]+)', a):
        assert ref in ids(a)


def test_long_series_are_downsampled_but_small() -> None:
    small = render_svg(series(2_000), "a")
    large = render_svg(series(10_000), "a")
    assert len(large.encode()) < 80_000
    assert len(large) < 1.5 * len(small)


def test_labels_are_text_with_their_units_and_no_tex() -> None:
    svg = render_svg(series(100, title="cost in $ and $x$ — 100 % <b>"), "t")
    assert "latency per call (µs)" in svg  # samples near 0.99 ms
    assert "cost in $ and $x$" in svg and "&lt;b&gt;" in svg


def test_same_bytes_in_another_process() -> None:
    code = (
        "import sys, hashlib\n"
        "sys.path.insert(0, 'tests')\n"
        "from test_report_svg import every_type\n"
        "from infertime.reporting.html.svg import render_svg\n"
        "print(hashlib.sha256(''.join(render_svg(f, f'k{i}') for i, f in "
        "enumerate(every_type())).encode()).hexdigest())\n"
    )
    import hashlib
    import os

    here = hashlib.sha256(
        "".join(render_svg(f, f"k{i}") for i, f in enumerate(every_type())).encode()  # type: ignore[arg-type]
    ).hexdigest()
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    assert out.stdout.strip() == here
