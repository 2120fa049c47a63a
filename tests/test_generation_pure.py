"""Generation timing without a model: spec checks, length checks, marks on the fake device,
figures from synthetic records, SLO parsing and the batch search."""

from __future__ import annotations

import math
from typing import Any

import pytest

from infertime.devices import CallCost, FakeDevice
from infertime.devices.base import MemoryReading
from infertime.errors import ConfigError, OutOfMemoryError
from infertime.generation import figures, slo
from infertime.generation.definitions import TokenTrace
from infertime.generation.lengths import GenerationLengthError, check_lengths, new_token_count
from infertime.generation.marks import TimerChainMarks, new_marks
from infertime.generation.model import KvLayout, out_of_memory
from infertime.generation.records import (
    CacheRecord,
    CallerRecord,
    GenerationRun,
    InstrumentationRecord,
    ModelRecord,
    SequenceRecord,
)
from infertime.generation.spec import GenerationPolicy, GenerationSpec
from infertime.records import StopRecord, WarmupRecord

# -- spec ------------------------------------------------------------------------------------


def spec(**kw: object) -> GenerationSpec:
    base: dict[str, object] = {"model": "hf:gpt2", "prompt_len": 8, "new_tokens": 4}
    base.update(kw)
    return GenerationSpec(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"new_tokens": 1}, "no decode step"),
        ({"new_tokens": 0}, "at least 2"),
        ({"prompt_len": 0}, "prompt_len"),
        ({"model": "timm:resnet18"}, "causal LMs"),
        ({"backend": "compile"}, "static"),
        ({"max_cache_len": 64}, "cache static"),
        ({"cache": "static", "max_cache_len": 10}, "shorter"),
        ({"dtype": "fp8"}, "dtype"),
        ({"compile_mode": "default"}, "compile"),
    ],
)
def test_spec_refuses_bad_settings(kw: dict[str, object], words: str) -> None:
    with pytest.raises(ConfigError, match=words) as info:
        spec(**kw)
    assert info.value.exit_code == 2


def test_spec_cache_length() -> None:
    assert spec().cache_len is None
    assert spec(cache="static").cache_len == 12
    assert spec(cache="static", max_cache_len=64).cache_len == 64
    assert spec(backend="compile", cache="static").resolved_compile_mode == "reduce-overhead"


# -- lengths ---------------------------------------------------------------------------------


def test_new_token_count() -> None:
    row = [1, 2, 3, 9, 9, 5]
    assert new_token_count(row, 3, ()) == 3
    assert new_token_count(row, 3, {9}) == 1  # stops at (and counts) the first stop token
    assert new_token_count(row, 3, {5}) == 3


def test_check_lengths_names_the_counts() -> None:
    check_lengths([4, 4], 4, "x")
    with pytest.raises(GenerationLengthError, match=r"1 of 3 .*4, 1, 4"):
        check_lengths([4, 1, 4], 4, "generate()")


def test_oom_names_batch_and_kv_cache() -> None:
    s = spec(batch_size=16, prompt_len=512, new_tokens=128)
    err = out_of_memory(s, KvLayout(layers=2, kv_heads=4, head_dim=64, dtype_bytes=2), "here")
    assert isinstance(err, OutOfMemoryError) and err.exit_code == 4
    text = err.one_line()
    assert "batch 16" in text and "2048 bytes per token" in text and "640 tokens" in text


# -- marks -----------------------------------------------------------------------------------


def test_timer_chain_marks_on_the_fake_device() -> None:
    dev = FakeDevice(event_cost_s=1e-6)
    work = [2e-3, 1e-3, 1e-3, 1e-3]
    calls = [dev.make_call(1) for _ in work]
    marks = new_marks(dev)
    assert isinstance(marks, TimerChainMarks)
    costs = iter(work)
    dev.cost = lambda _i, _b: CallCost(1e-6, next(costs))
    marks.reset(len(work) + 1)
    marks.mark()
    for call in calls:
        call()
        marks.mark()
    dev.synchronize()
    iv = marks.intervals_s()
    assert len(iv) == len(work)
    for got, want in zip(iv, work, strict=True):
        assert want <= got <= want + 5e-6  # the device's work plus launch and event costs
    assert math.isclose(sum(iv), marks.span_s(), rel_tol=5e-3)


# -- figures ---------------------------------------------------------------------------------

P, N, B = 8, 5, 2


def make_run(calls: int = 30, caller: bool = True, steps: bool = True) -> GenerationRun:
    s = spec(prompt_len=P, new_tokens=N, batch_size=B)
    seqs = []
    for i in range(calls):
        jitter = 1 + 0.001 * ((i * 7) % 5)
        step = tuple(1e-3 * jitter * (1 + 0.01 * k) for k in range(N - 1)) if steps else ()
        ttft = 4e-3 * jitter
        decode = sum(step) if steps else 4.06e-3 * jitter
        seqs.append(SequenceRecord(i, ttft, decode, ttft + decode, step, i))
    stop = StopRecord("precision", "ok", 0.01, 0.005, 1.0)
    warm = WarmupRecord(5, 0.1, True, "steady", 0.02, (0.01,) * 5)
    model = ModelRecord("hf:gpt2", "GPT2LMHeadModel", "test", 10, 40, 0.1, "sdpa", (7,), 1024,
                        {"layers": 2, "kv_heads": 2, "head_dim": 64, "dtype_bytes": 4})  # fmt: skip
    streamed = tuple(
        TokenTrace(tuple(5e-3 + 1.2e-3 * k for k in range(N)), 5e-3 + 1.2e-3 * N) for _ in range(8)
    )
    caller_rec = CallerRecord(("max_new_tokens=5",), 2, tuple(0.0115 + 1e-5 * i for i in range(8)),
                              streamed, 3 * N, "counted", False, N, B)  # fmt: skip
    instr = InstrumentationRecord(
        tuple((0.0101, 0.0102) for _ in range(16)),
        tuple((0.0100, 0.0100) for _ in range(16)),
        stop,
    )
    return GenerationRun(
        spec=s, policy=GenerationPolicy(), device="fake:0", device_description={},
        timer="fake", model=model, cache=CacheRecord("dynamic", None, 1024 * B * 12, 12, B),
        compile=None, cold_call_s=0.02, warmup=warm, sequences=tuple(seqs), stop=stop,
        memory=MemoryReading(1 << 20, 1 << 20, None, "fake"), device_path_syncs=0,
        caller=caller_rec if caller else None, instrumentation=instr if caller else None,
        tokens_checked=calls * B,
    )  # fmt: skip


def test_device_figures() -> None:
    run = make_run()
    f = figures.device_figures(run)
    s0 = run.sequences[0]
    assert f["ttft_s"].values[0] == s0.ttft_s
    assert f["tpot_s"].values[0] == pytest.approx(s0.decode_s / (N - 1))
    assert f["decode_tokens_per_s_per_batch"].values[0] == pytest.approx(B * (N - 1) / s0.decode_s)
    assert f["prefill_tokens_per_s_per_sequence"].values[0] == pytest.approx(P / s0.ttft_s)
    assert f["output_tokens_per_s_per_batch"].values[0] == pytest.approx(B * N / s0.whole_s)
    # steps grow by 1 % of 1 ms per position
    assert f["step_slope_s_per_position"].median == pytest.approx(1e-5, rel=0.01)
    assert f["tpot_s"].summary.median_ci is not None  # 30 calls: a CI
    assert f["tpot_s"].summary.percentiles[0.99] is None  # p99 needs 662
    positions = figures.steps_by_position(run)
    assert [p for p, _ in positions] == [P + k for k in range(N - 1)]
    assert figures.marks_gap(run) == pytest.approx(0.0, abs=1e-12)


def test_no_step_figures_without_per_step_marks() -> None:
    run = make_run(steps=False, caller=False)
    f = figures.device_figures(run)
    assert "step_slope_s_per_position" not in f and "tpot_s" in f
    assert figures.steps_by_position(run) == [] and figures.device_steps(run) is None
    assert figures.tool_views(run) == {"device": []}


def test_caller_figures_and_costs() -> None:
    run = make_run()
    c = figures.caller_figures(run)
    assert c["host_ttft_s"].median == pytest.approx(5e-3)
    assert c["host_itl_median_s"].median == pytest.approx(1.2e-3)
    cost = figures.caller_cost(run)
    assert cost is not None and cost.ratio.value > 1
    assert cost.host_syncs_per_token == 3.0
    itl = figures.host_itl(run)
    assert itl is not None and itl.calls == 8 and itl.quantile(0.99) is None
    ratio = figures.instrumentation_cost(run)
    assert ratio is not None and ratio.value == pytest.approx(1.015)
    codes = {d.code for d in figures.diagnostics(run)}
    assert "marks_cost" in codes  # 1.5 % > 1 %
    views = figures.tool_views(run)
    assert {v.name for v in views["host"]} >= {"vLLM TPOT", "llmperf ITL", "MLPerf TPOT"}


def test_memory_figure() -> None:
    m = figures.memory(make_run())
    assert m.kv_bytes_per_token_config == 1024 and m.kv_bytes_per_token_measured == 1024


# -- interleaving ---------------------------------------------------------------------------


def test_interleaved_arms_and_their_ratio() -> None:
    from infertime.generation.interleave import interleave_sequences

    dev = FakeDevice()
    count = [0]

    def arm(factor: float) -> Any:
        def call() -> SequenceRecord:
            count[0] += 1
            j = 1 + 0.01 * ((count[0] * 7) % 5)
            return SequenceRecord(0, 1e-3 * factor * j, 4e-3 * factor * j, 5e-3 * factor * j)

        return call

    run = interleave_sequences(
        [arm(1.0), arm(1.1)],
        dev,
        min_rounds=16,
        max_time_s=1.0,
        precision=0.02,
        figures=("ttft", "decode"),
        max_rounds=64,
    )
    assert run.stop.reason == "precision" and len(run.orders) >= 16
    assert all(sorted(o) == [0, 0, 1, 1] for o in run.orders)
    assert run.ratio(1, "decode").value == pytest.approx(1.1, rel=0.02)
    capped = interleave_sequences(
        [arm(1.0), arm(1.0)], dev, min_rounds=2, max_time_s=1.0, precision=1e-9, max_rounds=5
    )
    assert capped.stop.reason == "max_samples" and len(capped.orders) == 5


# -- SLO -------------------------------------------------------------------------------------


def test_parse_slo() -> None:
    s = slo.parse_slo("ttft=500ms,tpot=30ms")
    assert s.ttft_s == pytest.approx(0.5) and s.tpot_s == pytest.approx(0.03)
    assert slo.parse_slo("tpot=0.02s").ttft_s is None
    for bad in ("ttft=500", "latency=3ms", "ttft=1ms,ttft=2ms", ""):
        with pytest.raises(ConfigError):
            slo.parse_slo(bad)


def point(batch: int, calls: int = 40) -> slo.BatchPoint:
    """TTFT 10 ms x batch, TPOT 1 ms + 0.5 ms x batch, with a little spread."""
    j = [1 + 0.002 * ((i * 3) % 7) for i in range(calls)]
    return slo.BatchPoint(
        batch, 10,
        tuple(0.010 * batch * x for x in j),
        tuple((0.001 + 0.0005 * batch) * x for x in j),
        tuple((0.010 * batch + 9 * (0.001 + 0.0005 * batch)) * x for x in j),
    )  # fmt: skip


def test_judge_uses_upper_bounds() -> None:
    v = slo.judge(point(4), slo.Slo(ttft_s=0.0405, tpot_s=0.01))
    assert v.meets and v.ttft_bound_s is not None and v.ttft_bound_s >= 0.040
    # the median is 40 ms but its upper bound is above 40.0 ms
    assert not slo.judge(point(4), slo.Slo(ttft_s=0.0400)).meets
    p99 = slo.judge(point(4), slo.Slo(ttft_s=1.0, stat="p99"))
    assert not p99.meets and "299" in p99.reason


def test_search_finds_largest_batch_in_few_probes() -> None:
    probes: list[int] = []

    def measure(b: int) -> slo.BatchPoint:
        probes.append(b)
        return point(b)

    limit = slo.Slo(ttft_s=0.235, tpot_s=0.5)  # TTFT bound passes up to batch 23
    points, choice = slo.search(measure, limit, max_batch=256)
    assert choice.batch == 23
    assert len(probes) <= 2 * math.log2(256) + 2
    assert len(set(probes)) == len(probes) == len(points)
    assert point(23).tokens_per_s_per_gpu is not None


def test_search_edges() -> None:
    none = slo.search(point, slo.Slo(ttft_s=0.001), max_batch=64)[1]
    assert none.batch is None and "batch 1" in none.message
    capped = slo.search(point, slo.Slo(ttft_s=10.0), max_batch=10)[1]
    assert capped.batch == 10
    failed = slo.BatchPoint(8, 10, failed="out of memory at batch 8")
    assert not slo.judge(failed, slo.Slo(ttft_s=1.0)).meets
