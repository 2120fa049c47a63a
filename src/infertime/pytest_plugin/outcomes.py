"""The plugin's checks, decided with confidence and said in words: a figure against a time
limit, a comparison against a slowdown threshold. Three outcomes each: passed, failed
("slower" / "regression") and inconclusive, which fails too (a check that cannot judge must
not pass) and says what would decide it. torch-free."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from .. import stats
from ..comparison.ratios import ci_text, gate_state, paired_ratio, ratio_text
from ..comparison.result import CompareResult
from ..latency.result import LatencyResult
from ..reporting.table import device_name
from ..reporting.units import duration, duration_in
from .thresholds import share_text

FIGURE_WORDS = {"latency": "latency per call", "device_time": "device time per call"}


@dataclass(frozen=True)
class Outcome:
    """A check's result: "passed", "slower"/"regression" or "inconclusive", and why."""

    state: str
    message: str

    @property
    def passed(self) -> bool:
        return self.state == "passed"


def where(result: Any) -> str:
    """The device and what ran on it, for every message: 'cpu (AMD EPYC 7B13), batch 8, fp32,
    2 threads'."""
    s = result.settings
    name = device_name(result)
    device = f"{s.device} ({name})" if name and name != s.device else s.device
    return f"{device}, batch {s.batch_size}, {s.dtype_label}, {s.threads} threads"


def figure_of(result: LatencyResult, wanted: str) -> str:
    """The figure a check reads: device time where it was measured (a GPU), else latency,
    which on a CPU is the same quantity (calls run synchronously)."""
    return wanted if wanted in result.figures else "latency"


def figure_words(result: LatencyResult, figure: str, wanted: str) -> str:
    words = FIGURE_WORDS.get(figure, figure)
    if figure != wanted:
        words += f" (on {result.settings.device} the same quantity as {FIGURE_WORDS[wanted]})"
    return words


def median_and_ci(result: LatencyResult, figure: str) -> tuple[float, tuple[float, float] | None]:
    """The figure's median and its CI; over fresh processes, their typical value and its CI."""
    over = result.across(figure)
    if over is not None:
        return over.typical, over.typical_ci
    s = result.figures[figure].summary
    return s.median, s.median_ci


def time_to_decide_s(elapsed_s: float | None, half: float, needed: float) -> float | None:
    """Sampling time for a CI of relative half-width `needed`, from one of `half` after
    `elapsed_s` (a CI narrows as 1 / sqrt(time) while the noise stays as it was)."""
    if elapsed_s is None or needed <= 0 or half <= 0:
        return None
    return elapsed_s * (half / needed) ** 2


def faster_than(result: LatencyResult, wanted: str, limit_s: float) -> Outcome:
    """Passed when the CI's upper bound is below the limit; slower when its lower bound is at
    or above it; inconclusive when it reaches both sides, or when there is no CI."""
    figure = figure_of(result, wanted)
    median, ci = median_and_ci(result, figure)
    conf = f"{round(result.figures[figure].confidence * 100)} % CI"
    said = f"{figure_words(result, figure, wanted)} {duration(median)}"
    limit = duration(limit_s)
    on = f"on {where(result)}"
    if ci is None:
        return Outcome(
            "inconclusive",
            f"inconclusive: {said} has no CI ({result.figures[figure].summary.n} samples), so "
            f"it cannot be shown faster than {limit}; give it more time (max_time_s) {on}",
        )
    said += f" ({conf} {duration_in(ci[0], median)}–{duration(ci[1])})"
    if ci[1] < limit_s:
        return Outcome("passed", f"{said} is faster than {limit} {on}")
    if ci[0] >= limit_s:
        return Outcome(
            "slower", f"{said} is not faster than {limit}: the whole CI is at or above it {on}"
        )
    half = max(median - ci[0], ci[1] - median) / median
    needed = abs(limit_s / median - 1)
    stop = result.figures[figure].stop
    more = time_to_decide_s(stop.elapsed_s if stop else None, half, needed)
    decide = (
        f"about max_time_s={math.ceil(more)} would decide it if the median stays at "
        f"{duration(median)}, or "
        if more is not None and needed > 0.002
        else "the median sits on the limit, so more time will hardly decide it: "
    )
    return Outcome(
        "inconclusive",
        f"inconclusive: {said} reaches both sides of the {limit} limit, so it is neither "
        f"faster nor slower with confidence; {decide}a limit above {duration(ci[1])} {on}",
    )


def not_slower(result: CompareResult, threshold: float, trust_hint: str = "") -> Outcome:
    """The regression gate at `threshold` (comparison/ratios.py `gate_state`, and offline the
    single-process rule of CompareResult.gate_state): passed when every configuration is, with
    the CI's confidence, not slower than the baseline beyond it; regression when one is slower
    beyond it; else inconclusive, with what would decide it."""
    gated = replace(result, policy=replace(result.policy, fail_if_slower=threshold))
    state = gated.gate_state
    base = result.baseline.name
    gate = f"the {share_text(threshold)} threshold"
    on = f"on {where(result)}"
    lines = []
    for i in range(1, len(result.arms)):
        r = result.ratio(i)
        name = result.arms[i].name
        medians = f"{base} {duration(result.value(0))}, {name} {duration(result.value(i))}"
        ratio = f"time ratio {ratio_text(r.value, r.ci)}"
        if r.ci is not None:
            conf = f"{round(r.confidence * 100)} % CI"
            ratio += f" ({conf} {ci_text(r.ci, r.value)}; {medians})"
        else:
            ratio += f" (no CI: too few {'rounds' if result.mode == 'interleaved' else 'samples'})"
        each = gate_state(r, threshold)
        if each == "regression":
            lines.append(f"{name} is slower than {base} beyond {gate}: {ratio}")
        elif each == "inconclusive" and r.ci is None:
            lines.append(
                f"{name} against {base}: {ratio}, so the gate cannot judge; "
                + what_decides(result, i, threshold)
            )
        elif each == "inconclusive":
            lines.append(
                f"{name} against {base}: {ratio} reaches both sides of {gate}, so it is "
                f"neither slower beyond it nor within it with confidence; "
                + what_decides(result, i, threshold)
            )
    figure = FIGURE_WORDS.get(result.figure, result.figure)
    if state == "regression":
        return Outcome("regression", f"{'; '.join(lines)}; {figure} {on}")
    if state == "passed":
        return Outcome(
            "passed", f"not slower than {base} beyond {gate} with confidence; {figure} {on}"
        )
    if result.single_host_bound and not result.policy.trust_single_process:
        lines.insert(
            0,
            "each side is a single process of a host-bound figure (a CPU, or a launch-bound "
            "GPU model), and fresh processes on one host differ by far more than a few "
            "percent: saved results cannot tell a change from the host; compare live "
            "(infertime.compare in the test), or measure with processes=5 (a model reference)"
            + trust_hint,
        )
    return Outcome("inconclusive", f"inconclusive: {'; '.join(lines)}; {figure} {on}")


def what_decides(result: CompareResult, i: int, threshold: float) -> str:
    """For a ratio whose CI straddles the threshold: the budget that would narrow it enough
    (live), or what else would decide it."""
    r = result.ratio(i)
    edge = 1 + threshold
    if r.ci is None or result.mode != "interleaved" or result.stop is None:
        what = "each side measured with processes=5" if result.mode == "files" else "more time"
        top = r.ci[1] if r.ci is not None else r.value
        return f"{what} would decide it, or a threshold above {share_text(max(top - 1, 0.0))}"
    half = r.half_width or 0.0
    needed = abs(edge / r.value - 1)
    above = share_text(max(r.ci[1] - 1, 0.0))
    # The copies' spread is in the CI and does not narrow with time: only the rounds' does.
    rounds = paired_ratio(
        [stats.median(g) for g in result.samples_of(0)],
        [stats.median(g) for g in result.samples_of(i)],
        r.confidence,
    ).half_width
    h_rounds = min(rounds if rounds is not None else half, half)
    h_copies = math.sqrt(max(half * half - h_rounds * h_rounds, 0.0))
    if needed < 0.002:
        return (
            f"the ratio sits on the threshold, so more time will hardly decide it; a "
            f"threshold above {above}"
        )
    if h_copies >= needed:
        return (
            f"the model's copies differ by more than the margin to the threshold, so more "
            f"time will not decide it; a threshold above {above}"
        )
    more = time_to_decide_s(result.stop.elapsed_s, h_rounds, math.sqrt(needed**2 - h_copies**2))
    if more is None:
        return f"more time would decide it, or a threshold above {above}"
    return (
        f"about max_time_s={math.ceil(more)} would decide it if the ratio stays at "
        f"{ratio_text(r.value, r.ci)}, or a threshold above {above}"
    )
