"""Fault matrix, fresh processes and signals: workers that crash, exit, raise, turn NaN, run out
of memory, print or hang (reliability.md N-p*; D3, D5, D11), the Python API's processes=True
(D13) and save_json under SIGTERM (R-s09), and signals in a live compare or with a worker
running. The parent runs in this process where it can; each worker is a fresh interpreter
(seconds each), so most are `faults_slow` (run with `pytest -m faults_slow`)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from fault_files import ResultFiles
from fault_harness import QUICK, Case, Outcome, child_path
from infertime.errors import ConfigError

Cli = Callable[..., Outcome]
TWO = ("--processes", "2")

SLOW = pytest.mark.faults_slow
WORKER_FAILS = [  # one in the default set: a worker's error and exit code come back
    pytest.param("segv_in_worker", 1, "-11", marks=SLOW, id="N-p07_worker_segv"),
    pytest.param("exit_in_worker", 1, "exit code 9", marks=SLOW, id="N-p08_worker_osexit"),
    pytest.param("raise_in_worker", 1, "raised in", marks=SLOW, id="N-p09_worker_raise"),
    pytest.param("nan_in_worker", 5, "NaN or inf", id="N-p10_worker_nan"),  # D5: was exit 1
    # D5: was exit 1, advice 'lower batch_size, try dtype bf16'
    pytest.param("memerr_in_worker", 4, "--batch-size", marks=SLOW, id="N-p11_worker_memerr"),
]


@pytest.mark.parametrize(("model", "code", "words"), WORKER_FAILS)
def test_a_failing_worker(cli: Cli, case: Case, model: str, code: int, words: str) -> None:
    # N-p30: an existing result file is kept
    case.path("out.json").write_text("GOOD-OLD")
    line = cli("run", f"fault_models:{model}", *QUICK, *TWO, "--json", "out.json").fails(
        code, words
    )
    assert "process 1 of 2" in line and "batch_size" not in line, line
    assert case.path("out.json").read_text() == "GOOD-OLD" and case.left() == {"out.json"}


@pytest.mark.faults_slow
def test_a_failing_worker_in_compare(cli: Cli, case: Case) -> None:
    # N-p24 (D5): exit 1 and 'process 1 of 1' (the failing one first: one worker, not two)
    args = ("compare", "fault_models:nan_in_worker", "fault_models:build", "--device", "cpu")
    cli(*args, "--max-time", "0.3", *TWO, "--json", "out.json").fails(5, "NaN or inf")
    assert case.left() == set()


def test_one_process_runs_here(cli: Cli, case: Case) -> None:
    # N-p02: --processes 1 is this process
    cli(
        "run", "fault_models:build", *QUICK, "--processes", "1", "-q", "--json", "o.json"
    ).succeeds()
    assert json.loads(case.path("o.json").read_text())["processes"] == []


@pytest.mark.faults_slow
def test_workers_that_write_to_stdout_still_answer(cli: Cli, case: Case) -> None:
    # N-p12, N-p13, N-p14 (D3): a factory's print without a newline, sys.__stdout__ and
    # descriptor 1 in the model glued onto the answer: 'printed no result', exit 1
    args = ("run", "fault_models:writes_stdout_in_worker", *QUICK, *TWO, "--json", "out.json")
    done = cli(*args)
    done.succeeds()
    assert "junk" not in done.out and "building" not in done.out
    assert len(json.loads(case.path("out.json").read_text())["processes"]) == 2
    assert case.left() == {"out.json"}


@pytest.mark.faults_slow
def test_the_cold_start_of_a_printing_factory(cli: Cli, case: Case) -> None:
    # N-p25 (D3): 'the cold-start process printed no result: building the model...{…}'
    done = cli(
        "pitfalls", "fault_models:factory_prints", "--device", "cpu", "-q", "--json", "o.json"
    )
    done.succeeds()
    assert json.loads(case.path("o.json").read_text())["kind"] == "pitfalls"


@pytest.mark.faults_slow
def test_an_isolated_probe_of_a_printing_factory(cli: Cli, case: Case) -> None:
    # N-p26 (D3): 'isolated probe at batch 1 printed no result'
    args = ("throughput", "fault_models:factory_prints", *QUICK, "--max-batch", "1", "--isolate")
    cli(*args, "-q", "--json", "o.json").succeeds()
    assert json.loads(case.path("o.json").read_text())["kind"] == "throughput"


@pytest.mark.faults_slow
def test_a_hung_worker_is_announced_and_stopped(
    cli: Cli, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    # N-p28 (D11): the parent waited silently up to 1800 s. Now it says so after a minute and
    # stops the worker at a limit from the budget; both shortened here to seconds.
    from infertime.execution import executors, repeat

    monkeypatch.setattr(repeat, "PROCESS_BASE_S", 5.0)
    monkeypatch.setattr(repeat, "PROCESS_BUDGET_FACTOR", 0.0)
    monkeypatch.setattr(repeat, "NOTICE_AFTER_S", 1.0)
    monkeypatch.setattr(repeat, "WAIT_REPORT_S", 0.5)
    monkeypatch.setattr(executors, "WAIT_REPORT_S", 0.1)  # reports often: one lands in 1-1.5 s
    args = ("run", "fault_models:hang_in_worker", *QUICK, *TWO, "--json", "out.json")
    done = cli(*args)
    done.fails(1, "process 1 of 2", "did not finish within 5 s")
    said = " ".join(done.err.split())
    assert "process 1 of 2 has run" in said and "stopped if it runs 5 s" in said, done.err
    assert case.left() == set()  # the hung worker is gone too


def test_api_processes_must_be_a_count() -> None:
    # n-a13 (D13): processes=True ran as processes=1
    import infertime

    for bad in (True, 0, "2"):
        with pytest.raises(ConfigError, match="processes"):
            infertime.measure_latency("fault_models:build", device="cpu", processes=bad)
        with pytest.raises(ConfigError, match="processes"):
            infertime.compare(
                "fault_models:build", "fault_models:build_b", device="cpu", processes=bad
            )


# --- signals ---------------------------------------------------------------------------------


def spawn(args: list[str], case: Case, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=case.folder,
        env={**os.environ, "PYTHONPATH": child_path(), "TMPDIR": str(case.folder / ".tmp"), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while not (path.exists() and path.read_text().strip()):
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)  # waiting for another process, not timing anything


SAVE = """
import os, sys, time
import infertime
result = infertime.load_result(sys.argv[1])
def slow_fsync(fd):
    with open("fsync-started", "w") as f:
        f.write("yes")
    time.sleep(60)
os.fsync = slow_fsync
infertime.save_json(result, "out.json")
"""


def test_api_save_json_under_sigterm_leaves_no_temporary_file(
    case: Case, files: ResultFiles
) -> None:
    # R-s09 (carried over): SIGTERM inside save_json left the hidden '.out.json.*.tmp'
    proc = spawn(["-c", SAVE, str(files["good"])], case)
    wait_for(case.path("fsync-started"))
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGTERM  # it dies of the signal, as it would have
    assert case.left() == {"fsync-started"}


@pytest.mark.faults_slow
@pytest.mark.parametrize(
    ("fault", "code", "word"),
    [("sigterm:5000", 143, "terminated")],
    ids=["N-cl45_sigterm_mid"],  # N-cl44's KeyboardInterrupt: N-cl40 in test_faults_models
)
def test_a_signal_in_a_live_compare(case: Case, fault: str, code: int, word: str) -> None:
    # N-cl44, N-cl45, N-cl53: no result, no temporary file, the old result kept. The model
    # signals its own process at its 5000th call, in warm-up or in the rounds.
    case.path("out.json").write_text("GOOD-OLD")
    args = ["-m", "infertime", "compare", "models_for_tests:misbehaving",
            "models_for_tests:misbehaving --seed 1", "--device", "cpu", "--max-time", "10",
            "--copies", "1", "--json", "out.json"]  # fmt: skip
    proc = spawn(args, case, INFERTIME_TEST_FAULT=fault)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    lines = [x for x in err.splitlines() if x.startswith("infertime: error:")]
    assert lines == [f"infertime: error: {word}"] and "Traceback" not in err, err
    assert case.path("out.json").read_text() == "GOOD-OLD" and case.left() == {"out.json"}


@pytest.mark.faults_slow
def test_sigterm_with_a_worker_running_leaves_no_worker(case: Case) -> None:
    # N-p18, N-p17's kin: the parent stopped while a fresh process measures; the worker goes too
    marker = case.path("pids")
    args = ["-m", "infertime", "run", "models_for_tests:misbehaving", *QUICK, *TWO]
    proc = spawn(args, case, INFERTIME_TEST_FAULT="sleep:0.01", INFERTIME_TEST_MARKER=str(marker))
    wait_for(marker)
    pids = [int(p) for p in marker.read_text().split()]
    assert proc.pid not in pids  # a worker built it
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "infertime: error: terminated" in err, err
    assert case.left() == {"pids"}  # no process left in the folder
