"""--isolate: each batch-search probe in a fresh process, for models whose OOM fragments memory.

The parent sends the spec; the worker rebuilds the model, enters the measurement context, runs
one probe and prints its outcome; the process's memory goes with it when it exits.
"""

from __future__ import annotations

from typing import Any

from ..engine.batch_search import ProbeOutcome, Prober, in_process_prober
from ..errors import OutOfMemoryError
from ..serialization import dump, load
from ..workload.spec import WorkloadSpec
from .runner import run_task

PROBE_TIMEOUT_S = 900


def isolated_prober(spec: WorkloadSpec, memory_fraction: float | None) -> Prober:
    """Probes in fresh processes; `spec` names a model reference and the parent's threads."""
    workload = dump(spec)

    def probe(batch: int, calls: int, phase: str) -> ProbeOutcome:
        request = {
            "workload": workload,
            "memory_fraction": memory_fraction,
            "batch": batch,
            "calls": calls,
            "phase": phase,
        }
        answer = run_task("probe", request, PROBE_TIMEOUT_S, f"isolated probe at batch {batch}")
        return load(ProbeOutcome, answer["outcome"])

    return probe


def probe_task(prepared: Any, request: dict[str, Any]) -> dict[str, Any]:
    """In the worker, inside the measurement context: one probe, as the parent would run it."""
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
