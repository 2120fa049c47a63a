"""The pytest plugin's parts without pytest runs: thresholds, the checks' three outcomes and
their words, device placement under pytest-xdist, the summary's width, pytest-benchmark's
layout. Results are built by hand, so every outcome here is decided by the data, not the host."""

from __future__ import annotations

import statistics
from dataclasses import replace

import pytest

from infertime.comparison.result import Arm, CompareResult
from infertime.devices.base import MemoryReading
from infertime.errors import ConfigError
from infertime.latency.result import LatencyResult
from infertime.policies import ComparePolicy
from infertime.pytest_plugin import outcomes, placement, records, report, storage
from infertime.pytest_plugin.results import TimedComparison, TimedDeviceTime, as_timed
from infertime.pytest_plugin.thresholds import parse_duration, parse_share
from infertime.records import Series, WarmupRecord
from result_parts import fake_settings

# -- thresholds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "share"), [("5%", 0.05), (" 2.5% ", 0.025), ("0.05", 0.05), (0.1, 0.1), ("0%", 0.0)]
)
def test_a_share_of_time_is_read_from_percent_or_fraction(given: object, share: float) -> None:
    assert parse_share(given, "--x") == pytest.approx(share)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("abc", "takes a share of time such as 5%"),
        ("-5%", "must be a slowdown of 0% or more"),
        ("500 ms", "not a duration"),
        ("5", "would be a share of 500%"),
        ("2000%", "below 1000%"),
        (True, "takes a share"),
        ("nan", "0% or more"),
    ],
)
def test_a_bad_share_is_one_line_naming_the_option(given: object, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_share(given, "--infertime-fail-if-slower")
    assert caught.value.one_line().startswith("--infertime-fail-if-slower")
    assert words in caught.value.one_line()


@pytest.mark.parametrize(
    ("given", "seconds"), [("20 ms", 0.02), ("20ms", 0.02), ("0.5 s", 0.5), ("800 us", 8e-4)]
)
def test_a_duration_needs_its_unit(given: str, seconds: float) -> None:
    assert parse_duration(given, "assert_faster_than") == pytest.approx(seconds)


@pytest.mark.parametrize(
    ("given", "words"),
    [("20", "needs a unit"), (0.02, "write its unit"), ("5%", "not a share"), ("abc", "such as"),
     ("-3 ms", "positive"), ("0 s", "positive")],
)  # fmt: skip
def test_a_bad_duration_says_why(given: object, words: str) -> None:
    with pytest.raises(ConfigError, match="assert_faster_than") as caught:
        parse_duration(given, "assert_faster_than")
    assert words in caught.value.one_line()


# -- a figure against a limit -------------------------------------------------------------


def latency_result(samples_ms: list[float], device_time: bool = False) -> LatencyResult:
    figures = {"latency": Series("latency", tuple(x * 1e-3 for x in samples_ms), 1)}
    if device_time:
        figures["device_time"] = Series("device_time", tuple(x * 0.5e-3 for x in samples_ms), 1)
    return LatencyResult(
        settings=fake_settings(device="cpu"),
        warmup=WarmupRecord(10, 0.1, True, "steady", 1e-3),
        figures=figures,
        timer_overhead_s=0.0,
        memory=MemoryReading(None, None, None, "none"),
        environment={"device": {"name": "cpu"}, "host": {"cpu_model": "Test CPU 3000"}},
    )


TIGHT = [10.0 + 0.01 * (i % 7) for i in range(200)]  # about 10.03 ms, a narrow CI
WIDE = [5.0 if i % 2 else 15.0 for i in range(40)]  # 5 or 15 ms: a CI across 10 ms


def test_faster_than_passes_only_when_the_whole_ci_is_below() -> None:
    r = latency_result(TIGHT)
    assert outcomes.faster_than(r, "latency", 0.011).state == "passed"
    slower = outcomes.faster_than(r, "latency", 0.010)
    assert slower.state == "slower"
    for words in ("latency per call 10.0", "95 % CI", "10.00 ms", "cpu (Test CPU 3000)",
                  "batch 4", "fp32", "1 threads"):  # fmt: skip
        assert words in slower.message, slower.message


def test_a_ci_across_the_limit_is_inconclusive_and_says_what_would_decide() -> None:
    found = outcomes.faster_than(latency_result(WIDE), "latency", 0.0101)
    assert found.state == "inconclusive"
    assert found.message.startswith("inconclusive:")
    assert "reaches both sides of the 10.10 ms limit" in found.message
    assert "a limit above" in found.message


def test_device_time_is_read_where_measured_and_latency_said_on_a_cpu() -> None:
    gpu_like = as_timed(latency_result(TIGHT, device_time=True), TimedDeviceTime)
    gpu_like.assert_faster_than("6 ms")  # device time is half the latency here
    cpu = as_timed(latency_result(TIGHT), TimedDeviceTime)
    with pytest.raises(AssertionError, match="the same quantity as device time"):
        cpu.assert_faster_than("6 ms")


def test_the_assertion_refuses_a_limit_without_a_unit() -> None:
    r = as_timed(latency_result(TIGHT), TimedDeviceTime)
    with pytest.raises(ConfigError, match="assert_faster_than '20' needs a unit"):
        r.assert_faster_than("20")


# -- a comparison against a threshold -----------------------------------------------------


def comparison(other_ms: list[float], mode: str = "interleaved", rounds: int = 30) -> CompareResult:
    base = tuple((1.0e-3,) * 5 for _ in range(rounds))
    other = tuple((other_ms[i % len(other_ms)] * 1e-3,) * 5 for i in range(rounds))
    if mode == "files":  # one process each: a series of samples, not rounds
        ramp = [1 + 0.001 * (i % 9) for i in range(120)]
        base = (tuple(1.0e-3 * x for x in ramp),)
        other = (tuple(other_ms[0] * 1e-3 * x for x in ramp),)
    groups = (base, other)
    arms = tuple(
        Arm(name=n, settings=fake_settings(device="cpu"), groups=g, calls_per_sample=1)
        for n, g in zip(("baseline", "candidate"), groups, strict=True)
    )
    return CompareResult(
        settings=arms[0].settings,
        environment={},
        mode=mode,
        figure="latency",
        arms=arms,
        policy=ComparePolicy(copies=1),
    )


def test_the_gate_has_three_outcomes() -> None:
    assert outcomes.not_slower(comparison([1.0, 1.001]), 0.05).state == "passed"
    slow = outcomes.not_slower(comparison([1.2, 1.21]), 0.05)
    assert slow.state == "regression"
    assert "candidate is slower than baseline beyond the 5 % threshold" in slow.message
    assert "time ratio 1.2" in slow.message and "95 % CI" in slow.message
    assert "baseline 1.000 ms, candidate 1.2" in slow.message and "on cpu" in slow.message
    across = outcomes.not_slower(comparison([1.0, 1.1]), 0.05)
    assert across.state == "inconclusive"
    assert across.message.startswith("inconclusive:")
    assert "reaches both sides of the 5 % threshold" in across.message
    assert "a threshold above" in across.message


def test_assert_not_slower_fails_on_inconclusive_and_reads_its_threshold() -> None:
    c = as_timed(comparison([1.0, 1.1]), TimedComparison)
    with pytest.raises(AssertionError, match=r"^inconclusive"):
        c.assert_not_slower("5%")
    c.assert_not_slower("20%")  # the CI's upper bound is below 1.2
    with pytest.raises(ConfigError, match="assert_not_slower takes a share of time"):
        c.assert_not_slower("500 ms")
    with pytest.raises(ConfigError, match=r"needs a threshold such as '5%'"):
        c.assert_not_slower()


def test_single_cpu_processes_from_files_are_inconclusive_unless_trusted() -> None:
    files = comparison([1.0], mode="files")
    found = outcomes.not_slower(files, 0.05, ", or pass --infertime-trust-single-process")
    assert found.state == "inconclusive"
    assert "single process of a host-bound figure" in found.message
    assert "--infertime-trust-single-process" in found.message
    trusted = replace(files, policy=replace(files.policy, trust_single_process=True))
    assert outcomes.not_slower(trusted, 0.05).state == "passed"


# -- placement under pytest-xdist -----------------------------------------------------------


def worker(index: int, count: int) -> placement.Worker:
    return placement.Worker(f"gw{index}", index, count)


def test_without_xdist_the_device_is_the_one_asked_for() -> None:
    assert placement.place("auto", None, lambda: 0) == "cpu"
    assert placement.place("auto", None, lambda: 2) == "cuda"
    assert placement.place("cuda:1", None, lambda: 2) == "cuda:1"
    assert placement.place("cpu", worker(0, 1), lambda: 0) == "cpu"  # -n 1: one timing at a time


def test_a_missing_device_skips() -> None:
    with pytest.raises(placement.Unavailable, match="no CUDA GPU"):
        placement.place("cuda", None, lambda: 0)
    with pytest.raises(placement.Unavailable, match="has 2 GPU"):
        placement.place("cuda:5", None, lambda: 2)


def test_each_xdist_worker_gets_its_own_gpu_or_is_refused() -> None:
    assert placement.place("cuda", worker(1, 2), lambda: 2) == "cuda:1"
    assert placement.place("auto", worker(0, 2), lambda: 4) == "cuda:0"
    with pytest.raises(placement.Refused, match="4 workers and this machine has 2 GPU"):
        placement.place("cuda", worker(3, 4), lambda: 2)
    with pytest.raises(placement.Refused, match="worker gw0 times on cuda:0 only"):
        placement.place("cuda:1", worker(0, 2), lambda: 2)
    with pytest.raises(placement.Refused, match="2 workers on this machine's CPU"):
        placement.place("auto", worker(1, 2), lambda: 0)


def test_worker_of_reads_xdist_workerinput() -> None:
    class Config:
        def __init__(self) -> None:
            self.workerinput = {"workerid": "gw3", "workercount": 4}

    assert placement.worker_of(Config()) == placement.Worker("gw3", 3, 4)
    assert placement.worker_of(object()) is None


# -- records, the summary, pytest-benchmark's layout ---------------------------------------


def test_quartiles_follow_pytest_benchmark() -> None:
    for n in range(1, 12):
        data = [float(x * x) for x in range(n)]
        q1, q3 = records.quartiles(data)
        if n % 2 == 0:
            halves = data[: n // 2], data[n // 2 :]
            assert (q1, q3) == (statistics.median(halves[0]), statistics.median(halves[1]))
        assert min(data) <= q1 <= q3 <= max(data)
    assert records.quartiles([1.0, 2.0, 3.0, 4.0, 5.0]) == (1.75, 4.25)


def test_benchmark_stats_are_what_dashboards_read() -> None:
    s = records.benchmark_stats([1e-3, 2e-3, 3e-3], 4)
    assert s["rounds"] == 3 and s["iterations"] == 4 and s["data"] == [1e-3, 2e-3, 3e-3]
    assert s["mean"] == pytest.approx(2e-3) and s["ops"] == pytest.approx(500.0)
    assert s["stddev"] == pytest.approx(1e-3) and s["median"] == 2e-3


def test_the_summary_fits_80_columns_and_says_what_it_measures() -> None:
    r = as_timed(latency_result(TIGHT), TimedDeviceTime)
    long_id = "tests/" + "x" * 60 + ".py::test_" + "y" * 50 + "[param-1]"
    rows = [
        records.latency_record(r, long_id, "device time", "device_time", False),
        records.compare_record(comparison([1.2]), "t.py::test_gate", "compare", False),
    ]
    rows[0]["checks"] = [{"check": "< 20 ms", "state": "inconclusive"}]
    rows[0]["saved"] = {"name": "main", "ratio": 1.01, "ci": [0.99, 1.03]}
    lines = report.summary_lines(rows)
    assert all(len(line) <= 80 for line in lines), lines
    text = "\n".join(lines)
    for words in ("median", "95 % CI", "time ratio", "vs saved main", "inconclusive",
                  "cpu (Test CPU 3000)"):  # fmt: skip
        assert words in text, text


def test_file_names_are_readable_and_unique() -> None:
    a = storage.file_name("tests/test_a.py::test_x[1]", "latency")
    assert a.startswith("tests_test_a.py__test_x[1]__latency.") and a.endswith(".json")
    assert a != storage.file_name("tests/test_a.py::test_x[1]", "latency 2")
    assert a != storage.file_name("tests/test_a_py::test_x[1]", "latency")
    assert "/" not in storage.file_name("a/" * 100 + "::t", "l") and len(a) < 150


def test_the_benchmark_file_sits_beside_the_json_file(tmp_path: object) -> None:
    from pathlib import Path

    assert report.benchmark_path(Path("out/run.json")) == Path("out/run.benchmark.json")
    assert report.benchmark_path(Path("run")) == Path("run.benchmark.json")
