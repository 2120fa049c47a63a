"""A whole latency measurement in each of several fresh processes, one after the other.

Between-process spread is the largest uncertainty of a launch-bound figure on a noisy host
(repeats.py); only fresh processes show it. Each child builds the model from its spec,
measures as `infertime run` does and answers with its result document; the parent keeps every
process's raw figures. Processes run one at a time: side by side they would slow each other.
"""

from __future__ import annotations

from typing import Any

from ..engine.progress import ProgressSink, no_progress
from ..errors import ModelCallError
from ..latency.result import LatencyResult
from ..policies import MeasureConfig
from ..workload.spec import WorkloadSpec
from .runner import run_task

# A child builds the model and measures; a slow model on a CPU can take minutes.
PROCESS_TIMEOUT_S = 1800.0


def measure_in_processes(
    spec: WorkloadSpec,
    config: MeasureConfig,
    processes: int,
    *,
    cuda_graph: bool,
    diagnose: bool,
    progress: ProgressSink = no_progress,
) -> list[LatencyResult]:
    """LatencyResults of `processes` fresh processes; only the last runs the diagnosis passes."""
    from ..resultfile import from_document
    from ..serialization import dump

    results = []
    for i in range(processes):
        progress("fresh processes", i / processes, f"process {i + 1} of {processes}")
        request = {
            "workload": dump(spec),
            "config": dump(config),
            "cuda_graph": cuda_graph,
            "diagnose": diagnose and i == processes - 1,
        }
        answer = run_task("latency", request, PROCESS_TIMEOUT_S, f"process {i + 1} of {processes}")
        result = from_document(answer["result"], f"the result of process {i + 1}")
        if not isinstance(result, LatencyResult):
            raise ModelCallError(f"process {i + 1} of {processes} answered with a {result.kind}")
        results.append(result)
    progress("fresh processes", 1.0, f"{processes} processes")
    return results


def latency_task(request: dict[str, Any]) -> dict[str, Any]:
    """In the child: one `infertime run` measurement of the spec, as a result document."""
    from ..latency.measure import measure_latency
    from ..resultfile import to_document
    from ..serialization import load

    result = measure_latency(
        load(WorkloadSpec, request["workload"]),
        config=load(MeasureConfig, request["config"]),
        cuda_graph=bool(request.get("cuda_graph")),
        diagnose=bool(request.get("diagnose")),
    )
    return {"result": to_document(result)}
