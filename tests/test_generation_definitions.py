"""Other tools' generation figures from one synthetic per-token trace, against values computed
by hand from each tool's definition (issue 21 target G5)."""

from __future__ import annotations

import math

import pytest

from infertime.generation import definitions as d

# Request A: 4 tokens at 100, 120, 150, 160 ms, stream closed at 170 ms.
# Request B: 2 tokens at 200, 230 ms, stream closed with the last token.
A = d.TokenTrace((0.100, 0.120, 0.150, 0.160), end_s=0.170)
B = d.TokenTrace((0.200, 0.230))
TRACES = [A, B]


def by_name(figures: list[d.ToolFigure]) -> dict[str, d.ToolFigure]:
    return {f.name: f for f in figures}


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def test_trace_properties() -> None:
    assert A.ttft_s == 0.100 and A.last_s == 0.160 and A.n == 4
    assert all(close(x, y) for x, y in zip(A.gaps_s, (0.020, 0.030, 0.010), strict=True))
    assert B.gaps_s == pytest.approx((0.030,))


def test_trace_refuses_what_no_clock_gives() -> None:
    with pytest.raises(ValueError):
        d.TokenTrace(())
    with pytest.raises(ValueError):
        d.TokenTrace((0.2, 0.1))
    with pytest.raises(ValueError):
        d.TokenTrace((0.1, 0.2), end_s=0.15)


def test_vllm() -> None:
    v = by_name(d.vllm(TRACES, ps=(50, 90)))
    # TTFT 100, 200 ms: mean 150, np.std (population) 50
    assert close(v["vLLM TTFT"].mean, 0.150) and close(v["vLLM TTFT"].std, 0.050)
    # E2EL is the last token, not the end of the stream: 160, 230 ms
    assert v["vLLM E2EL"].values == pytest.approx((0.160, 0.230))
    # TPOT per request: (160 - 100) / 3 = 20 ms, (230 - 200) / 1 = 30 ms
    tpot = v["vLLM TPOT"]
    assert tpot.values == pytest.approx((0.020, 0.030))
    assert close(tpot.mean, 0.025) and close(tpot.median, 0.025) and close(tpot.std, 0.005)
    # ITL pooled: 20, 30, 10 (A) and 30 (B): token-weighted mean 22.5 ms, not 25
    itl = v["vLLM ITL (pooled)"]
    assert itl.pooled
    assert sorted(itl.values) == pytest.approx([0.010, 0.020, 0.030, 0.030])
    assert close(itl.mean, 0.0225) and close(itl.median, 0.025)
    # np.percentile (linear) of [10, 20, 30, 30]: p90 at h = 2.7 -> 30
    assert close(itl.percentiles["p90"], 0.030) and close(itl.percentiles["p50"], 0.025)
    assert close(itl.std, math.sqrt(68.75e-6))


def test_aiperf() -> None:
    a = by_name(d.aiperf(TRACES))
    # AIPerf's ITL is vLLM's TPOT: (request latency - TTFT) / (OSL - 1)
    assert a["AIPerf ITL"].values == pytest.approx((0.020, 0.030))
    assert a["AIPerf Request Latency"].values == pytest.approx((0.160, 0.230))
    assert a["AIPerf Output TPS/User"].values == pytest.approx((50.0, 1 / 0.030))
    assert sorted(a["AIPerf ICL (pooled)"].values) == pytest.approx([0.010, 0.020, 0.030, 0.030])


def test_mlperf_integer_ns_and_index_percentiles() -> None:
    m = by_name(d.mlperf(TRACES, ps=(50, 90)))
    tpot = m["MLPerf TPOT"]
    assert tpot.values == pytest.approx((0.020, 0.030))
    # sorted[floor(n p)] with n = 2: p50 is index 1 -> 30 ms (vLLM's median says 25)
    assert close(tpot.percentiles["p50"], 0.030) and close(tpot.median, 0.030)
    assert close(tpot.mean, 0.025)
    # 60,000,002 ns over 3 steps truncates to 20,000,000 ns
    odd = d.TokenTrace((0.100, 0.120, 0.150, 0.160000002))
    (t,) = [f for f in d.mlperf([odd]) if f.name == "MLPerf TPOT"]
    assert t.values == (0.020,)
    (v,) = [f for f in d.vllm([odd]) if f.name == "vLLM TPOT"]
    assert v.values[0] > 0.020


def test_llmperf_counts_ttft_in_itl() -> None:
    lp = by_name(d.llmperf(TRACES, ps=(50,)))
    # (TTFT + every gap) / N = t_N / N: 160 / 4 = 40 ms, 230 / 2 = 115 ms
    itl = lp["llmperf ITL"]
    assert itl.values == pytest.approx((0.040, 0.115))
    assert close(itl.mean, 0.0775)
    assert close(itl.std, 0.075 / math.sqrt(2))  # pandas: n - 1
    # E2E is the end of the stream (170 ms for A); throughput = N / E2E
    assert lp["llmperf E2E"].values == pytest.approx((0.170, 0.230))
    assert lp["llmperf request output throughput"].values == pytest.approx((4 / 0.170, 2 / 0.230))


def test_one_token_requests_have_no_tpot() -> None:
    one = [d.TokenTrace((0.1,))]
    names = {f.name for f in d.all_views(one)}
    assert "vLLM TPOT" not in names and "AIPerf ITL" not in names and "MLPerf TPOT" not in names
    assert "llmperf ITL" in names


def test_device_traces_from_marks() -> None:
    (t,) = d.device_traces([0.1], [(0.02, 0.03, 0.01)], [0.16])
    assert t.token_times_s == pytest.approx((0.1, 0.12, 0.15, 0.16))
    assert t.end_s == pytest.approx(0.16)
