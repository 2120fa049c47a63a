"""The pytest plugin in pytest runs (pytester): the fixture, its assertions and failures, the
options and their usage errors, saved baselines, --infertime-json, xdist refusal, device skips,
`-p no:infertime` and the cost of importing it. Tiny CPU models with short budgets; every
assertion is about what the plugin says and does, never about how fast this host is."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

import infertime
import infertime.comparison.measure
import infertime.latency.measure
import infertime.pytest_plugin.fixture
import infertime.pytest_plugin.models
from infertime import kinds
from infertime.resultfile import kind_formats, load_result

pytest_plugins = ("pytester",)
# pytester's inline runs drop the modules they imported when they end; imported here first,
# the classes of results read here are the ones the runs made.
kinds.all_kinds()
kind_formats()

GOLDEN = Path(__file__).parent / "golden"
# Where the entry point is not installed (a source tree), the plugin is named on the line.
INSTALLED = "infertime" in {ep.name for ep in metadata.entry_points(group="pytest11")}
PLUGIN = (
    ("-W", "ignore::pytest.PytestAssertRewriteWarning")  # imported here before the runs
    + (() if INSTALLED else ("-p", "infertime.pytest_plugin"))
)

MODELS = """
import pytest
import torch
from torch import nn

torch.manual_seed(0)
MODEL = nn.Sequential(nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 32))
X = torch.randn(4, 32)
QUICK = {"max_time_s": 0.3, "threads": 1}
"""


def run(pytester: pytest.Pytester, body: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_it=MODELS + textwrap.dedent(body))
    return pytester.runpytest(*PLUGIN, "-p", "no:cacheprovider", *args)


def test_the_fixture_measures_asserts_and_fails_with_the_models_error(
    pytester: pytest.Pytester,
) -> None:
    result = run(
        pytester,
        """
        import infertime as api

        def test_latency(infertime):
            r = infertime.latency(MODEL, X, **QUICK)
            assert isinstance(r, api.LatencyResult) and r.settings.device == "cpu"
            r.assert_faster_than("10 s")

        def test_too_slow(infertime):
            infertime.device_time(lambda x: MODEL(x), X, **QUICK).assert_faster_than("1 ns")

        def test_model_raises(infertime):
            class Broken(nn.Module):
                def forward(self, x):
                    raise ValueError("my model broke")
            infertime.latency(Broken(), X, **QUICK)

        def test_bad_limit(infertime):
            infertime.latency(MODEL, X, **QUICK).assert_faster_than("20")

        def test_no_cupti_pass(infertime):
            infertime.latency(MODEL, X, diagnose=True)

        def test_no_such_gpu(infertime):
            infertime.latency(MODEL, X, device="cuda:99")
        """,
        "-rs",
    )
    result.assert_outcomes(passed=1, failed=4, skipped=1)
    out = result.stdout.str()
    # figure, CI, limit and device, in the assertion's words
    result.stdout.fnmatch_lines(
        ["*AssertionError: latency per call (on cpu the same quantity as device time per call)*"
         "95 % CI*is not faster than 1.000 ns*on cpu*"]
    )  # fmt: skip
    # the model's own exception, raised from the model's code
    result.stdout.fnmatch_lines(
        ['*raise ValueError("my model broke")', "E*ValueError: my model broke"]
    )
    model_failure = out.split("test_model_raises")[1].split("test_bad_limit")[0]
    assert "infertime/engine" not in model_failure and "infertime/latency" not in model_failure
    result.stdout.fnmatch_lines(["*ConfigError: assert_faster_than '20' needs a unit*"])
    result.stdout.fnmatch_lines(["*does not run the CUPTI kernel pass*"])
    result.stdout.fnmatch_lines(["SKIPPED*infertime: the test times on cuda:99*"])
    # the summary: what each row measures, within 80 columns
    table = out.split("infertime: inference time measured in this run")[1].split("====")[0]
    assert "test_latency" in table and "median" in table and "95 % CI" in table
    assert all(len(line) <= 80 for line in table.splitlines()), table


def test_a_gated_comparison_never_passes_a_large_slowdown(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import time

        def slower(x):
            end = time.perf_counter() + 0.002  # a known cost, far above the model's
            while time.perf_counter() < end:
                pass
            return MODEL(x)

        def test_gate(infertime):
            c = infertime.compare(MODEL, slower, X, fail_if_slower="5%", copies=1,
                                  preset="quick", max_time_s=3, threads=1)

        def test_thresholds(infertime):
            c = infertime.compare(MODEL, MODEL, X, copies=1, preset="quick", max_time_s=0.5,
                                  threads=1)
            assert c.arms[0].name == "baseline" and c.arms[1].name == "candidate"
            with pytest.raises(Exception, match="assert_not_slower takes a share of time"):
                c.assert_not_slower("500 ms")
            with pytest.raises(Exception, match="must be a slowdown of 0% or more"):
                c.assert_not_slower("-5%")
        """,
    )
    result.assert_outcomes(passed=1, failed=1)
    # a regression, or (on a host too noisy to tell) inconclusive: never a pass
    said = re.search(r"AssertionError: (.*)", result.stdout.str())
    assert said is not None and said.group(1).startswith(
        ("candidate is slower than baseline beyond the 5 % threshold", "inconclusive")
    ), said
    result.stdout.fnmatch_lines(["test_gate*time ratio*"])


@pytest.mark.parametrize(
    ("value", "words"),
    [("abc", "takes a share of time such as 5%"), ("-5%", "must be a slowdown of 0% or more"),
     ("500 ms", "not a duration")],
)  # fmt: skip
def test_a_bad_threshold_is_a_usage_error_naming_the_option(
    pytester: pytest.Pytester, value: str, words: str
) -> None:
    result = run(pytester, "def test_nothing(): pass", f"--infertime-fail-if-slower={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--infertime-fail-if-slower*{words}*"])


def test_saved_baselines_and_their_failures(pytester: pytest.Pytester) -> None:
    body = """
        def test_one(infertime):
            infertime.latency(MODEL, X, **QUICK)
        """
    # Inside the run's folder: paths elsewhere on the line would move pytest's rootdir.
    storage = pytester.path / "store"
    out = pytester.path / "run.json"
    common = ("--infertime-storage", str(storage))
    saved = run(pytester, body, *common, "--infertime-save", "main", "--infertime-json", str(out))
    saved.assert_outcomes(passed=1)
    (path,) = (storage / "main").glob("*.json")
    assert load_result(path).kind == "latency"  # a plain result file: `infertime show` reads it
    assert json.loads(out.read_text())["measurements"][0]["result"]["kind"] == "latency"
    bench = json.loads(out.with_name("run.benchmark.json").read_text())
    entry = bench["benchmarks"][0]  # what github-action-benchmark's `tool: 'pytest'` reads
    assert entry["fullname"].endswith("test_it.py::test_one")
    assert {"ops", "stddev", "mean", "rounds"} <= set(entry["stats"])
    assert set(bench) >= {"machine_info", "commit_info", "benchmarks", "datetime", "version"}

    compared = run(pytester, body, *common, "--infertime-compare", "main")
    compared.assert_outcomes(passed=1)
    compared.stdout.fnmatch_lines(["*vs saved main*time ratio*"])

    # a CPU result of one process cannot tell a change from the host: the gate cannot pass
    gated = run(pytester, body, *common, "--infertime-compare", "main",
                "--infertime-fail-if-slower", "5%")  # fmt: skip
    gated.assert_outcomes(failed=1)
    gated.stdout.fnmatch_lines(["*inconclusive*single process of a host-bound figure*"])

    missing = run(pytester, body, *common, "--infertime-compare", "other")
    missing.assert_outcomes(failed=1)
    missing.stdout.fnmatch_lines(["*infertime: no saved result*--infertime-save other*"])

    path.write_text("{ not json")
    damaged = run(pytester, body, *common, "--infertime-compare", "main")
    damaged.assert_outcomes(failed=1)
    damaged.stdout.fnmatch_lines(["*infertime: saved result*is not valid JSON*"])

    path.write_text((GOLDEN / "v3_throughput_cpu.json").read_text())
    other_kind = run(pytester, body, *common, "--infertime-compare", "main")
    other_kind.assert_outcomes(failed=1)
    other_kind.stdout.fnmatch_lines(["*cannot compare results of different kinds*"])


def test_xdist_workers_sharing_a_cpu_are_refused(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        def pytest_configure(config):
            config.workerinput = {"workerid": "gw1", "workercount": 2}
        """
    )
    result = run(pytester, "def test_t(infertime):\n    infertime.latency(MODEL, X)\n")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pytest-xdist runs 2 workers on this machine's CPU*-n 0*"])


def test_the_plugin_is_off_with_p_no_infertime(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The child pytest runs in another folder: infertime importable from there too.
    source = str(Path(infertime.__file__).resolve().parents[1])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([source, os.environ.get("PYTHONPATH", "")]))
    # An installed distribution whose entry point names the plugin, as pip installs it.
    info = pytester.path / "infertime_probe-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: infertime-probe\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\ninfertime = infertime.pytest_plugin\n")
    pytester.makepyfile("def test_t(infertime):\n    pass\n")
    on = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    on.assert_outcomes(passed=1)
    off = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:infertime")
    off.assert_outcomes(errors=1)
    off.stdout.fnmatch_lines(["*fixture 'infertime' not found*"])


def test_importing_the_plugin_imports_neither_torch_nor_a_kind() -> None:
    code = (
        "import sys, infertime.pytest_plugin\n"
        "heavy = [m for m in sys.modules if m == 'torch' or m.startswith(('infertime.latency',"
        " 'infertime.comparison', 'infertime.kinds'))]\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
