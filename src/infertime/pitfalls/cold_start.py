"""No warm-up: the first calls of a fresh process, timed correctly but with nothing before them.

The child reports when the model was ready (wall clock, so the parent can count interpreter
start, imports, model build and device initialisation) and the first n calls' latencies. The
child task is registered as "pitfalls.cold_start" (pitfalls/kind.py).
"""

from __future__ import annotations

import time
from typing import Any

from ..execution.executors import Executor, default_executor
from ..execution.prepared_task import run_prepared
from ..serialization import dump
from ..specs.spec import WorkloadSpec


def run_cold_start(
    spec: WorkloadSpec, n: int, timeout_s: float = 600, executor: Executor | None = None
) -> dict[str, Any]:
    """Measure in a fresh interpreter so that nothing is initialised yet."""
    spawned = time.time()
    data = (executor or default_executor()).run(
        "pitfalls.cold_start",
        {"workload": dump(spec), "n": n},
        timeout_s=timeout_s,
        what="the cold-start process",
    )
    data["startup_s"] = data.pop("ready_unix") - spawned
    return data


def cold_start_task(request: dict[str, Any]) -> dict[str, Any]:
    return run_prepared(request, _first_calls)


def _first_calls(prepared: Any, request: dict[str, Any]) -> dict[str, Any]:
    """In the child, inside the measurement context: the first `n` calls, synchronized."""
    from ..workload.backends import build_call, setup_of
    from .methods import correct

    call = build_call(prepared, prepared.spec.batch_size)
    prepared.device.synchronize()
    ready = time.time()
    samples = correct(call, prepared.device, request["n"])
    # A compile or an export happened before the first timed call: its cost is said apart.
    build = setup_of(call)
    return {"ready_unix": ready, "samples_s": samples, "build": dump(build) if build else None}
