"""Run one point in a fresh interpreter: `python -m infertime KIND ... --json FILE`.

The point runner is one small interface (PointRunner.run) so that the pipeline's fresh-process
executor can replace the command line later. The child runs in a session of its own (a Ctrl-C
on the terminal reaches the driver only, which stops the children itself), dies with its
parent (so a killed driver leaves no child measuring), and may be pinned to CPU cores.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .failure import describe_exit, last_error_line, reason_of, tail

STOP_GRACE_S = 5.0  # SIGTERM, then this long before SIGKILL
POLL_S = 0.1


@dataclass(frozen=True)
class PointTask:
    """One run of one point: `argv` follows `infertime` (KIND MODEL --flags), no --json."""

    key: str  # the point's configuration key (identity.PlannedPoint.key)
    round: int
    kind: str
    argv: tuple[str, ...]
    timeout_s: float


@dataclass(frozen=True)
class PointOutcome:
    """What one run gave: a result document, a failure, or "stopped" (the sweep stopped it:
    neither a result nor a failure, the point stays to do)."""

    status: str  # "ok" | "failed" | "stopped"
    document: dict[str, Any] | None
    reason: str | None
    message: str
    exit_code: int | None
    stderr_tail: str
    started_unix: float
    ended_unix: float
    wall_s: float  # spawn to exit, on the clock of the machine that ran it
    to_first_sample_s: float | None  # spawn to the first timed sample (same machine's clock)
    cores: tuple[int, ...] | None  # the CPU cores the child was allowed to use
    # "fresh" (a new interpreter), "fork" (forked from the fork server), or "fresh (why the
    # fork server could not serve)"
    start: str = "fresh"


class PointRunner(Protocol):
    def run(
        self,
        task: PointTask,
        env: Mapping[str, str],
        out_path: Path,
        stop: threading.Event,
        cores: Sequence[int] | None = None,
    ) -> PointOutcome:
        """Run `task` in a fresh process with `env` added; the child writes `out_path`."""
        ...


class SubprocessRunner:
    """The default runner: the `infertime` command line in a fresh interpreter.

    `command` is what starts it (tests and benchmarks put a wrapper script there).
    """

    def __init__(self, command: Sequence[str] | None = None) -> None:
        self.command = tuple(command) if command else (sys.executable, "-m", "infertime")

    def run(
        self,
        task: PointTask,
        env: Mapping[str, str],
        out_path: Path,
        stop: threading.Event,
        cores: Sequence[int] | None = None,
    ) -> PointOutcome:
        pinned = tuple(sorted(cores)) if cores else None
        argv = [*launcher(pinned), *self.command, *task.argv, "--json", str(out_path), "--quiet"]
        child_env = {**os.environ, **env}
        started_unix = time.time()
        spawned_ns = time.perf_counter_ns()
        with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as err:
            try:
                proc = subprocess.Popen(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                    env=child_env,
                    start_new_session=True,
                )
            except OSError as exc:
                return _outcome(
                    "failed",
                    None,
                    "error",
                    f"cannot start: {exc}",
                    None,
                    "",
                    started_unix,
                    0.0,
                    None,
                    pinned,
                )
            code, why = _wait(proc, task.timeout_s, stop)
            wall_s = (time.perf_counter_ns() - spawned_ns) * 1e-9
            err.seek(0)
            stderr_tail = tail(err.read())
        return finish(
            task, code, why, stderr_tail, out_path, started_unix, spawned_ns, wall_s, pinned
        )


def finish(
    task: PointTask,
    code: int | None,
    why: str,
    stderr_tail: str,
    out_path: Path,
    started_unix: float,
    spawned_ns: int,
    wall_s: float,
    pinned: tuple[int, ...] | None,
) -> PointOutcome:
    """The outcome of a child that ended (`why`: "exited", "timeout" or "stopped")."""

    def outcome(
        status: str,
        reason: str | None,
        message: str,
        exit_code: int | None,
        document: dict[str, Any] | None = None,
        to_first: float | None = None,
    ) -> PointOutcome:
        if status != "ok" and reason != "no-result":
            out_path.unlink(missing_ok=True)  # no result file from a run that is not one
        return _outcome(
            status, document, reason, message, exit_code, stderr_tail, started_unix, wall_s,
            to_first, pinned,
        )  # fmt: skip

    if why == "stopped":
        return outcome("stopped", None, "stopped by the sweep", code)
    if why == "timeout":
        limit = f"no result within the sweep's limit of {task.timeout_s:g} s"
        return outcome("failed", "timeout", limit, None)
    assert code is not None
    if code != 0:
        message = last_error_line(stderr_tail) or describe_exit(code)
        if code < 0:
            message = f"{describe_exit(code)}: {message}" if stderr_tail else describe_exit(code)
        return outcome("failed", reason_of(code), message, code)
    document = read_document(out_path)
    if document is None:
        return outcome("failed", "no-result", "exit code 0 but no readable result file", 0)
    first_ns = first_sample_ns(document)
    to_first = (first_ns - spawned_ns) * 1e-9 if first_ns is not None else None
    if to_first is not None and not 0 < to_first < wall_s:
        to_first = None  # another clock (not this machine's CLOCK_MONOTONIC): unknown
    return outcome("ok", None, "", 0, document, to_first)


def runner_failed(exc: BaseException) -> PointOutcome:
    """The outcome of a runner that raised instead of answering (kept as a failed point)."""
    now = time.time()
    message = f"the point runner failed: {type(exc).__name__}: {exc}"
    return PointOutcome("failed", None, "error", message, None, "", now, now, 0.0, None, None)


# Runs before the point's interpreter and execs it: die with the parent (Linux), pin the cores.
# A launcher, not preexec_fn, which may deadlock in a parent with threads (the workers here).
_LAUNCH = """
import os, sys
parent = int(sys.argv[1])
try:
    import ctypes, signal
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
except Exception:
    pass
if os.getppid() != parent:
    sys.exit(143)  # the parent died before the line above took effect
if sys.argv[2]:
    os.sched_setaffinity(0, [int(c) for c in sys.argv[2].split(",")])
os.execvp(sys.argv[3], sys.argv[3:])
"""


def launcher(cores: Sequence[int] | None) -> list[str]:
    """The command that starts a point's interpreter through _LAUNCH (about 20 ms)."""
    pinned = ",".join(str(c) for c in cores) if cores else ""
    return [sys.executable, "-S", "-c", _LAUNCH, str(os.getpid()), pinned]


def _outcome(
    status: str,
    document: dict[str, Any] | None,
    reason: str | None,
    message: str,
    exit_code: int | None,
    stderr_tail: str,
    started_unix: float,
    wall_s: float,
    to_first: float | None,
    cores: tuple[int, ...] | None,
) -> PointOutcome:
    return PointOutcome(
        status,
        document,
        reason,
        message,
        exit_code,
        stderr_tail,
        started_unix,
        started_unix + wall_s,
        wall_s,
        to_first,
        cores,
    )


def _wait(
    proc: subprocess.Popen[Any], timeout_s: float, stop: threading.Event
) -> tuple[int | None, str]:
    """(exit code, "exited" | "timeout" | "stopped"); a stopped or late child is ended."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return proc.wait(timeout=POLL_S), "exited"
        except subprocess.TimeoutExpired:
            pass
        if stop.is_set():
            return end(proc), "stopped"
        if time.monotonic() > deadline:
            return end(proc), "timeout"


def end(proc: subprocess.Popen[Any]) -> int | None:
    """SIGTERM to the child's session (its own children too), then SIGKILL after a grace."""
    for sig, grace in ((signal.SIGTERM, STOP_GRACE_S), (signal.SIGKILL, STOP_GRACE_S)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            return proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
    return None


def read_document(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def first_sample_ns(document: Any) -> int | None:
    """The earliest `start_ns` of any series in a result document (None when it has none)."""
    found: list[int] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "start_ns" and isinstance(value, int) and value > 0:
                    found.append(value)
                elif key != "environment":
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    return min(found) if found else None
