"""--isolate: each batch-search probe in a fresh process, for models whose OOM fragments memory.

The parent sends the spec; the child rebuilds the model, enters the measurement context, runs
one probe and answers with its outcome; the process's memory goes with it when it exits. The
child task is registered as "throughput.probe" (throughput/kind.py).
"""

from __future__ import annotations

from typing import Any

from ..engine.batch_search import ProbeOutcome, Prober, in_process_prober
from ..errors import OutOfMemoryError
from ..execution.executors import Executor, default_executor
from ..execution.prepared_task import run_prepared
from ..serialization import dump, load
from ..specs.spec import WorkloadSpec

PROBE_TIMEOUT_S = 900


def isolated_prober(
    spec: WorkloadSpec, memory_fraction: float | None, executor: Executor | None = None
) -> Prober:
    """Probes in fresh processes; `spec` is a child spec (pipeline.measurement.child_spec)."""
    workload = dump(spec)
    run_on = executor or default_executor()

    def probe(batch: int, calls: int, phase: str) -> ProbeOutcome:
        request = {
            "workload": workload,
            "memory_fraction": memory_fraction,
            "batch": batch,
            "calls": calls,
            "phase": phase,
        }
        answer = run_on.run(
            "throughput.probe",
            request,
            timeout_s=PROBE_TIMEOUT_S,
            what=f"isolated probe at batch {batch}",
        )
        return load(ProbeOutcome, answer["outcome"])

    return probe


def probe_task(request: dict[str, Any]) -> dict[str, Any]:
    """In the child: one probe, as the parent would run it, inside the measurement context."""
    return run_prepared(request, _probe, probe_out_of_memory)


def _probe(prepared: Any, request: dict[str, Any]) -> dict[str, Any]:
    from ..workload.backends import build_call

    device = prepared.device
    if request.get("memory_fraction") is not None:
        device.limit_memory(request["memory_fraction"])
    prober = in_process_prober(lambda b: build_call(prepared, b), device)
    outcome = prober(request["batch"], request["calls"], request["phase"])
    return {"outcome": dump(outcome)}


def probe_out_of_memory(request: dict[str, Any], exc: OutOfMemoryError) -> dict[str, Any]:
    """The model itself did not fit in the fresh process: a failed probe, not an error."""
    outcome = ProbeOutcome(
        batch=request["batch"],
        fit=False,
        phase=request["phase"],
        calls=request["calls"],
        seconds=0.0,
        call_s=None,
        peak_allocated_bytes=None,
        peak_reserved_bytes=None,
        error=exc.one_line(),
    )
    return {"outcome": dump(outcome)}
