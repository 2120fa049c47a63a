"""Findings about a throughput curve: largest batch not fastest, failed points, noisy points."""

from __future__ import annotations

from ..diagnose.gpu import check_watched
from ..diagnose.host import (
    check_context,
    check_environment,
    check_model_output,
    check_precision_support,
)
from ..diagnose.launch import check_cupti
from ..engine.curve import differ
from ..records import Diagnostic
from .result import ThroughputResult


def check_throughput(r: ThroughputResult) -> list[Diagnostic]:
    found = check_cupti(bool(r.analysis.cupti_attached_before))
    peak = r.point(r.peak_batch)
    max_fit = [p for p in r.points if p.batch == r.max_fit_batch and p.ok]
    if max_fit and max_fit[0].batch != peak.batch and differ(max_fit[0], peak):
        m = max_fit[0]
        loss = 1 - m.items_per_s / peak.items_per_s
        mem_peak = peak.memory.peak_reserved_bytes if peak.memory else None
        mem_max = m.memory.peak_reserved_bytes if m.memory else None
        ratio = f", and needs {mem_max / mem_peak:.1f}x the memory" if mem_peak and mem_max else ""
        found.append(
            Diagnostic(
                "largest_not_fastest",
                "info",
                f"the largest batch that fits ({m.batch}) gives {loss:.1%} less throughput than "
                f"batch {peak.batch}{ratio}",
                f"serve at the peak ({peak.batch}) or the knee ({r.knee_batch}) rather than the "
                "max-fit batch",
                {"loss": loss},
            )
        )
    failed = [p.batch for p in r.points if p.status == "oom"]
    if failed:
        found.append(
            Diagnostic(
                "points_out_of_memory",
                "warning",
                f"batches {failed} ran out of memory during the curve although the search "
                f"found {r.max_fit_batch} to fit",
                (
                    "the search ran in fresh processes, and this process holds more memory than "
                    "they did (other models or tensors in it); measure in a process of its own "
                    "or pass a lower --memory-fraction"
                    if r.policy.isolate
                    else "the allocator is fragmented or other work took memory; rerun with "
                    "--isolate or a lower --memory-fraction"
                ),
                {"batches": failed},
            )
        )
    dipped = [p.batch for p in r.points if p.status == "dip"]
    if dipped:
        found.append(
            Diagnostic(
                "curve_dip",
                "warning",
                f"batches {dipped} measured far below both neighbours twice; they are shown "
                "but not used to choose the peak, knee or budget batch",
                "other work on the machine or a throttling device disturbs single points; "
                "rerun when the machine is idle",
                {"batches": dipped},
            )
        )
    unsteady = [p.batch for p in r.points if p.measured and p.warmup_steady is False]
    if unsteady:
        found.append(
            Diagnostic(
                "points_unsteady",
                "warning",
                f"batches {unsteady} were still getting faster or slower when sampled (their "
                "warm-up never settled): their throughput is marked unsteady",
                "rerun with a longer --max-time, or when the machine is idle",
                {"batches": unsteady},
            )
        )
    loose = [
        p.batch
        for p in r.points
        if p.ok and p.device_time and p.device_time.stop and not p.device_time.stop.met_target
    ]
    if loose:
        found.append(
            Diagnostic(
                "points_imprecise",
                "info",
                f"the precision target was missed at batches {loose}; their CIs are shown",
                "raise --max-time for tighter points",
                {"batches": loose},
            )
        )
    if r.budget is not None and r.budget.batch is None:
        found.append(
            Diagnostic("budget_unmet", "warning", r.budget.message, "relax the latency budget")
        )
    elif r.budget is not None and r.budget.confidence is not None:
        found.append(
            Diagnostic(
                "p99_bounded",
                "info",
                f"latency budget: {r.budget.message}",
                f"the batch meets the budget with {r.budget.confidence:.0%} confidence: its p99 "
                "is checked with an upper confidence bound, not a point estimate",
            )
        )
    state = r.analysis.gpu_state
    if state is not None:
        timed = {f"at batch {p.batch}": p.device_time for p in r.points if p.device_time}
        found.extend(check_watched(state, timed))
    found.extend(check_model_output(r.analysis))
    found.extend(check_context(r.settings.context))
    found.extend(check_precision_support(r.settings, r.environment))
    found.extend(check_environment(r.environment, r.settings.device.split(":")[0]))
    if r.analysis.energy is not None:  # withheld or flagged energy is never quiet
        found.extend(r.analysis.energy.diagnostics)
    return found
