"""Executors: where a task runs. One interface, `run(task, request) -> answer`, for this
process and for a fresh interpreter; a sweep's worker pool and Ray build on the same tasks.

A fresh process gets its request as a file and answers through another, written atomically;
its stdout and stderr are kept apart (the model's prints, library warnings) and only read for
the message when it fails. An error the child raised on purpose comes back as the same
infertime error class with its message, advice and exit code (out of memory stays exit 4).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from .. import errors
from ..errors import InfertimeError, ModelCallError, from_command_line
from ..processes import die_with_parent

WORKER = "infertime.execution.worker"
CLI_ENV = "INFERTIME_FROM_CLI"


# Called while a child runs: (seconds so far, the limit).
Waiting = Callable[[float, float], None]
# How often a waiting parent says so.
WAIT_REPORT_S = 5.0


class Executor(Protocol):
    name: str

    def run(
        self,
        task: str,
        request: dict[str, Any],
        *,
        timeout_s: float,
        what: str,
        waiting: Waiting | None = None,
    ) -> dict[str, Any]:
        """Run `task` on `request` and return its answer; raise the task's error."""
        ...


class InProcess:
    """Tasks called directly in this process (tests, and where no isolation is needed)."""

    name = "in-process"

    def run(
        self,
        task: str,
        request: dict[str, Any],
        *,
        timeout_s: float,
        what: str,
        waiting: Waiting | None = None,
    ) -> dict[str, Any]:
        from .tasks import task_function

        # Through JSON, as a child would see it: the request must be JSON-able.
        return task_function(task)(json.loads(json.dumps(request)))


class FreshProcess:
    """Each task in a new interpreter (`python -m infertime.execution.worker`), which dies with
    this one; `env` adds environment variables (e.g. CUDA_VISIBLE_DEVICES)."""

    name = "fresh-process"

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.env = env

    def run(
        self,
        task: str,
        request: dict[str, Any],
        *,
        timeout_s: float,
        what: str,
        waiting: Waiting | None = None,
    ) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="infertime-task-") as folder:
            request_path = Path(folder) / "request.json"
            answer_path = Path(folder) / "answer.json"
            output_path = Path(folder) / "output.txt"
            request_path.write_text(json.dumps(request), encoding="utf-8")
            env = {**os.environ, **(self.env or {})}
            if from_command_line():  # the child's messages name flags, as the parent's do
                env[CLI_ENV] = "1"
            with open(output_path, "wb") as output:
                proc = subprocess.Popen(
                    [sys.executable, "-m", WORKER, task, str(request_path), str(answer_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=output,
                    stderr=subprocess.STDOUT,
                    env=env,
                    preexec_fn=die_with_parent,
                )
                try:
                    code = _wait(proc, timeout_s, waiting)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
                    raise ModelCallError(
                        f"{what} did not finish within {timeout_s:.0f} s and was stopped",
                        advice="a model that hangs, or a limit too short for a slow model: "
                        "measure it once in this process to see how long it takes",
                    ) from None
                except BaseException:  # Ctrl-C, SIGTERM: the child goes with us
                    proc.kill()
                    proc.wait()
                    raise
            answer = _read_answer(answer_path)
            if answer is not None and "answer" in answer:
                found: dict[str, Any] = answer["answer"]
                return found
            if answer is not None and "error" in answer:
                raise _error_from(answer["error"], what)
            tail = output_path.read_text(encoding="utf-8", errors="replace")
            raise ModelCallError(f"{what} failed: {why(code, tail)}")


def _wait(proc: subprocess.Popen[bytes], timeout_s: float, waiting: Waiting | None) -> int:
    """The child's exit code; `waiting` is told how long it has run, every few seconds."""
    start = time.monotonic()
    while True:
        left = timeout_s - (time.monotonic() - start)
        if left <= 0:
            raise subprocess.TimeoutExpired(proc.args, timeout_s)
        try:
            return proc.wait(timeout=min(WAIT_REPORT_S, left))
        except subprocess.TimeoutExpired:
            if waiting is not None:
                waiting(time.monotonic() - start, timeout_s)


def _read_answer(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _error_from(error: dict[str, Any], what: str) -> InfertimeError:
    """The child's error as the same class, its message saying where it happened."""
    cls = getattr(errors, str(error.get("type")), None)
    message = f"{what}: {error.get('message')}"
    if not (isinstance(cls, type) and issubclass(cls, InfertimeError)):
        cls = InfertimeError
    try:
        exc = cls(message, advice=error.get("advice"))
    except TypeError:  # a class with another constructor (MissingDependencyError)
        exc = InfertimeError(message, advice=error.get("advice"))
        exc.exit_code = int(error.get("exit_code", 1))
    return exc


_WARNING = re.compile(r"^\S.*:\d+: \w*Warning: ")


def why(code: int, output: str) -> str:
    """The child's last message that is not a Python warning, with its exit code."""
    lines = [line for line in output.strip().splitlines() if line.strip()]
    kept: list[str] = []
    skip_next = False
    for line in lines:
        if _WARNING.match(line):
            skip_next = True  # a warning's source line follows it, indented
            continue
        if skip_next and line.startswith(" "):
            skip_next = False
            continue
        skip_next = False
        kept.append(line.strip())
    if not kept:
        return f"exit code {code}, no message"
    return kept[-1] if code in (0, 1) else f"{kept[-1]} (exit code {code})"


def default_executor() -> Executor:
    return FreshProcess()
