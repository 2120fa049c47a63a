"""The child side of `runner.run_task`: rebuild the model from its spec, enter the measurement
context, run one task, print one JSON line (with the context it ran in) and exit.

Run as `python -m infertime.isolation.worker TASK '<json request>'`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ..errors import InfertimeError, OutOfMemoryError
from ..serialization import DataError, load
from ..workload.spec import WorkloadSpec

# task -> (run inside the context, answer when the model does not fit at all or None)
Task = tuple[Callable[[Any, dict[str, Any]], dict[str, Any]], Callable[..., dict[str, Any]] | None]


def _tasks() -> dict[str, Task]:
    from .cold_start import cold_start_task
    from .probe import probe_out_of_memory, probe_task

    return {"probe": (probe_task, probe_out_of_memory), "cold_start": (cold_start_task, None)}


def _whole_tasks() -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    """Tasks that build and measure the model themselves (a whole measurement per process)."""
    from .repeat import latency_task

    return {"latency": latency_task}


def run(task_name: str, request: dict[str, Any]) -> dict[str, Any]:
    from ..devices import resolve_device
    from ..workload.context import measurement_context
    from ..workload.prepare import prepare

    task, on_oom = _tasks()[task_name]
    try:
        spec = load(WorkloadSpec, request["workload"])
    except DataError as exc:
        raise InfertimeError(f"the parent sent a bad workload spec: {exc}") from None
    try:
        prepared = prepare(spec, resolve_device(spec.device))
        batch = request.get("batch") or prepared.spec.batch_size or 1
        with (
            measurement_context(prepared, pause_gc=request.get("pause_gc", True)) as measuring,
            prepared.explaining_failures(batch),
        ):
            answer = task(prepared, request)
    except OutOfMemoryError as exc:
        if on_oom is None:
            raise
        return on_oom(request, exc)
    answer["context"] = asdict(measuring.record)
    return answer


def main(argv: list[str]) -> int:
    try:
        whole = _whole_tasks().get(argv[0])
        request = json.loads(argv[1])
        answer = whole(request) if whole is not None else run(argv[0], request)
    except InfertimeError as exc:
        print(exc.one_line(), file=sys.stderr)
        return exc.exit_code
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
