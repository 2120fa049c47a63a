"""Start fresh interpreters: a worker task (JSON request in, one JSON line out) or a script.

Every child that runs the model goes through `run_task`, and so through `worker.py`, which
rebuilds the model from its spec and calls it only inside the measurement context.
"""

from __future__ import annotations

import json
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
        )
    except subprocess.TimeoutExpired:
        raise ModelCallError(f"{what} did not finish within {timeout_s:g} s") from None
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        why = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelCallError(f"{what} failed: {why}")
    try:
        answer: dict[str, Any] = json.loads(lines[-1])
    except json.JSONDecodeError:
        raise ModelCallError(f"{what} printed no result: {lines[-1][:200]}") from None
    return answer


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
    )
