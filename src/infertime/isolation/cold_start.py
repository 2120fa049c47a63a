"""No warm-up: the first calls of a fresh process, timed correctly but with nothing before them.

The worker reports when the model was ready (wall clock, so the parent can count interpreter
start, imports, model build and device initialisation) and the first n calls' latencies.
"""

from __future__ import annotations

import time
from typing import Any

from ..workload.spec import WorkloadSpec
from .runner import run_task


def run_cold_start(spec: WorkloadSpec, n: int, timeout_s: float = 600) -> dict[str, Any]:
    """Measure in a fresh interpreter so that nothing is initialised yet."""
    from ..serialization import dump

    spawned = time.time()
    data = run_task(
        "cold_start", {"workload": dump(spec), "n": n}, timeout_s, "the cold-start process"
    )
    data["startup_s"] = data.pop("ready_unix") - spawned
    return data


def cold_start_task(prepared: Any, request: dict[str, Any]) -> dict[str, Any]:
    """In the worker, inside the measurement context: the first `n` calls, synchronized."""
    from ..pitfalls.methods import correct
    from ..workload.backends import build_call, setup_of

    call = build_call(prepared, prepared.spec.batch_size)
    prepared.device.synchronize()
    ready = time.time()
    samples = correct(call, prepared.device, request["n"])
    # A compile or an export happened before the first timed call: its cost is said apart.
    return {"ready_unix": ready, "samples_s": samples, "build": setup_of(call)}
