"""Comparisons: interleaving engine on the FakeDevice, ratio CIs, verdicts, the gate,
configuration parsing, offline comparison of saved results, result files and exports."""

from __future__ import annotations

import gc
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

import infertime
from infertime.comparison.configs import config_of, parse_config
from infertime.comparison.files import compare_files
from infertime.comparison.ratios import (
    gate_fails,
    independent_ratio,
    interleaved_half_width,
    paired_ratio,
    process_ratio,
    verdict_text,
)
from infertime.comparison.result import Arm, Ballast, CompareAnalysis, CompareResult
from infertime.devices import fake
from infertime.devices.fake import CallCost, CostModel, FakeDevice
from infertime.engine.interleave import build_order, interleave, per_round, round_order
from infertime.errors import ConfigError, OutOfMemoryError, ResultFileError
from infertime.policies import ComparePolicy, TimingPolicy, WarmupPolicy
from infertime.reporting.export import export_text
from infertime.sections import LaunchAnalysis
from infertime.workload.spec import WorkloadSpec

GOLDEN = Path(__file__).parent / "golden"
WARM = WarmupPolicy(min_time_s=0.05, max_time_s=1.0)


def two_arms(factor: float, host: CostModel | None = None) -> FakeDevice:
    """Batch 1 is configuration A, batch 2 is B, `factor` times A's cost."""

    def cost(i: int, b: int) -> CallCost:
        f = factor if b == 2 else 1.0
        return CallCost(20e-6 * f, 2e-3 * f)

    return FakeDevice(host if host is not None else cost, event_cost_s=1e-6, sync_cost_s=5e-6)


def run_pair(dev: FakeDevice, **policy: object) -> tuple[float, tuple[float, float] | None, object]:
    run = interleave(
        [dev.make_call(1), dev.make_call(2)],
        dev,
        ComparePolicy(**policy),  # type: ignore[arg-type]
        WARM,
        TimingPolicy(),
        interleaved_half_width,
    )
    r = paired_ratio(per_round(run.samples[0]), per_round(run.samples[1]))
    return r.value, r.ci, run


def test_rounds_are_a_permutation_then_its_reverse() -> None:
    import random

    rng = random.Random(3)
    for arms in (2, 3, 5):
        order = round_order(arms, rng)
        first, second = order[:arms], order[arms:]
        assert sorted(first) == list(range(arms)) and second == tuple(reversed(first))


def test_interleaving_finds_a_known_ratio_and_groups_samples_by_round() -> None:
    dev = two_arms(1.05, fake.noisy(two_arms(1.05).cost, 0.03, 2))
    value, ci, run = run_pair(dev)
    assert ci is not None and ci[0] <= 1.05 <= ci[1]
    assert value == pytest.approx(1.05, rel=0.005)
    assert run.stop.reason == "precision"  # type: ignore[attr-defined]
    rounds = len(run.orders)  # type: ignore[attr-defined]
    assert rounds >= ComparePolicy().min_rounds
    for arm, start in zip(run.samples, run.starts, strict=True):  # type: ignore[attr-defined]
        assert len(arm) == rounds
        assert all(len(g) == 2 * start.samples_per_slot for g in arm)  # two slots a round
    # Every slot begins with one untimed call (the switch from another configuration).
    pairs = zip(run.samples, run.starts, strict=True)  # type: ignore[attr-defined]
    timed = sum(len(g) * s.calls_per_sample for arm, s in pairs for g in arm)
    assert dev.calls > timed


def test_a_host_slowing_everything_down_leaves_the_ratio_alone() -> None:
    # Host 1.5x slower in spells of ~300 calls, shared by whatever runs: the absolute figures
    # move, an A/A ratio stays at 1.
    base = two_arms(1.0).cost
    host = fake.two_state(base, 1.5, 1 / 700, 1 / 300, 0.03, seed=4)
    value, ci, _ = run_pair(two_arms(1.0, host))
    assert ci is not None and ci[0] <= 1.0 <= ci[1]
    assert abs(value - 1) < 0.01


def test_aa_false_alarms_are_rare_under_drift() -> None:
    alarms = 0
    for seed in range(30):
        base = two_arms(1.0).cost
        host = fake.autocorrelated(base, 0.99, 0.10, seed)
        _, ci, _ = run_pair(two_arms(1.0, host), seed=seed, max_time_s=5.0)
        alarms += ci is None or not ci[0] <= 1.0 <= ci[1]
    assert alarms <= 3  # nominal 5 %; the simulation benchmark runs 200 per host


def test_the_budget_ends_an_imprecise_comparison() -> None:
    base = two_arms(1.0).cost
    *_, run = run_pair(two_arms(1.0, fake.noisy(base, 0.5, 1)), precision=0.001, max_time_s=1.0)
    assert run.stop.reason == "max_time" and "time budget" in run.stop.message  # type: ignore[attr-defined]


# -- ratios ----------------------------------------------------------------------------------


def test_paired_ratio_is_the_median_of_round_ratios() -> None:
    base = [1.0, 2.0, 1.5, 1.2] * 8
    other = [1.1 * b for b in base]
    r = paired_ratio(base, other)
    assert r.value == pytest.approx(1.1) and r.ci == pytest.approx((1.1, 1.1))
    assert r.n == 32 and "paired rounds" in r.method


def test_process_ratio_paired_and_welch() -> None:
    base = [1.0, 1.2, 0.9, 1.1, 1.0]
    other = [1.05 * x for x in base]
    paired = process_ratio(base, other, paired=True)
    assert paired.value == pytest.approx(1.05) and paired.ci == pytest.approx((1.05, 1.05))
    welch = process_ratio(base, other, paired=False)
    assert welch.value == pytest.approx(1.05)
    assert welch.ci is not None and welch.ci[0] < 1.0 < welch.ci[1]  # between-process spread


def test_independent_ratio_combines_the_two_medians_cis() -> None:
    import random

    rng = random.Random(1)
    a = [1.0 + 0.01 * rng.gauss(0, 1) for _ in range(200)]
    b = [1.2 + 0.012 * rng.gauss(0, 1) for _ in range(200)]
    r = independent_ratio(a, b)
    assert r.value == pytest.approx(1.2, rel=0.01)
    assert r.ci is not None and r.ci[0] < r.value < r.ci[1]
    assert independent_ratio(a[:3], b[:3]).ci is None


def test_verdicts_in_words() -> None:
    from infertime.comparison.ratios import Ratio, decide

    faster = Ratio(0.94, (0.92, 0.96), 0.95, "m", 20)
    assert verdict_text(faster, "B", "A", precision=0.05) == (
        "B is faster than A: 6.0 % less time (95 % CI 4.0–8.0 % less)"
    )
    slower = Ratio(1.50, (1.45, 1.56), 0.95, "m", 20)
    assert verdict_text(slower, "B", "A", precision=0.05) == (
        "B is slower than A: 1.500× its time (95 % CI 1.450–1.560)"
    )
    same = Ratio(1.0, (0.979, 1.015), 0.95, "m", 20)
    assert "no difference beyond ±2.1 %" in verdict_text(same, "B", "A", precision=0.05)
    # A clear effect is called when its CI is within half the effect, even past the target.
    assert decide(faster, "B", "A", 0.01).kind == "faster"
    # Wider than the precision target: no claim either way, and what would decide it.
    for r in (Ratio(0.94, (0.88, 1.01), 0.95, "m", 20), same):
        d = decide(r, "B", "A", 0.01, what_would_decide="about --max-time 90")
        assert d.kind == "undecided" and "undecided after 20 rounds" in d.text
        assert "wider than the ±1.0 % target" in d.text and "--max-time 90" in d.text
    none = decide(Ratio(1.1, None, 0.95, "m", 3), "B", "A", 0.01)
    assert none.kind == "undecided" and "no CI (too few" in none.text


def test_ratios_show_the_digits_their_ci_needs() -> None:
    from infertime.comparison.ratios import ci_text, ratio_text

    assert ratio_text(0.656, (0.638, 0.673)) == "0.656"
    assert ratio_text(1.0012, (1.0008, 1.0016)) == "1.0012"
    assert ci_text((1.0008, 1.0016), 1.0012) == "1.0008–1.0016"


def test_gate_fails_only_beyond_the_threshold_with_confidence() -> None:
    from infertime.comparison.ratios import Ratio, gate_state

    assert gate_fails(Ratio(1.08, (1.06, 1.10), 0.95, "m", 30), 0.05)
    assert not gate_fails(Ratio(1.08, (1.04, 1.12), 0.95, "m", 30), 0.05)  # may be within 5 %
    assert not gate_fails(Ratio(1.5, None, 0.95, "m", 3), 0.05)  # a point estimate never fails
    # Three outcomes: a CI across the threshold (or none) can neither pass nor fail.
    assert gate_state(Ratio(1.08, (1.06, 1.10), 0.95, "m", 30), 0.05) == "regression"
    assert gate_state(Ratio(1.01, (0.99, 1.03), 0.95, "m", 30), 0.05) == "passed"
    assert gate_state(Ratio(1.08, (1.04, 1.12), 0.95, "m", 30), 0.05) == "inconclusive"
    assert gate_state(Ratio(3.6, (0.15, 88.0), 0.95, "m", 30), 0.05) == "inconclusive"
    assert gate_state(Ratio(1.5, None, 0.95, "m", 3), 0.05) == "inconclusive"


def test_copies_are_a_random_effect_in_the_ratio() -> None:
    from infertime.comparison.ratios import CopySpread, Ratio, copy_spread, with_copies

    # Two configurations, two copies each: copies 0.4 % apart within each.
    spread = copy_spread([[0.0, math.log(1.004)], [0.0, math.log(0.996)]])
    assert spread is not None and spread.df == 2
    rounds = Ratio(1.002, (1.001, 1.003), 0.95, "paired", 40)  # rounds alone exclude 1
    widened = with_copies(rounds, spread, 2, 2)
    assert widened.ci is not None and widened.ci[0] < 1 < widened.ci[1]
    assert "random effect" in widened.method and widened.value == rounds.value
    assert with_copies(rounds, None, 1, 1) == rounds  # one copy each: nothing to add
    assert copy_spread([[0.0], [0.0]]) is None
    assert with_copies(rounds, CopySpread(0.0, 6), 4, 4).ci == pytest.approx(rounds.ci)


# -- configurations --------------------------------------------------------------------------


def test_configurations_parse_like_run_flags() -> None:
    c = parse_config("timm:resnet50 --dtype bf16 --channels-last -b 8 --input-shape 3,64,64")
    assert c.spec == WorkloadSpec(
        model="timm:resnet50",
        dtype="bf16",
        channels_last=True,
        batch_size=8,
        input_shape=(3, 64, 64),
    )
    assert parse_config("m:f --backend cuda-graph --batch-size=4").cuda_graph
    assert config_of({"model": "m:f", "dtype": "fp16"}, {}).spec.dtype == "fp16"
    assert config_of(WorkloadSpec(model="m:f"), {"threads": 2}).spec.threads == 2


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("timm:resnet50 --frobnicate", "unknown option '--frobnicate'"),
        ("timm:resnet50 --device cuda", "applies to every configuration"),
        ("timm:resnet50 --dtype", "needs a value"),
        ("timm:resnet50 -b many", "bad value 'many'"),
        ("--dtype bf16", "starts with a model reference"),
        ("timm:resnet50 --dtype fp8", "fp32, fp16, bf16"),
        ("timm:resnet50 'unclosed", "cannot read"),
    ],
)
def test_bad_configurations_get_one_clear_error(text: str, words: str) -> None:
    with pytest.raises(ConfigError, match=None) as info:
        parse_config(text)
    assert words in info.value.one_line()


# -- results: offline, files, exports ----------------------------------------------------------


def scaled(result: infertime.LatencyResult, factor: float) -> infertime.LatencyResult:
    figures = {
        k: replace(s, samples_s=tuple(x * factor for x in s.samples_s))
        for k, s in result.figures.items()
    }
    return replace(result, figures=figures)


def test_offline_comparison_of_two_results() -> None:
    a = infertime.load_result(GOLDEN / "v3_latency_cpu.json")
    b = scaled(a, 1.2)
    r = compare_files([a, b], ComparePolicy(precision=0.05))
    assert r.mode == "files" and r.ratio(1).value == pytest.approx(1.2)
    assert r.ratio(1).ci is not None and r.ratio(1).ci[0] > 1.1
    assert "slower" in r.verdict(1)
    # A clear effect is called at the default ±1 % target too (its CI is within half of it);
    # a 1 % one with this CI is not: undecided, with a way out.
    assert compare_files([a, b], ComparePolicy()).decision(1).kind == "slower"
    strict = compare_files([a, scaled(a, 1.01)], ComparePolicy())
    assert strict.decision(1).kind == "undecided" and "--processes" in strict.verdict(1)
    # Single processes on a CPU: the verdict cannot tell the host from a change.
    assert "single_process_pair" in {d.code for d in r.diagnostics}


def test_offline_comparison_refuses_what_is_not_comparable(tmp_path: Path) -> None:
    a = infertime.load_result(GOLDEN / "v3_latency_cpu.json")
    t = infertime.load_result(GOLDEN / "v3_throughput_cpu.json")
    with pytest.raises(ConfigError, match="different kinds"):
        compare_files([a, t], ComparePolicy())
    other_batch = replace(
        a, settings=replace(a.settings, workload=replace(a.settings.workload, batch_size=64))
    )
    with pytest.raises(ConfigError, match="batch size"):
        compare_files([a, other_batch], ComparePolicy())
    allowed = compare_files([a, other_batch], ComparePolicy(), allow_different=True)
    per_item = a.settings.batch_size / 64
    assert allowed.per_item and allowed.ratio(1).value == pytest.approx(per_item)
    not_result = tmp_path / "x.json"
    not_result.write_text("{}")
    with pytest.raises(ResultFileError):
        compare_files([a, not_result], ComparePolicy())
    with pytest.raises(ConfigError, match="at least two"):
        compare_files([a], ComparePolicy())


def test_offline_throughput_and_pitfalls_and_environment_differences() -> None:
    t = infertime.load_result(GOLDEN / "v3_throughput_cpu.json")
    r = compare_files([t, t], ComparePolicy())
    assert r.figure == "time_per_item_at_peak" and r.ratio(1).value == pytest.approx(1.0)
    p = infertime.load_result(GOLDEN / "v3_pitfalls_cpu.json")
    env = {**p.environment, "python": "3.99"}
    q = replace(p, environment=env)
    r = compare_files([p, q], ComparePolicy())
    assert r.analysis.environment_differences["python"][1] == "3.99"


def test_a_comparison_file_round_trips_and_exports(tmp_path: Path) -> None:
    a = infertime.load_result(GOLDEN / "v3_latency_cpu.json")
    r = compare_files([a, scaled(a, 0.9)], ComparePolicy(fail_if_slower=0.05))
    path = infertime.save_json(r, tmp_path / "c.json")
    back = infertime.load_result(path)
    assert isinstance(back, CompareResult) and back.ratio(1).value == pytest.approx(0.9)
    assert not back.gate_failed  # faster does not fail the gate
    doc = json.loads(path.read_text())
    assert doc["kind"] == "compare" and doc["ratios"][0]["time_ratio"] == pytest.approx(0.9)
    csv_text = export_text(back, "csv")
    assert csv_text.splitlines()[0].startswith("figure,mode,device")
    assert "| configuration |" in export_text(back, "markdown")
    with pytest.raises(ConfigError, match="cannot be compared again"):
        compare_files([back, back], ComparePolicy())


def test_compare_result_refuses_damaged_arms() -> None:
    a = infertime.load_result(GOLDEN / "v3_latency_cpu.json")
    with pytest.raises(ValueError, match="empty group"):
        Arm("x", a.settings, ((),), 1)
    arm = Arm("x", a.settings, ((1.0,),), 1)
    with pytest.raises(ValueError, match="at least two"):
        CompareResult(
            settings=a.settings, environment={}, mode="files", figure="latency", arms=(arm,),
            policy=ComparePolicy(),
        )  # fmt: skip


def test_api_refuses_mixed_and_single_items() -> None:
    with pytest.raises(ConfigError, match="not both"):
        infertime.compare("timm:resnet18", str(GOLDEN / "v3_latency_cpu.json"))
    with pytest.raises(ConfigError, match="at least two"):
        infertime.compare("timm:resnet18")
    with pytest.raises(ConfigError, match="figure"):
        infertime.compare("a:b", "c:d", figure="p99")
    assert math.isfinite(1.0)


def test_configurations_that_do_not_fit_together_run_in_fresh_processes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from infertime.comparison import measure
    from infertime.comparison.configs import Config
    from infertime.devices import CpuDevice
    from infertime.policies import MeasureConfig

    asked: dict[str, object] = {}

    def in_processes(*args: object) -> str:
        asked["processes"], asked["why"] = args[4], args[6]
        return "ran in processes"

    tried: list[int] = []

    def does_not_fit(*args: object, **kwargs: object) -> object:
        tried.append(args[3].copies)  # type: ignore[attr-defined]
        raise measure.DoesNotFit("B did not fit next to the others")

    monkeypatch.setattr(measure, "interleaved", does_not_fit)
    monkeypatch.setattr(measure, "compare_in_processes", in_processes)
    configs = [Config("A", WorkloadSpec(model="a:b")), Config("B", WorkloadSpec(model="c:d"))]
    gpu = FakeDevice(kind="cuda")
    got = measure.compare_live(configs, gpu, MeasureConfig(), ComparePolicy())
    assert got == "ran in processes" and tried == [2, 2, 1, 1]  # with and without a ballast
    assert asked == {"processes": 5, "why": "B did not fit next to the others"}
    # Host memory is the same in a fresh process: on a CPU the comparison stops instead.
    tried.clear()
    with pytest.raises(OutOfMemoryError, match="B did not fit"):
        measure.compare_live(configs, CpuDevice(), MeasureConfig(), ComparePolicy())
    assert tried == [2, 2, 1, 1]


def test_copies_are_built_in_balanced_order_and_later_ones_may_be_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from infertime.comparison import measure
    from infertime.comparison.configs import Config
    from infertime.devices import CpuDevice
    from infertime.errors import OutOfMemoryError

    assert build_order(2, 2) == [0, 1, 1, 0] and build_order(3, 1) == [0, 1, 2]
    with pytest.raises(ConfigError, match="1 to 4"):
        ComparePolicy(copies=5)
    assert build_order(3, 3) == [0, 1, 2, 2, 1, 0, 0, 1, 2]
    built: list[str] = []

    def prepare(spec: WorkloadSpec, device: object) -> str:
        if len(built) == 3:
            raise OutOfMemoryError("out of memory")
        built.append(spec.model)
        return spec.model

    monkeypatch.setattr(measure, "prepare", prepare)
    configs = [Config("A", WorkloadSpec(model="a:b")), Config("B", WorkloadSpec(model="c:d"))]
    prepared, owners, why = measure.prepare_copies(configs, CpuDevice(), 2)
    assert prepared == ["a:b", "c:d"] and owners == [0, 1] and why and "did not fit" in why
    built.clear()
    monkeypatch.setattr(measure, "prepare", lambda spec, device: spec.model)
    prepared, owners, why = measure.prepare_copies(configs, CpuDevice(), 2)
    assert prepared == ["a:b", "c:d", "c:d", "a:b"] and owners == [0, 1, 1, 0] and why is None


def test_a_ballast_copy_is_built_first_and_gives_way_when_memory_is_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from infertime.comparison import measure
    from infertime.comparison.configs import Config
    from infertime.devices import CpuDevice
    from infertime.errors import OutOfMemoryError

    live: list[str] = []  # what is in memory: a model that is built and not yet dropped

    class Model(str):
        def __del__(self) -> None:
            live.remove(str(self))

    def prepare_fitting(room: int) -> object:
        def prepare(spec: WorkloadSpec, device: object) -> Model:
            if len(live) == room:
                raise OutOfMemoryError("out of memory")
            live.append(spec.model)
            return Model(spec.model)

        return prepare

    configs = [Config("A", WorkloadSpec(model="a:b")), Config("B", WorkloadSpec(model="c:d"))]
    cpu = CpuDevice()
    monkeypatch.setattr(measure, "prepare", prepare_fitting(5))
    kept, prepared, owners, why = measure.prepare_with_ballast(configs, cpu, 2, True, False)
    assert kept == "a:b" and prepared == ["a:b", "c:d", "c:d", "a:b"] and why is None
    assert len(live) == 5
    del kept, prepared
    # Room for four: with the ballast a second copy of A is missing. That is not hopeless (the
    # next attempt drops the ballast), and the models built are freed.
    monkeypatch.setattr(measure, "prepare", prepare_fitting(4))
    with pytest.raises(measure.DoesNotFit, match="second copy of A") as raised:
        measure.prepare_with_ballast(configs, cpu, 2, True, False)
    assert not raised.value.even_one_each
    del raised
    gc.collect()
    assert live == []
    kept, _kept, owners, why = measure.prepare_with_ballast(configs, cpu, 2, False, False)
    assert kept is None and owners == [0, 1, 1, 0] and why is None and len(live) == 4
    del _kept
    # Room for two: even one of each next to a ballast fails, but without it they fit.
    monkeypatch.setattr(measure, "prepare", prepare_fitting(2))
    with pytest.raises(measure.DoesNotFit) as raised:
        measure.prepare_with_ballast(configs, cpu, 1, True, False)
    assert not raised.value.even_one_each
    del raised
    gc.collect()
    kept, _kept, owners, why = measure.prepare_with_ballast(configs, cpu, 2, False, True)
    assert owners == [0, 1] and why and "did not fit" in why  # the last attempt takes fewer


def test_copies_are_pooled_and_their_disagreement_is_reported() -> None:
    from infertime.comparison.checks import check_copies
    from infertime.comparison.configs import Config
    from infertime.comparison.measure import copy_agreement

    # Calls (batch = call): A's first copy 3 % slower than its second; B's copies alike.
    factor = {1: 1.03, 2: 1.0, 3: 1.0, 4: 1.0}

    def cost(i: int, b: int) -> CallCost:
        return CallCost(20e-6 * factor[b], 2e-3 * factor[b])

    dev = FakeDevice(fake.noisy(cost, 0.01, 5), event_cost_s=1e-6, sync_cost_s=5e-6)
    owners = build_order(2, 2)
    run = interleave(
        [dev.make_call(b) for b in (1, 2, 3, 4)],
        dev,
        ComparePolicy(),
        WARM,
        TimingPolicy(),
        interleaved_half_width,
        owners=owners,
    )
    assert len(run.samples) == 2 and run.owners == (0, 1, 1, 0) and len(run.copy_samples) == 4
    # A round is A1 B1 B2 A2 or B1 A1 A2 B2 (or with the copies swapped, every other round):
    # each copy once, no longer than with one copy. Copies take samples of one size.
    assert set(run.orders[0::2]) <= {(0, 1, 2, 3), (1, 0, 3, 2)}
    assert set(run.orders[1::2]) <= {(3, 2, 1, 0), (2, 3, 0, 1)}
    assert len({(s.calls_per_sample, s.samples_per_slot) for s in run.starts}) <= 2
    assert run.starts[0].samples_per_slot == run.starts[3].samples_per_slot
    per_slot = run.starts[0].samples_per_slot
    assert all(len(g) == 2 * per_slot for g in run.samples[0])  # both copies' slots, pooled
    r = paired_ratio(per_round(run.samples[0]), per_round(run.samples[1]))
    assert 1 / 1.03 - 0.005 < r.value < 1.0  # B against A's two copies, one of them slow
    configs = [Config("A", WorkloadSpec(model="a:b")), Config("B", WorkloadSpec(model="c:d"))]
    agreement = copy_agreement(configs, run, 0.95)
    by_name = {c.name: c for c in agreement}
    assert by_name["A"].time_ratio_to_first == pytest.approx(1 / 1.03, rel=0.01)
    ci = by_name["B"].ci
    assert ci is not None and ci[0] <= 1 <= ci[1]
    a = infertime.load_result(GOLDEN / "v3_latency_cpu.json")
    arms = (Arm("A", a.settings, ((1.0,),), 1), Arm("B", a.settings, ((1.0,),), 1))
    result = CompareResult(
        settings=a.settings, environment={}, mode="interleaved", figure="latency", arms=arms,
        policy=ComparePolicy(), analysis=CompareAnalysis(copies=tuple(agreement)),
    )  # fmt: skip
    found = check_copies(result)
    assert [d.code for d in found] == ["copies_differ"] and "two copies of A" in found[0].message
    one = replace(
        result, analysis=CompareAnalysis(one_copy_because="a second copy of B did not fit")
    )
    assert [d.code for d in check_copies(one)] == ["one_copy"]


def test_a_host_paced_live_comparison_says_its_ratio_holds_for_this_host() -> None:
    from infertime.comparison.checks import check_host_paced

    a = infertime.load_result(GOLDEN / "v3_latency_cpu.json")
    arms = (Arm("A", a.settings, ((1.0,),), 1), Arm("B", a.settings, ((1.0,),), 1))

    def launch(verdict: str, busy: float, kernel_s: float = 0.0) -> LaunchAnalysis:
        return LaunchAnalysis(kernel_s, 1.0, 5e-3, busy, verdict, name="A")

    result = CompareResult(
        settings=a.settings, environment={}, mode="interleaved", figure="latency", arms=arms,
        policy=ComparePolicy(),
        analysis=CompareAnalysis(
            launch=(launch("launch-bound", 0.2), launch("GPU-bound", 0.97))
        ),
    )  # fmt: skip
    (found,) = check_host_paced(result)
    assert found.code == "host_paced_ratio" and "A (launch-bound, GPU busy 20% of 5 ms)" in (
        found.message
    )
    assert "compare A with --backend cuda-graph" in found.advice
    # A configuration already replaying CUDA graphs is not told to do so.
    graphs = replace(
        a.settings,
        workload=replace(a.settings.workload, backend="compile", compile_mode="reduce-overhead"),
    )
    replaying = replace(result, arms=(replace(arms[0], settings=graphs), arms[1]))
    (found,) = check_host_paced(replaying)
    assert "cuda-graph" not in found.advice and "replay CUDA graphs already" in found.advice
    # None: CUDA-graph replay
    gpu_bound = CompareAnalysis(launch=(launch("GPU-bound", 0.95), None))
    assert check_host_paced(replace(result, analysis=gpu_bound)) == []
    from infertime.comparison.render import detail_lines

    shown = replace(
        result,
        analysis=CompareAnalysis(
            launch=(launch("launch-bound", 0.2, kernel_s=1e-3), None),
            ballast=Ballast(built=False, why_not="A ran out of memory next to the others"),
        ),
    )
    lines = detail_lines(shown)
    assert any("launch-bound: GPU busy 20% of the latency" in line for line in lines)
    assert "ballast: none (A ran out of memory next to the others)" in lines
    # the CPU: no kernel pass
    assert check_host_paced(replace(result, analysis=CompareAnalysis())) == []


def test_a_retry_with_one_copy_says_why_and_hopeless_cases_skip_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from infertime.comparison import measure
    from infertime.comparison.configs import Config
    from infertime.devices import CpuDevice
    from infertime.policies import MeasureConfig

    asked: list[tuple[int, bool, object]] = []

    def two_do_not_fit(*args: object, **kwargs: object) -> object:
        copies = args[3].copies  # type: ignore[attr-defined]
        asked.append((copies, bool(kwargs["ballast"]), args[5]))
        if copies == 2:
            raise measure.DoesNotFit("B ran out of memory next to the others")
        assert kwargs["accept_fewer"] is False  # a last attempt (one copy, no ballast) remains
        return "one copy each"

    monkeypatch.setattr(measure, "interleaved", two_do_not_fit)
    configs = [Config("A", WorkloadSpec(model="a:b")), Config("B", WorkloadSpec(model="c:d"))]
    got = measure.compare_live(configs, CpuDevice(), MeasureConfig(), ComparePolicy())
    assert got == "one copy each"
    why = "B ran out of memory next to the others"
    # Two copies with a ballast, then without it, then one copy each with a ballast.
    assert asked == [(2, True, None), (2, False, None), (1, True, why)]

    def hopeless(*args: object, **kwargs: object) -> object:
        asked.append((args[3].copies, bool(kwargs["ballast"]), None))  # type: ignore[attr-defined]
        raise measure.DoesNotFit("A alone did not fit", even_one_each=True)

    asked.clear()
    monkeypatch.setattr(measure, "interleaved", hopeless)
    monkeypatch.setattr(measure, "compare_in_processes", lambda *a: a[3].copies)
    gpu = FakeDevice(kind="cuda")  # a CPU stops instead of trying fresh processes
    assert measure.compare_live(configs, gpu, MeasureConfig(), ComparePolicy()) == 1
    assert asked == [(2, True, None)]  # no pointless retry with one copy


def test_names_are_distinct_and_say_what_differs() -> None:
    from infertime.comparison.configs import distinct_names, spec_name

    assert distinct_names(["x", "x", "x #2"]) == ["x", "x #2", "x #2 #2"]
    spec = WorkloadSpec(model="hf:gpt2", seq_len=8, hf_config=["n_layer=1"])  # type: ignore[arg-type]
    assert spec.hf_config == ("n_layer=1",)
    assert spec_name(spec) == "hf:gpt2 --seq-len 8 --hf-config n_layer=1"


def test_version_4_comparisons_load_with_one_copy() -> None:
    old = infertime.load_result(GOLDEN / "v4_compare_cpu.json")
    assert isinstance(old, CompareResult) and old.policy.copies == 1


def test_wide_intervals_over_processes_are_shown_as_a_factor() -> None:
    from infertime.latency.render import across_ci_text

    assert across_ci_text(1.0, (0.9, 1.1)) == "±10.0 %"
    # Two processes 2x apart: t(0.975, 1) = 12.7 makes the log-symmetric CI enormous.
    assert across_ci_text(1.0, (0.01, 100.0)) == "×÷100"
    assert across_ci_text(1.0, None) == "CI n/a"


def noisy(result: infertime.LatencyResult, factor: float, cv: float, seed: int) -> Any:
    """`result` with its samples scaled by `factor` and multiplied by log-normal noise."""
    import random

    rng = random.Random(seed)
    figures = {
        k: replace(s, samples_s=tuple(x * factor * math.exp(rng.gauss(0, cv)) for x in s.samples_s))
        for k, s in result.figures.items()
    }
    return replace(result, figures=figures)


def as_processes(result: infertime.LatencyResult, factor: float, spread: float) -> Any:
    """`result` as if measured in 5 fresh processes whose medians spread by `spread`."""
    from infertime.latency.result import ProcessRun

    runs = []
    for k, f in enumerate((1 - spread, 1 + spread, 1.0, 1 - spread / 2, 1 + spread / 2)):
        scaled_run = noisy(result, factor * f, 0.001, k)
        runs.append(ProcessRun(scaled_run.figures, result.warmup, 1.0))
    return replace(result, processes=tuple(runs))


@pytest.mark.parametrize(
    ("factor", "spread", "trust", "expected"),
    [
        (1.00, 0.002, False, "passed"),  # quiet A/A over processes
        (1.10, 0.002, False, "regression"),  # quiet, 10 % slower
        (1.02, 0.002, False, "passed"),  # quiet, within the 5 % threshold
        (1.00, 0.30, False, "inconclusive"),  # noisy A/A: a CI across 5 %
        (1.50, 0.60, False, "inconclusive"),  # noisy and slower: a CI across 5 %
        (1.00, None, False, "inconclusive"),  # single processes of a CPU (host-bound) figure
        (1.00, None, True, "passed"),  # ... unless trusted
        (1.20, None, True, "regression"),
    ],
)
def test_the_gate_never_decides_on_inconclusive_data(
    factor: float, spread: float | None, trust: bool, expected: str
) -> None:
    a = infertime.load_result(GOLDEN / "v3_latency_cpu.json")
    policy = ComparePolicy(fail_if_slower=0.05, trust_single_process=trust)
    if spread is None:
        base, other = a, noisy(a, factor, 0.001, 1)
    else:
        base, other = as_processes(a, 1.0, spread), as_processes(a, factor, spread)
    r = compare_files([base, other], policy)
    assert r.gate_state == expected
    if expected == "inconclusive":
        assert [d.code for d in r.diagnostics if d.code.startswith("gate")] == ["gate_inconclusive"]
        assert not r.gate_failed
