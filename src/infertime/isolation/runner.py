"""Start fresh interpreters: a worker task (JSON request in, one JSON line out) or a script.

Every child that runs the model goes through `run_task`, and so through `worker.py`, which
rebuilds the model from its spec and calls it only inside the measurement context.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from typing import Any

from ..errors import ModelCallError

WORKER = "infertime.isolation.worker"


def run_task(task: str, request: dict[str, Any], timeout_s: float, what: str) -> dict[str, Any]:
    """`python -m infertime.isolation.worker TASK '<request>'`; its last stdout line answers."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", WORKER, task, json.dumps(request)],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            preexec_fn=die_with_parent,
        )
    except subprocess.TimeoutExpired:
        raise ModelCallError(f"{what} did not finish within {timeout_s:g} s") from None
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        raise ModelCallError(f"{what} failed: {_why(proc.returncode, proc.stderr)}")
    try:
        answer: dict[str, Any] = json.loads(lines[-1])
    except json.JSONDecodeError:
        raise ModelCallError(f"{what} printed no result: {lines[-1][:200]}") from None
    return answer


_WARNING = re.compile(r"^\S.*:\d+: \w*Warning: ")


def _why(code: int, stderr: str) -> str:
    """The child's last message that is not a Python warning, with its exit code."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
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


def start_script(path: str, args: list[str]) -> subprocess.Popen[bytes]:
    """Run the Python file at `path` in a fresh interpreter without importing this package.

    runpy.run_path, not `-m` or a script path: neither the package (torch) nor its folder
    loads, so the child stays light (the NVML sampler must not load the CPU it watches).
    """
    runner = (
        "import runpy, sys; sys.argv = sys.argv[1:]; "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    return subprocess.Popen(
        [sys.executable, "-c", runner, path, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )


def die_with_parent() -> None:
    """In a new child, before it runs: have the kernel kill it when its parent dies, however
    the parent dies (SIGKILL included), so no child outlives infertime (Linux; elsewhere the
    parent's cleanup on SIGINT and SIGTERM is all there is)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


PR_SET_PDEATHSIG = 1
