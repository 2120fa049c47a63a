"""The generic child task: one whole measurement of any kind from its spec, answered as the
kind's result document (what `--processes`, compare's fallback and sweeps run)."""

from __future__ import annotations

from typing import Any

from .. import kinds
from ..errors import InfertimeError
from ..policies import MeasureConfig
from ..serialization import DataError, dump, load
from ..specs.spec import WorkloadSpec


def measure_request(
    kind: str, spec: WorkloadSpec, config: MeasureConfig | None, **options: Any
) -> dict[str, Any]:
    """The request for `measure_task`: the kind, its spec, config and keyword options."""
    return {
        "kind": kind,
        "workload": dump(spec),
        "config": dump(config) if config is not None else None,
        "options": options,
    }


def measure_task(request: dict[str, Any]) -> dict[str, Any]:
    """In the child: the kind's public measure function on the spec; the result document."""
    from ..resultfile import to_document

    kind = kinds.get(request["kind"])
    if kind.measure is None:
        raise InfertimeError(f"results of kind {kind.name} are not measured in a child")
    try:
        spec = load(WorkloadSpec, request["workload"])
        config = load(MeasureConfig, request["config"]) if request.get("config") else None
    except DataError as exc:
        raise InfertimeError(f"the parent sent a bad request: {exc}") from None
    measure = kinds.load_attribute(kind.measure)
    options = dict(request.get("options") or {})
    if config is not None:
        options["config"] = config
    result = measure(spec, **options)
    return {"result": to_document(result)}
