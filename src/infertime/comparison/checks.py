"""All checks of a comparison, in one place, in the order they are shown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..diagnose.host import check_environment, check_model_output
from ..diagnose.launch import check_cupti
from ..diagnose.noise import check_warmup
from ..records import Diagnostic
from .ratios import percent_text
from .result import ratio_drift

if TYPE_CHECKING:
    from ..specs.spec import WorkloadSpec
    from .result import CompareResult


def check_compare(result: CompareResult) -> list[Diagnostic]:
    found: list[Diagnostic] = check_cupti(bool(result.analysis.cupti_attached_before))
    why = result.analysis.fresh_processes_because
    if why:
        found.append(
            Diagnostic(
                "fresh_processes",
                "info",
                f"the configurations ran in alternating fresh processes, not interleaved in one: "
                f"{why}",
                "ratios from processes are wider and slower to get; free memory or lower the "
                "batch size to interleave them",
            )
        )
    for arm in result.arms:
        if arm.warmup is not None:
            for d in check_warmup(arm.warmup):
                found.append(Diagnostic(d.code, d.severity, f"{arm.name}: {d.message}", d.advice))
    stop = result.stop
    drifts = [(result.arms[i].name, ratio_drift(result, i)) for i in range(1, len(result.arms))]
    drifting = [(name, change) for name, change in drifts if change is not None]
    for name, drift in drifting:
        found.append(
            Diagnostic(
                "ratio_drift",
                "warning",
                f"the time ratio of {name} to {result.baseline.name} drifted by {drift:+.1%} "
                "from the first half of the rounds to the second: one of them kept getting "
                "slower or faster while they were compared",
                "find what drifts (a growing cache, a leak, throttling); a longer --max-time "
                "will not settle a drift",
                {"change_rel": drift},
            )
        )
    if stop is not None and not stop.met_target and not drifting:
        found.append(
            Diagnostic(
                "precision_missed",
                "info",
                f"the ratios' CIs did not reach ±{percent_text(stop.target_rel)} %: {stop.message}",
                "give a longer --max-time for tighter ratios",
            )
        )
    found.extend(check_copies(result))
    found.extend(check_single_processes(result))
    found.extend(check_host_paced(result))
    found.extend(check_gate(result))
    found.extend(check_model_output(result.analysis))
    device_kind = result.settings.device.split(":")[0]
    found.extend(check_environment(result.environment, device_kind))
    if result.analysis.energy is not None:  # withheld or flagged energy is never quiet
        found.extend(result.analysis.energy.diagnostics)
    return found


def check_gate(result: CompareResult) -> list[Diagnostic]:
    """The gate's outcome: a regression fails the run (exit 8), an inconclusive gate says why
    and what would decide it (exit 9)."""
    g = result.policy.fail_if_slower
    state = result.gate_state
    if g is None or state is None or state == "passed":
        return []
    conf = f"{result.policy.confidence:.0%} confidence"
    if state == "regression":
        slower = [
            result.arms[i].name
            for i, r in enumerate(result.ratios(), start=1)
            if r.ci is not None and r.ci[0] > 1 + g
        ]
        return [
            Diagnostic(
                "regression",
                "warning",
                f"slower than {result.baseline.name} by more than {g:.1%} with {conf}: "
                f"{', '.join(slower)}",
                "the gate (--fail-if-slower) fails this run",
            )
        ]
    if result.single_host_bound and not result.policy.trust_single_process:
        why = (
            "each side is a single process of a host-bound figure, and fresh processes on one "
            "host differ by up to 2x at batch 1: the gate cannot tell a change from the host"
        )
        advice = (
            "measure each side with --processes 5, or compare live (interleaved); "
            "--trust-single-process lets these files decide"
        )
    else:
        straddle = [
            result.arms[i].name
            for i, r in enumerate(result.ratios(), start=1)
            if r.ci is None or r.ci[0] <= 1 + g < r.ci[1]
        ]
        why = (
            f"the CIs of {', '.join(straddle)} reach both sides of the {g:.1%} threshold: "
            f"neither slower beyond it nor within it with {conf}"
        )
        advice = result.decision(1).text.split("; ", 1)[-1] if len(result.arms) > 1 else ""
    return [Diagnostic("gate_inconclusive", "warning", f"gate inconclusive: {why}", advice or None)]


def check_single_processes(result: CompareResult) -> list[Diagnostic]:
    """Two single-process results of a host-bound figure: their difference may be the host."""
    if result.mode != "files" or any(len(a.groups) > 1 for a in result.arms):
        return []
    host_bound = [
        a.name
        for a in result.arms
        if a.verdict in ("launch-bound", "mixed") or a.settings.device.startswith("cpu")
    ]
    if not host_bound:
        return []
    return [
        Diagnostic(
            "single_process_pair",
            "warning",
            "each result comes from a single process and the host sets the pace of "
            f"{', '.join(host_bound)}: a pair of single processes cannot tell a real change from "
            "the host moving between them (fresh processes on one host differed by 2× at batch 1)",
            "compare live (interleaved in one process), or measure each side with --processes",
        )
    ]


def check_copies(result: CompareResult) -> list[Diagnostic]:
    """Copies of one configuration that timed apart, or a comparison made with one copy each."""
    found = []
    why = result.analysis.one_copy_because
    if why:
        found.append(
            Diagnostic(
                "one_copy",
                "info",
                f"one copy of each configuration ({why}): the order they were built in is not "
                "balanced, and on an H100 the first-built of two copies of one model ran up to "
                "1.7 % slower at batch 1",
                "read ratios within ±2 % of 1 as no difference, or free memory for two copies",
            )
        )
    for c in result.analysis.copies:
        if not c.ci or c.ci[0] <= 1 <= c.ci[1]:
            continue
        lo, hi = c.ci
        found.append(
            Diagnostic(
                "copies_differ",
                "info",
                f"two copies of {c.name} timed {c.time_ratio_to_first:.3f}× apart "
                f"({c.confidence:.0%} CI {lo:.3f}–{hi:.3f}): the process favours one copy of "
                "a model over another; the copies were built in balanced order and pooled, so "
                "this falls on every configuration alike, but a ratio this close to 1 is near "
                "the floor of what one process can tell",
                "repeat the comparison (a fresh process) before acting on a difference this small",
            )
        )
    return found


def check_host_paced(result: CompareResult) -> list[Diagnostic]:
    """A live latency comparison of configurations the host sets the pace of: their ratio
    holds for the host's speed during the comparison: where the host sets the pace, the GPU's
    work shows in the latency only where the host has not hidden it (on the H100, BERT-base
    fp32 against bf16 at batch 1 gave 0.945-0.955 in four processes whose fp32 median was
    4.4-5.9 ms and 0.985 in one where it was 8.1 ms). The ratio is right for the host as it
    ran; the result says so rather than pass it off as a property of the models."""
    launch = result.analysis.launch or ()
    paced = [
        (a, arm)
        for a, arm in zip(launch, result.arms, strict=False)
        if a is not None and a.verdict in ("launch-bound", "mixed")
    ]
    if result.mode != "interleaved" or not paced:
        return []
    which = ", ".join(
        f"{arm.name} ({a.verdict}, GPU busy {a.busy_fraction:.0%} of {a.latency_s * 1e3:.3g} ms)"
        for a, arm in paced
    )
    # A configuration that replays CUDA graphs already (compile's reduce-overhead) gets no
    # advice to do so: what paces it is the host's work around the replay.
    launching = [arm.name for a, arm in paced if not _replays_graphs(arm.settings.workload)]
    if launching:
        advice = (
            f"compare {', '.join(launching)} with --backend cuda-graph (or --backend compile "
            "--compile-mode reduce-overhead) to compare the GPU's work without the launches, "
            "and repeat in fresh processes to see how far the ratio moves"
        )
    else:
        advice = (
            "these replay CUDA graphs already (reduce-overhead): the host's work around each "
            "replay sets the pace; a larger batch gives the GPU more of the call, and fresh "
            "processes show how far the ratio moves"
        )
    return [
        Diagnostic(
            "host_paced_ratio",
            "info",
            f"the host sets the pace of {which}: the GPU's work shows in the latency only where "
            "the host has not hidden it, so the ratio holds for this host at the speed it ran; "
            "a faster or slower host (fresh processes on one host differ by up to 2× at batch 1) "
            "moves it",
            advice,
        )
    ]


def _replays_graphs(spec: WorkloadSpec) -> bool:
    return spec.backend == "compile" and spec.compile_mode == "reduce-overhead"
