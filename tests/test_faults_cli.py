"""Fault injection through the real command line, each in a process of its own: signals in
warm-up and in sampling, a closed or ASCII-only stdout, special files as --json targets, and
models that exit, interrupt, turn NaN late or print. Every failure is one line and an exit
code, and leaves no result file, no temporary file and no child process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
TESTS = str(Path(__file__).parent)
QUICK = ["--device", "cpu", "--preset", "quick", "--max-time", "1"]
MODEL = "models_for_tests:misbehaving"


def env(**extra: str) -> dict[str, str]:
    paths = [str(ROOT / "src"), TESTS, os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p), **extra}


def infertime(
    *args: str, cwd: Path, extra: dict[str, str] | None = None, stdin: int | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infertime", *args],
        cwd=cwd,
        env=env(**(extra or {})),
        capture_output=True,
        text=True,
        timeout=300,
        stdin=stdin,
    )


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.startswith("infertime: error")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr, stderr
    return lines[0]


def nothing_written(folder: Path) -> bool:
    return not any(p.suffix in (".json", ".tmp") for p in folder.iterdir())


@pytest.mark.parametrize(
    ("fault", "code", "word"),
    [
        ("sigint:3", 130, "interrupted"),  # the third call is in warm-up
        ("sigint:400", 130, "interrupted"),  # well into sampling
        ("sigterm:3", 143, "terminated"),
        ("sigterm:400", 143, "terminated"),
        ("interrupt:5", 130, "interrupted"),  # a model raising KeyboardInterrupt
        ("exit:5", 1, "sys.exit(3)"),  # not exit code 3 ("no such device")
        ("nan:300", 5, "NaN or inf"),  # checked again after the measurement
    ],
)
def test_faults_in_run(tmp_path: Path, fault: str, code: int, word: str) -> None:
    done = infertime(
        "run", MODEL, *QUICK, "--json", "r.json", cwd=tmp_path,
        extra={"INFERTIME_TEST_FAULT": fault},
    )  # fmt: skip
    assert done.returncode == code, done.stderr
    assert word in one_error_line(done.stderr)
    assert done.stdout == "" and nothing_written(tmp_path)


def test_a_printing_model_is_flagged_and_stdout_stays_data(tmp_path: Path) -> None:
    done = infertime(
        "run", MODEL, *QUICK, "--json", "-", "--details", cwd=tmp_path,
        extra={"INFERTIME_TEST_FAULT": "print"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)  # the model's prints went to stderr
    assert data["kind"] == "latency" and data["analysis"]["model_output_lines"] > 10
    assert "model_prints" in done.stderr and "call 5" in done.stderr


def test_closed_stdout_keeps_the_result_file(tmp_path: Path) -> None:
    read, write = os.pipe()
    os.close(read)  # nobody will read what infertime prints
    proc = subprocess.run(
        [sys.executable, "-m", "infertime", "run", MODEL, *QUICK, "--json", "r.json"],
        cwd=tmp_path,
        env=env(),
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    os.close(write)
    assert proc.returncode == 141, proc.stderr
    assert "standard output was closed" in one_error_line(proc.stderr)
    assert json.loads((tmp_path / "r.json").read_text())["kind"] == "latency"


def test_ascii_stdout_gets_ascii_symbols(tmp_path: Path) -> None:
    done = infertime(
        "run", MODEL, *QUICK, "--json", "r.json", cwd=tmp_path,
        extra={"PYTHONIOENCODING": "ascii"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "+/-" in done.stdout and " | batch 1 | " in done.stdout
    assert (tmp_path / "r.json").exists()


def test_special_files_are_written_in_place_not_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received = tmp_path / "received.txt"
    with open(received, "w") as sink:  # a file, not a pipe: the document is larger than one
        reader = subprocess.Popen(["cat", str(fifo)], stdout=sink)
    link = tmp_path / "link.json"
    target = tmp_path / "real.json"
    link.symlink_to(target)
    done = infertime("run", MODEL, *QUICK, "--json", str(fifo), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    reader.wait(timeout=60)
    assert json.loads(received.read_text())["kind"] == "latency" and fifo.is_fifo()
    done = infertime("run", MODEL, *QUICK, "--json", str(link), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert link.is_symlink() and json.loads(target.read_text())["kind"] == "latency"
    done = infertime("run", MODEL, *QUICK, "--json", os.devnull, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert Path(os.devnull).is_char_device()


def test_sigterm_during_the_cold_start_leaves_no_child(tmp_path: Path) -> None:
    marker = tmp_path / "pids"
    proc = subprocess.Popen(
        [sys.executable, "-m", "infertime", "pitfalls", MODEL, "--device", "cpu"],
        cwd=tmp_path,
        env=env(INFERTIME_TEST_FAULT="sleep:0.05", INFERTIME_TEST_MARKER=str(marker)),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # the parent, then the cold-start child, build it
        if marker.exists() and len(marker.read_text().split()) >= 2:
            break
        time.sleep(0.05)  # waiting for another process, not timing anything
    pids = [int(p) for p in marker.read_text().split()]
    assert len(pids) >= 2 and pids[0] == proc.pid
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and "terminated" in one_error_line(err)
    child = pids[1]
    for _ in range(100):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the cold-start child {child} outlived its parent")


def test_a_throughput_error_names_the_batch_that_failed(tmp_path: Path) -> None:
    done = infertime(
        "throughput", "models_for_tests:fails_above_batch_4", *QUICK, "--max-batch", "16",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1
    line = one_error_line(done.stderr)
    assert "inputs of shape (8, 4)" in line or "inputs of shape (5, 4)" in line, line


def test_version_and_short_help(tmp_path: Path) -> None:
    done = infertime("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("infertime 0.")
    done = infertime("run", "-h", cwd=tmp_path)
    assert done.returncode == 0 and "--batch-size" in done.stdout
