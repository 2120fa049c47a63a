"""The HTML report from result files: every number parses back to the file's value, the same
input gives the same bytes but for one line, size targets, escaping, and bad input."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from infertime.comparison.report import GATE_WORDS
from infertime.errors import ConfigError, MissingDependencyError, ResultFileError
from infertime.latency.report import figures as latency_figures
from infertime.reporting.html import report as report_module
from infertime.reporting.html.figures import TimeSeries
from infertime.reporting.html.report import load_results, render_report, write_report
from infertime.resultfile import save_json, to_document
from infertime.throughput.report import figures as throughput_figures
from report_checks import check_numbers
from report_results import (
    GOLDEN,
    HOSTILE,
    KIND_FILES,
    cpu_only,
    edge_cases,
    golden,
    hostile,
    long_latency,
    sweep,
)

pytest.importorskip("matplotlib")


def test_every_number_of_every_kind_is_the_files_value() -> None:
    results = [golden(name) for name in KIND_FILES]
    html = render_report(results, stamp="s")
    checked = check_numbers(html, [to_document(r) for r in results])
    assert checked > 200


def test_numbers_of_long_and_sweep_reports_parse_back() -> None:
    one = long_latency(n=3000)
    assert check_numbers(render_report([one], stamp="s"), [to_document(one)]) > 40
    many = sweep(12)
    html = render_report(many, stamp="s")
    assert check_numbers(html, [to_document(r) for r in many]) > 12 * 20


def test_compared_files_dips_and_out_of_memory_points() -> None:
    cases = edge_cases()
    curve = cases[2]
    for part in (cases[:3], cases[3:]):  # at most 6 results: each drawn in full
        html = render_report(part, stamp="s")
        assert check_numbers(html, [to_document(r) for r in part]) > 100
    html = render_report(cases[:3], stamp="s")
    assert "per process" in html and "dip: not used" in html
    assert f"out of memory at batch {curve.points[-1].batch}" in html


def test_kernel_time_and_builds_of_a_gpu_comparison() -> None:
    r = edge_cases()[-1]
    html = render_report([r], stamp="s")
    assert check_numbers(html, [to_document(r)]) > 20
    assert 'data-source="/analysis/launch/0/kernel_time_s">20.00 µs</td>' in html
    assert 'data-source="/analysis/launch/0/verdict">launch-bound</td>' in html
    assert 'data-source="/analysis/backend_builds/3/backend">eager</td>' in html


def test_a_cpu_latency_result_has_no_device_time() -> None:
    """On a CPU a call is synchronous: only the latency figure, throughput from latency."""
    r = cpu_only(golden("latency"))
    html = render_report([r, sweep(1)[0]], stamp="s")
    assert check_numbers(html, [to_document(r), to_document(sweep(1)[0])]) > 40
    assert "median latency per call" in html and "— (CPU)" in html
    assert "no device-time figure" in html
    series = [f.title for f in latency_figures(r) if isinstance(f, TimeSeries)]
    assert len(series) == 1 and series[0].startswith("latency")


def test_the_gate_shows_each_of_its_three_states() -> None:
    base = golden("compare")
    x = base.ratio(1)
    assert x.ci is not None
    # A gate below, inside and above the ratio's CI: regression, inconclusive, passed.
    thresholds = {
        "regression": x.ci[0] - 1 - 0.001,
        "inconclusive": (x.ci[0] + x.ci[1]) / 2 - 1,
        "passed": x.ci[1] - 1 + 0.001,
    }
    for state, gate in thresholds.items():
        r = replace(base, policy=replace(base.policy, fail_if_slower=gate))
        assert r.gate_state == state
        html = render_report([r], stamp="s")
        assert check_numbers(html, [to_document(r)]) > 20
        assert f'data-source="/gate">{state}</td>' in html
        assert GATE_WORDS[state].split(":")[0] in html
    html = render_report([base], stamp="s")
    assert 'data-source="/gate"' not in html  # no gate, no gate panel


def test_decisions_and_per_item_comparisons_are_said() -> None:
    cases = edge_cases()
    per_item = cases[4]
    html = render_report([per_item], stamp="s")
    assert check_numbers(html, [to_document(per_item)]) > 20
    kind = per_item.decision(1).kind
    assert f'data-source="/ratios/0/decision">{kind}</td>' in html
    assert "per item" in html and "batch sizes differ" in html
    # The per-round ratios are per item too: the rows read back through ratios(A,B,a,b).
    per_process = cases[1]
    assert "ratios(/arms/0/groups,/arms/1/groups)" in render_report([per_process], stamp="s")


def test_pitfall_errors_compare_like_with_like() -> None:
    r = golden("pitfalls")
    html = render_report([r], stamp="s")
    for code in ("no_warmup",):
        for statistic in ("mean", "median"):
            err = r.error(code, statistic)
            assert f'data-value="{err!r}" data-source="/errors_vs_correct_median/{code}/' in html
    assert "mean against the correct mean" in html
    mistakes = [c.code for c in r.rows if c.applies and c.code not in ("correct", "single_sample")]
    noisy = [(c, k) for c in mistakes for k in ("mean", "median") if r.within_noise(c, k)]
    assert html.count(">within noise</td>") == len(noisy)


def test_unsteady_throughput_points_are_marked() -> None:
    curve = edge_cases()[2]
    unsteady = [q.batch for q in curve.points if q.warmup_steady is False]
    assert unsteady
    html = render_report([curve], stamp="s")
    assert f"the warm-up of batch {unsteady[0]} never settled" in html
    assert "unsteady" in html
    marks = throughput_figures(curve)[0].marks  # type: ignore[union-attr]
    assert any("unsteady" in m.label and m.role == "bad" for m in marks)


def test_a_file_is_checked_against_its_own_text(tmp_path: Path) -> None:
    """A file as infertime writes it now (schema 6), read back from its folder: every number
    equals the file's own text."""
    path = save_json(golden("compare"), tmp_path / "compare.json")
    results, names, skipped = load_results([tmp_path])
    assert names == [str(path)] and not skipped
    html = render_report(results, names=names, stamp="s")
    assert check_numbers(html, [json.loads(path.read_text())]) > 20


def test_files_of_every_schema_version_load_and_report() -> None:
    """Versions 1 to 5 load through their upgrades; statistics are recomputed from the raw
    samples, so numbers equal the document the file reads as now."""
    paths = sorted(GOLDEN.glob("v*.json"))
    results, names, skipped = load_results(paths)
    assert len(results) == len(paths) and not skipped
    assert {json.loads(p.read_text())["schema_version"] for p in paths} >= {1, 2, 3, 4, 5}
    html = render_report(results, names=names, stamp="s")
    assert check_numbers(html, [to_document(r) for r in results]) > 100 * len(paths) // 4
    for kind in ("latency", "throughput", "pitfalls", "compare"):
        assert f'id="kind-{kind}"' in html


def test_same_input_same_bytes_but_the_stamp() -> None:
    results = [golden("latency"), golden("compare")]
    a = render_report(results, stamp="written 2026-12-05T10:00:00+00:00").splitlines()
    b = render_report(results, stamp="written 2026-12-06T11:11:11+00:00").splitlines()
    assert len(a) == len(b)
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    assert len(differ) == 1
    assert a[differ[0]] == '<p class="stamp">written 2026-12-05T10:00:00+00:00</p>'
    with pytest.raises(ValueError, match="one line"):
        render_report(results, stamp="two\nlines")


def test_size_targets() -> None:
    run = render_report([long_latency(n=10_000)], stamp="s")
    points = render_report(sweep(50), stamp="s")
    assert len(run.encode()) <= 1_000_000
    assert len(points.encode()) <= 1_000_000


def test_nothing_outside_the_file_is_named() -> None:
    html = render_report([golden(n) for n in KIND_FILES], stamp="s")
    for needle in ("src=", '<link rel="stylesheet', "@import", "url(http", "<iframe"):
        assert needle not in html
    hrefs = {part.split('"')[0] for part in html.split('href="')[1:]}
    assert all(h.startswith("#") or h == "data:," for h in hrefs), hrefs


def test_text_from_results_is_escaped() -> None:
    html = render_report([hostile(golden("latency"))], stamp="s")
    assert HOSTILE not in html and "<script>alert" not in html
    assert html.count("<script>") == 1  # the sorting script, nothing else
    assert "&lt;script&gt;alert" in html


def test_results_of_different_kinds_get_a_section_each() -> None:
    html = render_report([golden("pitfalls"), golden("generate"), golden("latency")], stamp="s")
    order = [html.index(f'id="kind-{k}"') for k in ("latency", "pitfalls", "generate")]
    assert order == sorted(order)  # the registry's order, not the order given
    for anchor in ("overview", "environment", "method", "findings"):
        assert f'id="{anchor}"' in html or anchor == "overview"


def test_every_finding_and_its_advice_is_listed() -> None:
    r = golden("latency")
    html = render_report([r], stamp="s")
    assert r.diagnostics
    for d in r.diagnostics:
        assert d.message.split("(")[0].strip() in html.replace("&#x27;", "'")
        if d.advice:
            assert d.advice.split("(")[0].strip() in html.replace("&#x27;", "'")


def test_a_file_that_is_not_a_result_stops_the_report(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    save_json(golden("pitfalls"), good)
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": 1}')
    with pytest.raises(ConfigError) as info:
        load_results([good, bad])
    assert info.value.exit_code == 2 and str(bad) in info.value.one_line()
    assert "\n" not in info.value.one_line()
    with pytest.raises(ConfigError, match="no such result file"):
        load_results([tmp_path / "missing.json"])


def test_skip_bad_reports_the_rest_and_says_what_was_skipped(tmp_path: Path) -> None:
    save_json(golden("pitfalls"), tmp_path / "a.json")
    (tmp_path / "b.json").write_text("not json")
    results, names, skipped = load_results([tmp_path], skip_bad=True)
    assert len(results) == 1 and len(skipped) == 1 and "b.json" in skipped[0]
    out = write_report(tmp_path / "r.html", results, names=names, notices=skipped, stamp="s")
    assert "b.json" in out.read_text()
    (tmp_path / "a.json").unlink()
    with pytest.raises(ConfigError, match="no results"):
        load_results([tmp_path], skip_bad=True)


def test_a_missing_folder_or_a_full_disk_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = golden("pitfalls")
    with pytest.raises(ResultFileError, match="does not exist"):
        write_report(tmp_path / "nowhere" / "r.html", [r], stamp="s")
    assert not (tmp_path / "nowhere").exists()

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ResultFileError, match="No space left") as info:
        write_report(tmp_path / "r.html", [r], stamp="s")
    assert "\n" not in info.value.one_line()
    assert list(tmp_path.iterdir()) == []


def test_no_results_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no results"):
        render_report([], stamp="s")


def test_missing_matplotlib_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module

    def without_matplotlib(name: str, package: str | None = None) -> object:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", without_matplotlib)
    with pytest.raises(MissingDependencyError) as info:
        render_report([golden("pitfalls")], stamp="s")
    assert info.value.exit_code == 6 and "infertime[plot]" in info.value.one_line()
    assert report_module.COMPACT_ABOVE >= 1
