"""Several configurations timed against each other in one process, in interleaved slots.

A host that moves between slow and fast states (DESIGN.md: batch-1 medians 2× apart between
processes minutes apart) moves every configuration's absolute figure, but not their ratio when
their samples are taken side by side. Each configuration is warmed up on its own first (its
cold call, warm-up and memory measured apart); then rounds follow. A round is a random
permutation of the configurations and its reverse (ABBA for two), one slot each time: a linear
drift within a round falls on every configuration alike, and the random order keeps a periodic
host disturbance from lining up with one of them. A slot starts with one untimed call (the
switch from another model refills caches and queues) and then takes a few samples of the
figure. A configuration may be timed through several copies of its model, built in balanced
order (`build_order`): on an H100 the first-built of two copies of one model ran 1.2-1.7 %
slower at batch 1 in every process tried, whichever slot order (docs/statistics.md); a
round then gives each copy one of its configuration's two slots (A1 B1 B2 A2).
Each round gives each configuration one statistic (the median per call of its slots) and
each ratio to the baseline one value; sampling stops when every ratio's CI is within ±precision
at consecutive checks (comparison/ratios.py), or when the time budget is spent.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .. import stats
from ..devices.base import Device, MemoryReading
from ..policies import ComparePolicy, TimingPolicy, WarmupPolicy
from ..records import StopRecord, WarmupRecord
from .progress import CONTEXT, PLAN, ProgressSink, no_progress
from .sampler import PROGRESS_INTERVAL_S, latency_calls_per_sample, pipelined_calls_per_sample
from .timing import calibrate_timer_overhead, time_block
from .warmup import warm_up

# (per-round statistics of the baseline and of one other configuration, that configuration's
# index, every configuration's copies' samples [config][copy][round]) -> the relative
# half-width of the ratio's CI, or None where there is none yet
RatioCheck = Callable[
    [Sequence[float], Sequence[float], int, Sequence[Sequence[Sequence[Sequence[float]]]]],
    float | None,
]


@dataclass(frozen=True)
class ArmStart:
    """One configuration before interleaving: its first call, warm-up and memory, measured alone."""

    warmup: WarmupRecord
    memory: MemoryReading
    calls_per_sample: int
    samples_per_slot: int


@dataclass(frozen=True)
class InterleavedRun:
    """Raw samples (seconds per call) of every configuration, grouped by round.

    A configuration may be timed through several calls (copies of it, built apart): `owners`
    says whose each call is; `starts` and `copy_samples` are per call, `samples` per
    configuration (all its calls' samples of a round, in time order).
    """

    figure: str
    starts: tuple[ArmStart, ...]
    # samples[config][round]: that configuration's samples in that round, in time order
    samples: tuple[tuple[tuple[float, ...], ...], ...]
    orders: tuple[tuple[int, ...], ...]  # the calls of each round's slots, in order
    stop: StopRecord
    timer_overhead_s: float
    owners: tuple[int, ...] = ()  # owners[call] = its configuration; () = one call each
    copy_samples: tuple[tuple[tuple[float, ...], ...], ...] = ()  # [call][round], copies only


def round_order(arms: int, rng: random.Random) -> tuple[int, ...]:
    """A random permutation followed by its reverse: each arm twice, centred on the same time."""
    perm = list(range(arms))
    rng.shuffle(perm)
    return (*perm, *reversed(perm))


def start_arm(
    call: Callable[[], Any],
    device: Device,
    figure: str,
    warmup: WarmupPolicy,
    timing: TimingPolicy,
    policy: ComparePolicy,
    overhead_s: float,
    progress: ProgressSink,
) -> ArmStart:
    """Cold call, warm-up and memory of one configuration; the sizes of its samples and slots."""
    device.reset_peak_memory()
    timer = device.new_timer()
    cold = time_block(call, device, timer, 1, sync_each=True)
    warm = warm_up(call, device, warmup, cold, progress)
    memory = device.memory()
    call_s = warm.recent_call_s(10)
    if figure == "latency":
        k = latency_calls_per_sample(call_s, overhead_s, timing)
    else:
        k = pipelined_calls_per_sample(call_s, overhead_s, timing)
    per_slot = max(policy.slot_samples, math.ceil(policy.slot_s / max(k * call_s, 1e-9)))
    return ArmStart(warm, memory, k, per_slot)


def interleave(
    calls: Sequence[Callable[[], Any]],
    device: Device,
    policy: ComparePolicy,
    warmup: WarmupPolicy,
    timing: TimingPolicy,
    ratio_half_width: RatioCheck,
    progress: ProgressSink = no_progress,
    owners: Sequence[int] | None = None,
    labels: Sequence[str] | None = None,
) -> InterleavedRun:
    """Warm each call up alone, then time them in interleaved rounds (module doc).

    `owners[j]` is the configuration that call j times (copies of one configuration share
    it; default: one call each); the slots are the calls', the statistics the configurations'.
    `labels[j]` names call j on the progress line ("B, copy 2").
    `ratio_half_width(baseline_rounds, other_rounds, other_index, copies)` is the relative
    half-width of the ratio's CI, or None where there is none yet: the stopping rule's
    evidence (`copies[config][copy][round]`: each copy's samples, for the copies' spread).
    """
    owner = list(owners) if owners is not None else list(range(len(calls)))
    configs = max(owner) + 1 if owner else 0
    if len(owner) != len(calls) or sorted(set(owner)) != list(range(configs)):
        raise ValueError("owners must name a configuration for every call, each at least once")
    if configs < 2:
        raise ValueError("a comparison needs at least two configurations")
    overhead_s = calibrate_timer_overhead(device, timing.timer_calibration_pairs)
    own = []
    for j, c in enumerate(calls):
        progress(CONTEXT, None, labels[j] if labels else f"configuration {owner[j] + 1}")
        own.append(
            start_arm(c, device, policy.figure, warmup, timing, policy, overhead_s, progress)
        )
    progress(CONTEXT, None, f"{configs} configurations, interleaved")
    progress(PLAN, policy.max_time_s, "interleaved rounds")
    copies_of = [[j for j, o in enumerate(owner) if o == i] for i in range(configs)]
    # Copies of one configuration take samples of one size (its first copy's): pooled samples
    # must be alike, each copy weighing the same in a round.
    first = [own[copies_of[owner[j]][0]] for j in range(len(calls))]
    starts = tuple(
        replace(s, calls_per_sample=f.calls_per_sample, samples_per_slot=f.samples_per_slot)
        for s, f in zip(own, first, strict=True)
    )
    sync_each = policy.figure == "latency"
    rng = random.Random(policy.seed)
    timer = device.new_timer()
    samples: list[list[tuple[float, ...]]] = [[] for _ in range(configs)]
    per_call: list[list[tuple[float, ...]]] = [[] for _ in calls]
    orders: list[tuple[int, ...]] = []
    t0 = device.now_ns()
    passes = 0
    reported = 0.0
    reason = "max_time"
    worst: float | None = None
    # Each copy one slot a round: a round is the permutation and its reverse once per pair of
    # copies (A1 B1 B2 A2 A3 B3 B4 A4 for four), so every copy runs in every round and copies
    # can be paired by round.
    pairs = max(1, math.ceil(max(len(c) for c in copies_of) / 2))
    while True:
        order = calls_of_round(round_order(configs, rng) * pairs, copies_of, len(orders))
        taken: list[list[float]] = [[] for _ in range(configs)]
        taken_by_call: list[list[float]] = [[] for _ in calls]
        for arm in order:
            start = starts[arm]
            calls[arm]()  # untimed: the switch from another configuration
            for _ in range(start.samples_per_slot):
                # Device-time samples each start behind a primer call: the GPU is never
                # idle at a sample's start (engine/timing.py).
                x = time_block(
                    calls[arm], device, timer, start.calls_per_sample, sync_each, prime=True
                )
                taken[owner[arm]].append(x)
                taken_by_call[arm].append(x)
        orders.append(order)
        for i, xs in enumerate(taken):
            samples[i].append(tuple(xs))
        for arm, xs in enumerate(taken_by_call):
            per_call[arm].append(tuple(xs))
        rounds = len(orders)
        elapsed = (device.now_ns() - t0) * 1e-9
        if elapsed - reported >= PROGRESS_INTERVAL_S:
            reported = elapsed
            progress(
                "comparing", min(elapsed / policy.max_time_s, 1.0), round_detail(rounds, worst)
            )
        if rounds >= policy.min_rounds:
            base = per_round(samples[0])
            by_copy = [[per_call[j] for j in copies_of[i]] for i in range(configs)]
            widths = [
                ratio_half_width(base, per_round(s), i, by_copy)
                for i, s in enumerate(samples[1:], start=1)
            ]
            known = [w for w in widths if w is not None]
            worst = max(known) if len(known) == len(widths) else None
            met = worst is not None and worst <= policy.precision
            passes = passes + 1 if met else 0
            if passes >= policy.consecutive_passes:
                reason = "precision"
                break
        if elapsed >= policy.max_time_s:
            break
        if rounds >= policy.max_rounds:
            reason = "max_samples"
            break
    elapsed = (device.now_ns() - t0) * 1e-9
    return InterleavedRun(
        figure=policy.figure,
        starts=starts,
        samples=tuple(tuple(s) for s in samples),
        orders=tuple(orders),
        stop=_stop(reason, worst, policy, len(orders), elapsed),
        timer_overhead_s=overhead_s,
        owners=tuple(owner) if configs < len(calls) else (),
        copy_samples=tuple(tuple(s) for s in per_call) if configs < len(calls) else (),
    )


def round_detail(rounds: int, worst: float | None) -> str:
    """The progress line while comparing: rounds so far and the widest ratio CI yet."""
    ci = f", widest ratio CI ±{worst:.1%}" if worst is not None else ""
    return f"{rounds} rounds{ci}"


def calls_of_round(
    order: Sequence[int], copies_of: Sequence[Sequence[int]], round_index: int = 0
) -> tuple[int, ...]:
    """The calls that fill a round's slots: a configuration's slots in the round go to its
    copies in turn, so with two copies a round is A1 B1 B2 A2 (or A2 B2 B1 A1: which copy
    goes first alternates from round to round, so neither always follows the other) and lasts
    no longer than with one."""
    seen = [round_index] * len(copies_of)
    out = []
    for i in order:
        out.append(copies_of[i][seen[i] % len(copies_of[i])])
        seen[i] += 1
    return tuple(out)


def build_order(configs: int, copies: int) -> list[int]:
    """Which configuration to build next, for `copies` copies of each: forward, then backward,
    and so on (A B B A for two of two). Whatever makes a copy slower with the order it was
    built in then falls on every configuration alike; the first copies come first, so when the
    later ones do not fit, one copy of each is already there."""
    order: list[int] = []
    for k in range(copies):
        order += list(range(configs)) if k % 2 == 0 else list(reversed(range(configs)))
    return order


def per_round(rounds: Sequence[Sequence[float]]) -> list[float]:
    """Each round's statistic for one configuration: the median per call of its samples."""
    return [stats.median(xs) for xs in rounds]


def _stop(
    reason: str, worst: float | None, policy: ComparePolicy, rounds: int, elapsed: float
) -> StopRecord:
    ci = f"widest ratio CI ±{worst:.2%}" if worst is not None else "ratio CI undefined"
    target = f"target ±{policy.precision:.2%}"
    if reason == "precision":
        message = (
            f"{ci} ≤ {target} at {policy.consecutive_passes} checks in a row, after {rounds} "
            f"rounds ({elapsed:.2f} s)"
        )
    elif reason == "max_time":
        relation = "≤" if worst is not None and worst <= policy.precision else ">"
        message = (
            f"time budget {policy.max_time_s:.2f} s reached after {rounds} rounds; {ci} "
            f"{relation} {target}"
        )
    else:
        message = f"round cap {policy.max_rounds} reached; {ci} vs {target}"
    return StopRecord(reason, message, policy.precision, worst, elapsed)
