"""Render a comparison: each configuration's figure, its ratio to the baseline, the verdict."""

from __future__ import annotations

from rich.console import Console

from ..records import FIGURE_LABELS
from ..reporting.describe import build_lines, input_words
from ..reporting.diagnostics import wrapped
from ..reporting.energy import compare_lines, method_lines
from ..reporting.units import duration, size_bytes
from ..sections import BackendBuild
from .ratios import ci_text, ratio_text
from .result import CompareResult

MODE_WORDS = {
    "interleaved": "interleaved in one process",
    "processes": "in alternating fresh processes",
    "files": "from saved results",
}
FIGURE_WORDS = {
    **FIGURE_LABELS,
    "time_per_item_at_peak": "time per item at each result's peak batch (1 / peak throughput)",
}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def letter(i: int) -> str:
    return LETTERS[i] if i < len(LETTERS) else str(i + 1)


def how(r: CompareResult) -> str:
    if r.mode == "interleaved":
        copies = f", {r.policy.copies} copies each" if r.policy.copies > 1 else ""
        return f"{MODE_WORDS[r.mode]}, {len(r.orders)} rounds{copies}"
    if r.mode == "processes":
        return f"{MODE_WORDS[r.mode]}, {len(r.baseline.groups)} each"
    return MODE_WORDS[r.mode]


def headline_lines(r: CompareResult) -> list[str]:
    """Configurations with their figure and ratio, then one verdict per configuration."""
    figure = FIGURE_WORDS.get(r.figure, r.figure)
    if r.per_item:
        figure = figure.replace("per call", "per item")
        if "per item" not in figure:
            figure += ", per item"
    lines = [f"{figure} · {how(r)} · {r.settings.device}"]
    width = min(max(len(a.name) for a in r.arms), 36)
    for i, arm in enumerate(r.arms):
        name = arm.name if len(arm.name) <= width else arm.name[: width - 1] + "…"
        if i == 0:
            tail = "baseline"
        else:
            x = r.ratio(i)
            ci = f" [{ci_text(x.ci, x.value)}]" if x.ci else " [no CI]"
            tail = f"×{ratio_text(x.value, x.ci)}{ci}"
        lines.append(f"  {letter(i)}  {name:<{width}}  {duration(r.value(i)):>10}  {tail}")
    for i in range(1, len(r.arms)):
        lines.append(r.verdict(i))
    if any(d.code == "single_process_pair" for d in r.diagnostics):
        lines.append(
            "caveat: each side is one process of a host-bound figure, so the difference may be "
            "the host; compare live or measure each with --processes"
        )
    diffs = r.analysis.environment_differences
    if diffs:
        more = f" and {len(diffs) - 4} more" if len(diffs) > 4 else ""
        keys = ", ".join(list(diffs)[:4]) + more
        lines.append(f"environments differ in {keys} (--details)")
    conf = round(r.policy.confidence * 100)
    if r.mode == "interleaved":
        copies = ", copies' spread included" if r.analysis.copies else ""
        lines.append(f"×: time ratio to A, {conf} % CI paired by round{copies}")
    elif r.mode == "processes":
        lines.append(f"×: time ratio to A with its {conf} % CI over pairs of fresh processes")
    else:
        lines.append(f"×: time ratio to A with its {conf} % CI from the files' own samples")
    if r.policy.fail_if_slower is not None:
        state = {"regression": "FAILED", "inconclusive": "INCONCLUSIVE"}.get(
            r.gate_state or "", "passed"
        )
        lines.append(
            f"gate: {state} (fails when a configuration is slower than A by more than "
            f"{r.policy.fail_if_slower:.1%} with {conf} % confidence; passes when none is)"
        )
    if r.analysis.energy is not None:  # --energy: after the timing, never part of the gate
        lines.extend(compare_lines(r.analysis.energy, [letter(i) for i in range(len(r.arms))]))
    return lines


def detail_lines(r: CompareResult) -> list[str]:
    lines = [f"method: {r.ratios()[0].method}" if len(r.arms) > 1 else ""]
    if r.stop is not None:
        lines.append(f"stopped: {r.stop.message}")
    for i, arm in enumerate(r.arms):
        head = f"{letter(i)} = {arm.name}"
        if arm.source is not None:
            head += f" (file {arm.source})"
        lines.append(head)
        s = arm.settings
        words = [s.model, f"batch {s.workload.batch_size}", s.dtype_label, *input_words(s)]
        lines.append(f"    {' · '.join(words)} · {s.device} · {s.threads} threads")
        n = sum(len(g) for g in arm.groups)
        lines.append(
            f"    {n} samples of {arm.calls_per_sample} call(s) in {len(arm.groups)} group(s)"
        )
        if arm.warmup is not None:
            w = arm.warmup
            lines.append(f"    cold call {duration(w.cold_call_s)}; warm-up: {w.message}")
        lines.extend(f"    {line.strip()}" for line in build_lines(build_of(r, i)))
        launch = (r.analysis.launch or (None,) * len(r.arms))[i]
        if launch is not None:
            lines.append(
                f"    {launch.verdict}: GPU busy {launch.busy_fraction:.0%} of the latency "
                f"(kernel time {duration(launch.kernel_time_s)}, after timing)"
            )
        if arm.memory is not None and arm.memory.peak_allocated_bytes is not None:
            lines.append(
                f"    memory: peak allocated {size_bytes(arm.memory.peak_allocated_bytes)} "
                "(with every configuration loaded)"
            )
    for c in r.analysis.copies:
        ci = f" (CI {c.ci[0]:.3f}–{c.ci[1]:.3f})" if c.ci else " (no CI)"
        lines.append(
            f"copies: {c.name}: copy {c.copy} ran ×{c.time_ratio_to_first:.3f} the time "
            f"of copy 1{ci}"
        )
    ballast = r.analysis.ballast
    if ballast is not None:
        lines.append(
            f"ballast: a copy of {ballast.of} built first and kept, never timed"
            if ballast.built
            else f"ballast: none ({ballast.why_not})"
        )
    diffs = r.analysis.environment_differences
    for key, values in diffs.items():
        shown = " | ".join(f"{letter(i)}: {v}" for i, v in enumerate(values))
        lines.append(f"differs: {key}: {shown}")
    if r.analysis.energy is not None:
        lines.extend(method_lines(r.analysis.energy))
    return [line for line in lines if line]


def build_of(r: CompareResult, i: int) -> BackendBuild | None:
    """What building configuration i's first copy cost (a compile, an export), if anything."""
    builds = r.analysis.backend_builds
    owners = r.analysis.owners or tuple(range(len(builds)))
    for build, owner in zip(builds, owners, strict=False):
        if owner == i:
            return build
    return None


def print_compare(r: CompareResult, console: Console, details: bool = False) -> None:
    for line in headline_lines(r):
        wrapped(console, line)
    if details:
        console.print()
        for line in detail_lines(r):
            wrapped(console, line)
