"""Tasks that run a step on a model rebuilt from its spec, inside the measurement context (a
throughput probe, pitfalls' cold start): the model is built and called as the parent would."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ..errors import InfertimeError, OutOfMemoryError
from ..serialization import DataError, load
from ..specs.spec import WorkloadSpec

Step = Callable[[Any, dict[str, Any]], dict[str, Any]]


def run_prepared(
    request: dict[str, Any],
    step: Step,
    on_oom: Callable[[dict[str, Any], OutOfMemoryError], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`step(prepared, request)` in the measurement context of the model `request` names;
    `on_oom` answers when the model does not fit at all (else the error goes up)."""
    from ..devices import resolve_device
    from ..workload.context import measurement_context
    from ..workload.prepare import prepare

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
            answer = step(prepared, request)
    except OutOfMemoryError as exc:
        if on_oom is None:
            raise
        return on_oom(request, exc)
    answer["context"] = asdict(measuring.record)
    return answer
