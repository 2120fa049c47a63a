"""Run part of a measurement in a fresh interpreter: a JSON request in, a JSON line out."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from .errors import ModelCallError


def run_json_child(
    module: str, request: dict[str, Any], timeout_s: float, what: str
) -> dict[str, Any]:
    """`python -m module '<request>'`; its last stdout line is the JSON answer."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", module, json.dumps(request)],
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
