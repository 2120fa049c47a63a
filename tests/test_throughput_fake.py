"""Batch search and throughput curve through the fake device: probes counted, choices checked."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from infertime import stats
from infertime.devices import fake
from infertime.devices.fake import FakeDevice
from infertime.engine.batch_search import (
    ProbeOutcome,
    SearchLimits,
    find_max_fit,
    in_process_prober,
)
from infertime.engine.curve import geometric_grid, midpoint
from infertime.engine.throughput import run_throughput
from infertime.errors import ConfigError, OutOfMemoryError, command_line
from infertime.policies import MeasureConfig, StopPolicy, ThroughputPolicy
from infertime.records import Diagnostic
from infertime.throughput.checks import check_throughput
from infertime.throughput.result import ThroughputResult
from result_parts import fake_settings

CFG = MeasureConfig(stop=StopPolicy(precision=0.01, max_time_s=2.0))


def saturating(b: int) -> float:
    """Throughput rises with batch and saturates (device time per call = overhead + work)."""
    return 200e-6 + b * 10e-6


def findings(run: Any, policy: ThroughputPolicy) -> dict[str, Diagnostic]:
    """The checks of a result made from an engine run, by code."""
    result = ThroughputResult(
        settings=fake_settings(batch_size=None),
        environment={},
        policy=policy,
        search=run.search,
        points=run.points,
        peak_batch=run.peak_batch,
        knee_batch=run.knee_batch,
        budget=None,
        timer_overhead_s=0.0,
    )
    return {d.code: d for d in check_throughput(result)}


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 100, 1000, 6143, 8191])
def test_max_fit_is_exact_within_the_probe_bound(limit: int) -> None:
    dev = FakeDevice(fake.by_batch(saturating), oom_above_batch=limit)
    result = find_max_fit(in_process_prober(dev.make_call, dev), SearchLimits(), dev)
    assert result.max_fit == limit and result.stopped_by == "oom"
    # k + 2 doubling probes, k bisection probes (k = floor(log2 limit)), one sustained run.
    k = int(math.log2(limit))
    assert len(result.probes) <= 2 * k + 3
    last = result.probes[-1]
    assert last.batch == limit and last.fit and last.phase == "confirm" and last.calls == 3
    assert all(p.calls == 1 for p in result.probes[:-1])


def test_search_frees_memory_after_every_probe() -> None:
    dev = FakeDevice(oom_above_batch=100)
    result = find_max_fit(in_process_prober(dev.make_call, dev), SearchLimits(), dev)
    assert dev.released >= len(result.probes)


def test_max_batch_caps_the_search() -> None:
    dev = FakeDevice(oom_above_batch=10_000)
    result = find_max_fit(in_process_prober(dev.make_call, dev), SearchLimits(max_batch=300), dev)
    assert result.max_fit == 300 and result.stopped_by == "max_batch"


def test_batch_1_out_of_memory_is_a_clear_error() -> None:
    dev = FakeDevice(oom_above_batch=0)
    with pytest.raises(OutOfMemoryError, match="batch 1 does not fit"):
        find_max_fit(in_process_prober(dev.make_call, dev), SearchLimits(), dev)


def test_failed_confirmation_steps_down_until_a_sustained_run_holds() -> None:
    def prober(batch: int, calls: int, phase: str) -> ProbeOutcome:
        # Short probes fit up to 1000; a sustained run only holds up to 900 (fragmentation).
        fit = batch <= (900 if phase == "confirm" else 1000)
        return ProbeOutcome(batch, fit, phase, calls, 0.01, 1e-3, None, None)

    result = find_max_fit(prober, SearchLimits(), FakeDevice())
    assert result.max_fit <= 900
    assert result.max_fit >= 850  # 5 % steps, not a restart
    assert [p.phase for p in result.probes].count("confirm") >= 2


def test_memory_fraction_limits_the_gpu_search() -> None:
    dev = FakeDevice(memory_per_item_bytes=1 << 20, base_memory_bytes=0, total_memory_bytes=1 << 30)
    policy = ThroughputPolicy(memory_fraction=0.5)
    run = run_throughput(dev.make_call, dev, CFG, policy)
    assert run.search.max_fit == 512
    assert dev._memory_fraction is None  # the limit is lifted afterwards


def test_cpu_search_stops_at_the_memory_estimate() -> None:
    dev = FakeDevice(
        fake.by_batch(lambda b: 1e-4 + 1e-7 * b),
        oom_signal=False,
        memory_per_item_bytes=1 << 20,
        base_memory_bytes=0,
        total_memory_bytes=10_000 << 20,
    )
    limits = SearchLimits(oom_signal=False, memory_fraction=0.5)
    result = find_max_fit(in_process_prober(dev.make_call, dev), limits, dev)
    assert result.stopped_by == "memory_estimate"
    assert 4000 <= result.max_fit <= 5000  # 50 % of 10,000 MiB at 1 MiB per item
    assert max(p.peak_reserved_bytes or 0 for p in result.probes) <= 5000 << 20


def test_cpu_search_stops_on_time_per_call() -> None:
    dev = FakeDevice(fake.by_batch(lambda b: 0.01 * b), oom_signal=False)
    limits = SearchLimits(oom_signal=False, max_call_s=1.0)
    result = find_max_fit(in_process_prober(dev.make_call, dev), limits, dev)
    assert result.stopped_by == "time" and result.max_fit == 64  # 2 x 64 x 10 ms > 1 s


def peak_then_fall(b: int) -> float:
    """Throughput peaks at batch 1500 then falls: the largest batch is not the fastest."""
    rate = 10_000 * min(1.0, b / 1500) * (1.0 if b <= 1500 else (1500 / b) ** 0.3)
    return b / rate + 20e-6


def test_curve_finds_a_peak_below_max_fit() -> None:
    dev = FakeDevice(fake.by_batch(peak_then_fall), oom_above_batch=6143)
    run = run_throughput(dev.make_call, dev, CFG, ThroughputPolicy())
    assert set(geometric_grid(6143)) <= {p.batch for p in run.points}
    best_rate = max(b / peak_then_fall(b) for b in range(1, 6144))  # the dense truth
    peak = next(p for p in run.points if p.batch == run.peak_batch)
    assert peak.items_per_s >= 0.99 * best_rate
    assert len(run.points) <= len(geometric_grid(6143)) + 8 + 3  # peak and knee refinement
    assert run.peak_batch < run.search.max_fit
    assert run.knee_batch <= run.peak_batch


def test_plateau_ties_go_to_the_smaller_batch() -> None:
    dev = FakeDevice(fake.by_batch(lambda b: b * 1e-4 + 1e-6), oom_above_batch=4096)
    run = run_throughput(dev.make_call, dev, CFG, ThroughputPolicy())
    # Throughput is flat (~10,000/s) above small batches: the peak is the smallest tied batch.
    assert run.peak_batch <= 64


def test_dip_in_the_middle_does_not_fool_the_peak() -> None:
    def dip(b: int) -> float:
        slow = 1.5 if b == 256 else 1.0
        return slow * (b / (10_000 * min(1.0, b / 512))) + 10e-6

    dev = FakeDevice(fake.by_batch(dip), oom_above_batch=2048)
    run = run_throughput(dev.make_call, dev, CFG, ThroughputPolicy())
    assert run.peak_batch >= 512
    assert next(p for p in run.points if p.batch == 256).items_per_s < 8000


def test_noisy_throughput_still_finds_the_plateau() -> None:
    base = fake.by_batch(lambda b: 100e-6 + b * 20e-6)
    dev = FakeDevice(fake.noisy(base, cv=0.03, seed=11), oom_above_batch=4096)
    run = run_throughput(dev.make_call, dev, CFG, ThroughputPolicy())
    peak = next(p for p in run.points if p.batch == run.peak_batch)
    assert peak.items_per_s >= 0.97 * (4096 / (100e-6 + 4096 * 20e-6))
    # A CI needs enough samples to rule out serial correlation; most points get one.
    ok = [p for p in run.points if p.ok]
    assert sum(p.items_per_s_ci is not None for p in ok) >= 0.75 * len(ok)


def test_knee_is_the_smallest_batch_within_the_fraction() -> None:
    dev = FakeDevice(fake.by_batch(saturating), oom_above_batch=1024)
    run = run_throughput(dev.make_call, dev, CFG, ThroughputPolicy(knee_fraction=0.9))
    peak = next(p for p in run.points if p.batch == run.peak_batch)
    knee = next(p for p in run.points if p.batch == run.knee_batch)
    assert knee.items_per_s >= 0.9 * peak.items_per_s
    assert all(
        p.items_per_s < 0.9 * peak.items_per_s for p in run.points if p.ok and p.batch < knee.batch
    )
    # 90 % of the peak (batch 1024: 98,080/s) first holds at batch 151; refinement gets close
    assert 151 <= run.knee_batch <= 160


def test_latency_budget_picks_the_best_batch_that_meets_it() -> None:
    dev = FakeDevice(fake.by_batch(saturating), oom_above_batch=1024)
    policy = ThroughputPolicy(latency_budget_s=2e-3, budget_stat="p99")
    run = run_throughput(dev.make_call, dev, CFG, policy)
    b = run.budget
    assert b is not None and b.batch is not None and b.confidence == 0.95 and b.samples == 662
    assert b.value_s is not None and b.value_s <= 2e-3
    # saturating(b) <= 2 ms up to batch 180; refinement between 128 and 256 lands close below it
    assert 128 <= b.batch <= 180


def test_latency_budget_walks_down_past_batches_with_slow_tails() -> None:
    """From batch 64 on every 20th call is 3x slower: their medians fit 2 ms, their p99s do
    not. The walk goes past all of them to the best smaller batch, whose tail is smooth."""

    def cost(i: int, b: int) -> fake.CallCost:
        slow = 3.0 if b >= 64 and i % 20 == 0 else 1.0
        return fake.CallCost(50e-6, saturating(b) * slow)

    dev = FakeDevice(cost, oom_above_batch=1024)
    run = run_throughput(dev.make_call, dev, CFG, ThroughputPolicy(latency_budget_s=2e-3))
    b = run.budget
    assert b is not None and b.batch is not None and b.batch < 64, b and b.message
    assert b.value_s is not None and b.value_s <= 2e-3 and b.confidence == 0.95
    assert len(b.checked) > 3 and all(c >= 64 for c in b.checked[:-1])


def test_p99_is_bounded_only_from_enough_samples() -> None:
    from infertime.engine.budget import p99_bound

    rng = random.Random(0)
    xs = [1e-3 * rng.lognormvariate(0, 0.1) for _ in range(662)]
    assert p99_bound(tuple(xs[:298]))[0] is None  # even the largest is not a 95 % bound
    bound = p99_bound(tuple(xs))[0]  # an order statistic above the point estimate
    assert bound is not None and bound in xs
    assert bound >= stats.quantile(sorted(xs), 0.99)


def test_latency_budget_too_tight_says_so() -> None:
    dev = FakeDevice(fake.by_batch(saturating), oom_above_batch=64)
    run = run_throughput(dev.make_call, dev, CFG, ThroughputPolicy(latency_budget_s=1e-4))
    assert run.budget is not None and run.budget.batch is None
    assert "no batch meets the budget" in run.budget.message


def test_oom_during_the_curve_is_recorded_and_survived() -> None:
    dev = FakeDevice(fake.by_batch(saturating), oom_above_batch=1000)
    original = dev.make_call

    def flaky(batch: int):  # type: ignore[no-untyped-def]
        if batch == 512 and dev.calls_by_batch.get(1000):  # after the search, 512 fails once
            dev.oom_above_batch = 1000
            raise fake.FakeOutOfMemory("fragmented")
        return original(batch)

    run = run_throughput(flaky, dev, CFG, ThroughputPolicy())
    statuses = {p.batch: p.status for p in run.points}
    assert statuses[512] == "oom" and statuses[1000] == "ok"


def test_policy_validation_names_the_keyword_or_the_flag() -> None:
    with pytest.raises(ConfigError, match=r"^memory_fraction must"):
        ThroughputPolicy(memory_fraction=1.5)
    with pytest.raises(ConfigError, match=r"^budget_stat must"):
        ThroughputPolicy(budget_stat="p50")
    with pytest.raises(ConfigError, match=r"^knee_fraction must"):
        ThroughputPolicy(knee_fraction=1.2)
    with pytest.raises(ConfigError, match=r"^max_batch must"):
        ThroughputPolicy(max_batch=0)
    with command_line():  # the same checks, as the command line reports them
        with pytest.raises(ConfigError, match=r"^--memory-fraction must"):
            ThroughputPolicy(memory_fraction=1.5)
        with pytest.raises(ConfigError, match=r"^--knee must"):
            ThroughputPolicy(knee_fraction=1.2)


def test_grid_and_midpoints() -> None:
    assert geometric_grid(6143) == [2**k for k in range(13)] + [6143]
    assert geometric_grid(1) == [1]
    assert midpoint(1024, 2048) == 1448
    assert midpoint(4, 5) is None
    assert midpoint(2, 4) == 3


@pytest.mark.parametrize("isolate", [False, True])
def test_max_fit_that_fails_in_this_process_is_reported_with_the_likely_cause(
    isolate: bool,
) -> None:
    # Fresh processes (the prober) fit up to 1000; this process, holding more, only up to 900.
    fresh = FakeDevice(fake.by_batch(saturating), oom_above_batch=1000)
    here = FakeDevice(fake.by_batch(saturating), oom_above_batch=900)
    run = run_throughput(
        here.make_call, here, CFG, ThroughputPolicy(), in_process_prober(fresh.make_call, fresh)
    )
    found = findings(run, ThroughputPolicy(isolate=isolate))
    assert found["points_out_of_memory"].data["batches"] == [1000]
    assert ("fresh processes" in (found["points_out_of_memory"].advice or "")) == isolate


def test_a_point_far_below_both_neighbours_is_measured_again() -> None:
    calls_at_4 = {"n": 0}

    def cost(i: int, b: int) -> fake.CallCost:
        if b == 4:  # the first visit to batch 4 is disturbed, the second is not
            calls_at_4["n"] += 1
            slow = 20.0 if calls_at_4["n"] < 40 else 1.0
            return fake.CallCost(50e-6, saturating(b) * slow)
        return fake.CallCost(50e-6, saturating(b))

    dev = FakeDevice(cost, oom_above_batch=64)
    run = run_throughput(dev.make_call, dev, CFG, ThroughputPolicy())
    four = next(p for p in run.points if p.batch == 4)
    assert four.ok and four.items_per_s > 0.9 * 4 / saturating(4)


def test_a_point_that_stays_far_below_its_neighbours_is_left_out() -> None:
    def cost(i: int, b: int) -> fake.CallCost:
        return fake.CallCost(50e-6, saturating(b) * (20.0 if b == 4 else 1.0))

    dev = FakeDevice(cost, oom_above_batch=64)
    run = run_throughput(dev.make_call, dev, CFG, ThroughputPolicy(knee_fraction=0.05))
    four = next(p for p in run.points if p.batch == 4)
    assert four.status == "dip" and not four.ok and four.measured
    assert run.knee_batch != 4 and run.peak_batch != 4
    found = findings(run, ThroughputPolicy())
    assert found["curve_dip"].data["batches"] == [4]
