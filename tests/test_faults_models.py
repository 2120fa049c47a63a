"""Fault matrix, misbehaving models in this process: `run`, live `compare`, `throughput` and
`pitfalls` on models that raise, exit, interrupt, run out of memory, turn NaN, print, drift or
are slow (reliability.md R-m*, R-t*, R-p01, N-cl3*-cl5*; D3's factory prints, D5's live
MemoryError, D9, D10, carry-over R-m14). Each failure is its documented exit code and one line,
and leaves no result file (an existing one is kept), no temporary file and no process."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable

import pytest

import fault_models
from fault_harness import QUICK, Case, Outcome

Cli = Callable[..., Outcome]
LIVE = ("--device", "cpu", "--preset", "quick", "--max-time", "0.3", "--copies", "1")

RUN_FAILS = [
    ("R-m01_nan", "nan", 5, "NaN or inf"),
    ("R-m09_raise5", "raise5", 1, "boom on call 5"),
    ("R-m17_sysexit", "sysexit", 1, "sys.exit(3)"),
    ("R-m19_kbint", "kbint", 130, "interrupted"),
    ("R-m22_memerr", "memerr", 4, "--batch-size"),  # CLI flags in the advice
    ("R-m23_shape_err", "shape_err", 2, "rejected inputs"),
]


@pytest.mark.parametrize(
    ("model", "code", "words"), [c[1:] for c in RUN_FAILS], ids=[c[0] for c in RUN_FAILS]
)
def test_run_of_a_failing_model(cli: Cli, case: Case, model: str, code: int, words: str) -> None:
    case.path("out.json").write_text("GOOD-OLD")
    cli("run", f"fault_models:{model}", *QUICK, "--json", "out.json").fails(code, words)
    assert case.path("out.json").read_text() == "GOOD-OLD" and case.left() == {"out.json"}


def test_throughput_of_a_nan_model(cli: Cli, case: Case) -> None:
    # R-t04
    cli("throughput", "fault_models:nan", *QUICK, "--max-batch", "4", "--json", "o.json").fails(
        5, "NaN"
    )
    assert case.left() == set()


@pytest.mark.faults_slow
def test_pitfalls_of_a_raising_model(cli: Cli, case: Case) -> None:
    # R-p01
    cli("pitfalls", "fault_models:raise5", "--device", "cpu", "--json", "o.json").fails(1, "boom")
    assert case.left() == set()


def test_a_printing_model_keeps_stdout_for_the_table(cli: Cli, case: Case) -> None:
    # R-m11: the model's lines go to stderr, and are flagged
    done = cli("run", "fault_models:prints", *QUICK)
    done.succeeds()
    assert "hello" not in done.out and "latency" in done.out
    assert "model_prints" in done.err


@pytest.mark.parametrize(
    "model", ["factory_prints_nl", "factory_prints"], ids=["N-p27b_newline", "N-p27_no_newline"]
)
def test_a_printing_factory_leaves_json_on_stdout_valid(cli: Cli, model: str) -> None:
    # N-p27, N-p27b (D3): the factory's print was the document's first line
    done = cli("run", f"fault_models:{model}", *QUICK, "-q", "--json", "-")
    done.succeeds()
    assert json.loads(done.out)["kind"] == "latency"
    assert "building the model" in done.err


def test_a_printing_factory_leaves_csv_on_stdout_valid(cli: Cli) -> None:
    # N-x25 (D3): the factory's print was the CSV's first line
    done = cli("run", "fault_models:factory_prints_nl", *QUICK, "-q", "--format", "csv")
    done.succeeds()
    rows = list(csv.reader(io.StringIO(done.out)))
    assert rows[0][0] == "model" and all(r[0] == "fault_models:factory_prints_nl" for r in rows[1:])


def test_a_tiny_budget_says_zero_not_minus_zero(cli: Cli) -> None:
    # R-x03
    done = cli("run", "fault_models:build", "--device", "cpu", "--preset", "quick",
               "--max-time", "1e-9", "--details")  # fmt: skip
    done.succeeds()
    assert "-0.00" not in done.out + done.err


@pytest.mark.faults_slow
def test_a_slow_model_is_announced_and_the_announcement_holds(cli: Cli) -> None:
    # R-m14 (carried over): '--max-time 2' announced "about 5 s" and took 9 s. Counted in
    # calls, not read from a clock: the calls made, at 0.6 s each, fit in what was announced.
    fault_models.slow_calls["count"] = 0
    done = cli(
        "run", "fault_models:slow", "--device", "cpu", "--preset", "quick", "--max-time", "1"
    )
    done.succeeds()
    announced = re.search(r"will take about (\d+) (s|min)", done.err)
    assert announced, done.err
    seconds = int(announced.group(1)) * (60 if announced.group(2) == "min" else 1)
    assert fault_models.slow_calls["count"] * fault_models.SLOW_CALL_S <= seconds, done.err


COMPARE_FAILS = [
    ("N-cl32_factory_fail_2nd", "factory_fail_2nd", ("--copies", "2"), 1, "second build refused"),
    ("N-cl33_nan_config", "nan", (), 5, "NaN or inf"),
    ("N-cl39_sysexit", "sysexit", (), 1, "sys.exit(3)"),
    ("N-cl40_kbint_model", "kbint", (), 130, "interrupted"),
    ("N-cl43_raise_late", "raise_late", (), 1, "boom on call 300"),
]


@pytest.mark.parametrize(
    ("model", "extra", "code", "words"),
    [c[1:] for c in COMPARE_FAILS],
    ids=[c[0] for c in COMPARE_FAILS],
)
def test_live_compare_of_a_failing_configuration(
    cli: Cli, case: Case, model: str, extra: tuple[str, ...], code: int, words: str
) -> None:
    # N-cl52: an existing result file is kept
    case.path("out.json").write_text("GOOD-OLD")
    args = ("compare", "fault_models:build", f"fault_models:{model}", *LIVE, *extra)
    line = cli(*args, "--json", "out.json").fails(code, words)
    # D5: no fresh processes the user did not ask for
    assert "process 1 of 1" not in line, line
    assert case.path("out.json").read_text() == "GOOD-OLD" and case.left() == {"out.json"}


@pytest.mark.parametrize(
    "model", ["memerr", "memerr_late"], ids=["N-cl36_memerr_always", "N-cl37_memerr_late"]
)
def test_live_compare_of_a_configuration_out_of_memory(cli: Cli, case: Case, model: str) -> None:
    case.path("out.json").write_text("GOOD-OLD")
    args = ("compare", "fault_models:build", f"fault_models:{model}", *LIVE, "--json", "out.json")
    line = cli(*args).fails(4, "out of memory", "--batch-size")
    assert "process" not in line, line
    assert case.path("out.json").read_text() == "GOOD-OLD" and case.left() == {"out.json"}


def test_a_precision_target_is_shown_with_its_digits(cli: Cli) -> None:
    # N-cl50 (D10): a ±0.01 % target was shown as '±0.0%'
    args = ("compare", "fault_models:build", "fault_models:build_b", *LIVE)
    done = cli(*args, "--precision", "0.0001", "--details")
    done.succeeds()
    said = " ".join(done.err.split())
    assert "±0.01 %" in said and "±0.0%" not in said, done.err


def test_live_compare_flags_a_printing_model(cli: Cli) -> None:
    # N-cl41 (D9): the lines were recorded, but no finding said so
    done = cli("compare", "fault_models:build", "fault_models:prints", *LIVE)
    done.succeeds()
    assert "hello" not in done.out and "model_prints" in done.err
