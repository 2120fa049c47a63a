"""A whole measurement in each of several fresh processes, one after the other.

Between-process spread is the largest uncertainty of a launch-bound figure on a noisy host
(repeats.py); only fresh processes show it. Each child builds the model from its spec and
measures as the CLI does, answering with its result document. Processes run one at a time:
side by side they would slow each other.
"""

from __future__ import annotations

from typing import Any

from ..engine.progress import CONTEXT, NOTICE, ProgressSink, no_progress
from ..errors import ModelCallError
from ..policies import MeasureConfig
from ..specs.spec import WorkloadSpec
from .executors import WAIT_REPORT_S, Executor, default_executor
from .measure_task import measure_request

NOTICE_AFTER_S = 60.0  # a child that runs this long is said to, where no bar is drawn

# A child builds the model and measures; a slow model on a CPU can take minutes. It is stopped
# when it runs this long, plus this many times its warm-up and sampling limits (a hung model).
PROCESS_BASE_S = 240.0
PROCESS_BUDGET_FACTOR = 10.0


def process_timeout_s(config: MeasureConfig) -> float:
    """How long one fresh process may take before it is taken for hung."""
    budget = config.warmup.max_time_s + config.stop.max_time_s
    return PROCESS_BASE_S + PROCESS_BUDGET_FACTOR * budget


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
    limit = process_timeout_s(config)
    results = []
    for i in range(processes):
        what = f"process {i + 1} of {processes}"
        progress(CONTEXT, None, what)
        progress("fresh processes", i / processes, f"{what}: starting")
        extra = last_options if i == processes - 1 and last_options else {}
        request = measure_request(kind, spec, config, **{**(options or {}), **extra})

        def waiting(seconds: float, limit_s: float, i: int = i, what: str = what) -> None:
            # A child's progress is not seen from here: its time so far, and its limit.
            progress("fresh processes", i / processes, f"{what}: {seconds:.0f} s")
            if seconds >= NOTICE_AFTER_S and seconds - WAIT_REPORT_S < NOTICE_AFTER_S:
                progress(
                    NOTICE,
                    None,
                    f"{what} has run {seconds:.0f} s (model build, warm-up, sampling); it is "
                    f"stopped if it runs {limit_s:.0f} s",
                )

        answer = run_on.run("measure", request, timeout_s=limit, what=what, waiting=waiting)
        result = from_document(answer["result"], f"the result of {what}")
        if getattr(result, "kind", None) != kind:
            raise ModelCallError(f"{what} answered with a {getattr(result, 'kind', '?')}")
        results.append(result)
    progress("fresh processes", 1.0, f"{processes} processes")
    return results
