"""Fault matrix, streams: outputs named /dev/stdout, /dev/stderr or /proc/self/fd/N (D1),
stdout or stderr closed at the start (D4), a full stdout (D7), a closed pipe, odd encodings and
widths (reliability.md N-j2*, N-x2*, N-e*, R-e*). These need a process of their own (bash
redirections), except where a replaced sys.stdout shows the same thing in this process.
/dev/stdout is only ever redirected to a file or pipe of the case's own; no device node is
written (the review's /dev/full cases are played by a file over RLIMIT_FSIZE)."""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from fault_files import ResultFiles
from fault_harness import QUICK, Case, Outcome, child_path, shell

Cli = Callable[..., Outcome]
Q = " ".join(QUICK)
RUN = f"$INFERTIME run fault_models:build {Q}"


def error_lines(text: str) -> list[str]:
    return [x for x in text.splitlines() if x.startswith("infertime: error:")]


def document(text: str) -> dict[str, object]:
    doc = json.loads(text)
    assert doc["kind"] in ("latency", "compare")
    return doc  # type: ignore[no-any-return]


# --- D1: a path that names one of the process's own streams ----------------------------------


@pytest.mark.faults_slow
def test_json_to_dev_stdout_appended_to_a_log(case: Case) -> None:
    # N-j23, N-j26 (D1, high): the log's earlier content was destroyed, exit 0
    done = shell(f"echo KEEP > log.txt; {RUN} -q --json /dev/stdout >> log.txt", case)
    assert done.returncode == 0, done.stderr
    first, rest = case.path("log.txt").read_text().split("\n", 1)
    assert first == "KEEP" and document(rest)
    assert "latency" in done.stderr  # the table went to stderr
    assert case.left() == {"log.txt"}


@pytest.mark.faults_slow
def test_json_to_dev_stdout_through_a_pipe(case: Case) -> None:
    # N-j21, N-j27 (D1): exit 70 after the whole measurement, nothing delivered
    script = f"{RUN} -q --json /dev/stdout | cat > piped.txt; exit ${{PIPESTATUS[0]}}"
    done = shell(script, case)
    assert done.returncode == 0, done.stderr
    assert document(case.path("piped.txt").read_text())
    assert case.left() == {"piped.txt"}


@pytest.mark.parametrize(
    ("target", "redirect", "log"),
    [
        ("/dev/stdout", "> o.txt", "o.txt"),  # N-j20
        ("/proc/self/fd/1", "> o.txt", "o.txt"),  # N-j25
        ("/dev/stderr", "2>> o.txt", "o.txt"),  # N-j24
        ("/dev/fd/1", ">> o.txt", "o.txt"),
    ],
    ids=[
        "N-j20_dev_stdout_file",
        "N-j25_proc_self_fd1_file",
        "N-j24_dev_stderr_append",
        "N-j25b_dev_fd1_append",
    ],
)
def test_export_json_to_a_stream(
    case: Case, files: ResultFiles, target: str, redirect: str, log: str
) -> None:
    # D1 through show's --export-json (the same writer as --json, without measuring)
    script = (
        f"echo KEEP > {log}; $INFERTIME show {files['good']} -q --export-json {target} {redirect}"
    )
    done = shell(script, case)
    assert done.returncode == 0, done.stderr
    text = case.path(log).read_text()
    if ">>" in redirect:
        assert text.startswith("KEEP\n"), text[:200]
    rest = text.removeprefix("KEEP\n")
    assert document(rest[rest.index("{") : rest.rindex("}") + 1])
    assert case.left() == {log}


@pytest.mark.parametrize(
    ("flag", "redirect", "mark"),
    [
        ("--export-csv /dev/stdout", ">> log.txt", "model,"),  # N-x23
        ("--export-markdown /dev/stderr", "2>> log.txt", "| "),  # N-x24
    ],
    ids=["N-x23_export_csv_dev_stdout_append", "N-x24_export_md_dev_stderr"],
)
def test_an_export_to_a_stream_keeps_the_log(
    case: Case, files: ResultFiles, flag: str, redirect: str, mark: str
) -> None:
    done = shell(f"echo KEEP > log.txt; $INFERTIME show {files['good']} -q {flag} {redirect}", case)
    assert done.returncode == 0, done.stderr
    text = case.path("log.txt").read_text()
    assert text.startswith("KEEP\n") and mark in text, text
    assert case.left() == {"log.txt"}


# --- D4: a stream closed at the start --------------------------------------------------------


@pytest.mark.faults_slow
def test_run_with_stdout_closed(case: Case) -> None:
    # N-e20 (D4): a traceback at import, exit 1, no JSON
    done = shell(f"{RUN} --json out.json >&-", case)
    assert done.returncode == 141, done.stderr
    assert len(error_lines(done.stderr)) == 1 and "Traceback" not in done.stderr
    assert "standard output was closed" in done.stderr
    assert document(case.path("out.json").read_text())
    assert case.left() == {"out.json"}


@pytest.mark.parametrize(
    "command",
    ["show {good}", "compare {good} {x1p5} --json out.json"],
    ids=["N-e21_stdout_closed_show", "N-cl51_compare_stdout_closed"],
)
def test_show_and_compare_with_stdout_closed(case: Case, files: ResultFiles, command: str) -> None:
    # N-e21, N-cl51 (D4; the review's cl51 was a live compare: the crash came at import)
    args = command.format(good=files["good"], x1p5=files["x1p5"])
    done = shell(f"$INFERTIME {args} >&-", case)
    assert done.returncode == 141, done.stderr
    assert len(error_lines(done.stderr)) == 1 and "Traceback" not in done.stderr
    if "out.json" in command:
        assert document(case.path("out.json").read_text())


def test_stderr_closed(case: Case, files: ResultFiles) -> None:
    # N-e18 (D4): exit 1, nothing written, nothing said. Nothing can be said now, but the
    # result is written and printed (offline compare: the same start and delivery as run).
    done = shell(f"$INFERTIME compare {files['good']} {files['x1p5']} --json out.json 2>&-", case)
    assert done.returncode == 0
    assert "latency" in done.stdout and document(case.path("out.json").read_text())
    assert case.left() == {"out.json"}


def test_stdin_closed(case: Case, files: ResultFiles) -> None:
    # N-e17
    done = shell(f"$INFERTIME show {files['good']} <&-", case)
    assert done.returncode == 0 and "latency" in done.stdout, done.stderr


# --- D7: a full stdout; a closed pipe --------------------------------------------------------


def test_stdout_over_the_file_size_limit(case: Case, files: ResultFiles) -> None:
    # N-e19 (D7) played without /dev/full: writes to stdout fail (EFBIG) as on a full disk
    done = shell(f"ulimit -f 0; $INFERTIME show {files['good']} > out.txt", case)
    assert done.returncode not in (0, 1, 70), done.stderr
    assert len(error_lines(done.stderr)) == 1 and "Traceback" not in done.stderr
    assert "standard output" in done.stderr


def test_a_full_stdout_after_the_result_file(
    cli: Cli, case: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    # N-e19 (D7): '> /dev/full' was 'internal error: OSError: [Errno 28]', exit 70
    class Full(io.StringIO):
        encoding = "utf-8"

        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(sys, "stdout", Full())
    done = cli("run", "fault_models:build", *QUICK, "-q", "--json", "out.json")
    assert done.code not in (0, 1, 70)
    line = done.error()
    assert "No space left" in line and "result file was written" in line, line
    assert document(case.path("out.json").read_text())
    assert case.left() == {"out.json"}


def closed_pipe(args: list[str], case: Case) -> subprocess.CompletedProcess[str]:
    """infertime with a stdout whose reader has already gone: every write is EPIPE."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "infertime", *args],
            cwd=case.folder,
            env={**os.environ, "PYTHONPATH": child_path(), "TMPDIR": str(case.folder / ".tmp")},
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write)


def test_show_into_a_closed_pipe(case: Case, files: ResultFiles) -> None:
    # R-e06c: exit 141 and one line (the run case is in test_faults_cli.py)
    done = closed_pipe(["show", str(files["good"])], case)
    assert done.returncode == 141, done.stderr
    assert error_lines(done.stderr) == [
        "infertime: error: standard output was closed before everything was printed"
    ], done.stderr


def test_compare_into_a_closed_pipe_writes_its_file(case: Case, files: ResultFiles) -> None:
    # N-cl46, N-x22 (offline; the same delivery as live)
    args = ["compare", str(files["good"]), str(files["x1p5"]), "--json", "out.json"]
    done = closed_pipe([*args, "--format", "markdown"], case)
    assert done.returncode == 141, done.stderr
    assert "the result file was written" in done.stderr and "Traceback" not in done.stderr
    assert document(case.path("out.json").read_text())


# --- encodings and widths --------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"], ids=["R-e04_ascii_io", "R-e05_latin1"])
@pytest.mark.parametrize("command", ["show", "compare"])
def test_narrow_encodings_get_stand_ins(
    cli: Cli, files: ResultFiles, monkeypatch: pytest.MonkeyPatch, encoding: str, command: str
) -> None:
    # R-e04, R-e05, N-e06 (LANG=C compare), in this process: stdout that cannot hold '±', 'µ'
    raw = io.BytesIO()
    stdout = io.TextIOWrapper(raw, encoding=encoding, errors="strict")
    monkeypatch.setattr(sys, "stdout", stdout)
    args = [str(files["good"])] if command == "show" else [str(files["good"]), str(files["x1p5"])]
    done = cli(command, *args, "-q")
    done.succeeds()
    stdout.flush()
    text = raw.getvalue().decode(encoding)
    assert "+/-" in text or "x" in text, text
    assert "latency" in text


@pytest.mark.parametrize(
    "columns", ["20", "abc"], ids=["N-e09_columns20_pipe", "N-e11_columns_abc"]
)
def test_columns_does_not_squeeze_piped_output(
    case: Case, files: ResultFiles, columns: str
) -> None:
    done = shell(f"$INFERTIME show {files['good']} --details", case, env={"COLUMNS": columns})
    plain = shell(f"$INFERTIME show {files['good']} --details", case)
    assert done.returncode == 0 and done.stdout == plain.stdout, done.stderr
    assert max(len(line) for line in done.stdout.splitlines()) <= 80


def test_warnings_as_errors(case: Case, files: ResultFiles) -> None:
    # N-e12: PYTHONWARNINGS=error
    done = shell(
        f"$INFERTIME show {files['good']} --details", case, env={"PYTHONWARNINGS": "error"}
    )
    assert done.returncode == 0 and "latency" in done.stdout, done.stderr
