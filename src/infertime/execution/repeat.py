"""A whole measurement in each of several fresh processes, one after the other.

Between-process spread is the largest uncertainty of a launch-bound figure on a noisy host
(repeats.py); only fresh processes show it. Each child builds the model from its spec and
measures as the CLI does, answering with its result document. Processes run one at a time:
side by side they would slow each other.
"""

from __future__ import annotations

from typing import Any

from ..engine.progress import ProgressSink, no_progress
from ..errors import ModelCallError
from ..policies import MeasureConfig
from ..specs.spec import WorkloadSpec
from .executors import Executor, default_executor
from .measure_task import measure_request

# A child builds the model and measures; a slow model on a CPU can take minutes.
PROCESS_TIMEOUT_S = 1800.0


def measure_in_processes(
    kind: str,
    spec: WorkloadSpec,
    config: MeasureConfig,
    processes: int,
    *,
    options: dict[str, Any] | None = None,
    last_options: dict[str, Any] | None = None,
    progress: ProgressSink = no_progress,
    executor: Executor | None = None,
) -> list[Any]:
    """Results of `processes` fresh processes of `kind`; `last_options` apply to the last one
    only (the diagnosis passes: CUPTI slows every later launch in its process)."""
    from ..resultfile import from_document

    run_on = executor or default_executor()
    results = []
    for i in range(processes):
        progress("fresh processes", i / processes, f"process {i + 1} of {processes}")
        extra = last_options if i == processes - 1 and last_options else {}
        request = measure_request(kind, spec, config, **{**(options or {}), **extra})
        what = f"process {i + 1} of {processes}"
        answer = run_on.run("measure", request, timeout_s=PROCESS_TIMEOUT_S, what=what)
        result = from_document(answer["result"], f"the result of {what}")
        if getattr(result, "kind", None) != kind:
            raise ModelCallError(f"{what} answered with a {getattr(result, 'kind', '?')}")
        results.append(result)
    progress("fresh processes", 1.0, f"{processes} processes")
    return results
