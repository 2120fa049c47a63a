"""Other tools' generation figures, computed from infertime's per-token record, each named as
theirs, so that a number from vLLM, AIPerf, MLPerf LoadGen or llmperf can be reconciled; pure.

The record of one request (one timed sequence) is the time each new token became available,
from the request's start (`TokenTrace`). Every tool below reads the same kind of timestamps
on its client; what differs is how it combines them:

| tool, name        | per request                              | across requests            |
|-------------------|------------------------------------------|----------------------------|
| vLLM TPOT         | (t_N - t_1) / (N - 1)                    | mean, median, np.percentile|
| vLLM ITL (pooled) | every gap t_k - t_(k-1), k >= 2          | all requests' gaps pooled  |
| AIPerf ITL        | (t_N - t_1) / (N - 1) (vLLM's TPOT)      | mean, np.percentile        |
| AIPerf ICL        | every gap t_k - t_(k-1)                  | pooled                     |
| MLPerf TPOT       | (t_N - t_1) / (N - 1) in integer ns      | sorted[floor(n * p)]       |
| llmperf ITL       | t_N / N (gaps *including* TTFT, over N)  | mean, pandas quantile      |

Sources (file at the commit read; lines where the file was read whole):
- vLLM: vllm-project/vllm@3aee4a4f vllm/benchmarks/lib/endpoint_request_func.py,
  `async_request_openai_completions`: `st = time.perf_counter()` before the request;
  `output.ttft = time.perf_counter() - st` at the first message carrying `choices`;
  `output.itl.append(timestamp - most_recent_timestamp)` for each later one;
  `output.latency = most_recent_timestamp - st` (the last token, not the end of the stream).
  vllm-project/vllm@def9ce85 vllm/benchmarks/serve.py `calculate_metrics`:
  `tpot = latency_minus_ttft / (output_len - 1)` per request (only when output_len > 1);
  `itls += outputs[i].itl` (one pooled list); statistics by np.mean / np.median / np.std
  (population) / np.percentile (linear). (That repository is too large to fetch here, so its
  line numbers were not read; the quoted statements locate them.)
- AIPerf: ai-dynamo/aiperf@db4f6397 aiperf/metrics/types/ttft_metric.py:53
  (`first_response_ts - request_ts`), request_latency_metric.py:39 (`final_response_ts -
  request_ts`), inter_token_latency_metric.py:52 (`(request_latency - ttft) / (osl - 1)`, osl
  < 2 has no value, :46), inter_chunk_latency_metric.py:62 (consecutive response gaps),
  output_token_throughput_metrics.py:52 (per user = 1 / ITL); aiperf/metrics/metric_dicts.py:191
  (np.percentile, linear) and :201 (np.std, population).
- MLPerf LoadGen: mlcommons/inference@b66003e1 loadgen/logging.cc:553 (first-token latency),
  :475-476 (`time_per_output_token_[i] = (latency - token_latencies_[i]) / (n_tokens - 1)`,
  integer nanoseconds, `QuerySampleLatency` is int64); loadgen/results.cc:99-104 (means: integer
  sum / count), :123-136 (percentiles: `arr[sample_count * percentile]` of the sorted array,
  i.e. index floor(n p), no interpolation).
- llmperf: ray-project/llmperf@f1d6bed4 src/llmperf/ray_clients/openai_chat_completions_client.py
  :93-100 (the first gap appended is TTFT itself), :103 (`total_request_time`), :112 (ITL = the sum
  of the gaps); token_benchmark_ray.py:121 (divided by the output token count), :126
  (`num_output_tokens / E2E_LAT`), :230-246 (pandas: quantile linear, mean, std with n - 1).
  llmperf divides by the chunks its client counted, which can include chunks without content;
  with one token per chunk, as here, that is N. (ray-project/llmperf PR #99 proposes excluding
  TTFT.)
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import stats


@dataclass(frozen=True)
class TokenTrace:
    """When each new token of one request became available, in seconds from the request's
    start (token k of every sequence in a batch arrives together); `end_s` when the request
    finished (llmperf's end), None to take the last token."""

    token_times_s: tuple[float, ...]
    end_s: float | None = None
    clock: str = ""  # what the times are: "device marks", "host clock, streamed"

    def __post_init__(self) -> None:
        t = self.token_times_s
        if len(t) < 1:
            raise ValueError("a token trace needs at least one token")
        if any(b < a for a, b in itertools.pairwise(t)) or t[0] < 0:
            raise ValueError("token times must start at or after 0 and never decrease")
        if self.end_s is not None and self.end_s < t[-1]:
            raise ValueError("a request cannot end before its last token")

    @property
    def n(self) -> int:
        return len(self.token_times_s)

    @property
    def ttft_s(self) -> float:
        return self.token_times_s[0]

    @property
    def last_s(self) -> float:
        return self.token_times_s[-1]

    @property
    def gaps_s(self) -> tuple[float, ...]:
        """Gaps between consecutive tokens (the first token's own wait, TTFT, excluded)."""
        t = self.token_times_s
        return tuple(b - a for a, b in itertools.pairwise(t))


@dataclass(frozen=True)
class ToolFigure:
    """One figure as a named tool defines it: its per-request values (or pooled values) and
    the statistics that tool prints, computed the way it computes them."""

    tool: str
    name: str  # "vLLM TPOT"
    definition: str
    source: str
    values: tuple[float, ...]  # per request, or pooled gaps where `pooled`
    pooled: bool
    mean: float
    median: float
    std: float
    percentiles: dict[str, float] = field(default_factory=dict)  # "p99" -> value (seconds)


def _linear(values: Sequence[float], ps: Sequence[float]) -> dict[str, float]:
    s = sorted(values)
    return {f"p{stats.q_label(p / 100)}": stats.quantile(s, p / 100) for p in ps}


def _pop_std(values: Sequence[float]) -> float:
    m = stats.mean(values)
    return math.sqrt(math.fsum((x - m) ** 2 for x in values) / len(values))


def _numpy_figure(
    tool: str,
    name: str,
    definition: str,
    source: str,
    values: Sequence[float],
    pooled: bool,
    ps: Sequence[float],
) -> ToolFigure:
    """np.mean / np.median / np.std (population) / np.percentile (linear), as vLLM and AIPerf."""
    return ToolFigure(
        tool,
        name,
        definition,
        source,
        tuple(values),
        pooled,
        stats.mean(values),
        stats.median(values),
        _pop_std(values),
        _linear(values, ps),
    )


VLLM_SERVE = "vllm-project/vllm@def9ce85 vllm/benchmarks/serve.py calculate_metrics"
VLLM_CLIENT = "vllm-project/vllm@3aee4a4f vllm/benchmarks/lib/endpoint_request_func.py"
DEFAULT_PERCENTILES = (50.0, 90.0, 99.0)


def vllm(
    traces: Sequence[TokenTrace], ps: Sequence[float] = DEFAULT_PERCENTILES
) -> list[ToolFigure]:
    """vLLM `bench serve`: TTFT, TPOT per request, ITL pooled over every request's gaps, E2EL."""
    multi = [t for t in traces if t.n > 1]  # vLLM keeps TPOT only where output_len > 1
    gaps = [g for t in traces for g in t.gaps_s]
    out = [
        _numpy_figure(
            "vLLM",
            "vLLM TTFT",
            "first token - request start",
            VLLM_CLIENT,
            [t.ttft_s for t in traces],
            False,
            ps,
        ),
        _numpy_figure(
            "vLLM",
            "vLLM E2EL",
            "last token - request start",
            VLLM_CLIENT,
            [t.last_s for t in traces],
            False,
            ps,
        ),
    ]
    if multi:
        out.append(
            _numpy_figure(
                "vLLM",
                "vLLM TPOT",
                "(latency - TTFT) / (output tokens - 1) per request",
                f"{VLLM_SERVE}: tpot = latency_minus_ttft / (output_len - 1)",
                [(t.last_s - t.ttft_s) / (t.n - 1) for t in multi],
                False,
                ps,
            )
        )
    if gaps:
        out.append(
            _numpy_figure(
                "vLLM",
                "vLLM ITL (pooled)",
                "every gap between consecutive tokens of every request, in one list "
                "(token-weighted; gaps within a request are correlated)",
                f"{VLLM_CLIENT}: output.itl.append(...); {VLLM_SERVE}: itls += outputs[i].itl",
                gaps,
                True,
                ps,
            )
        )
    return out


AIPERF = "ai-dynamo/aiperf@db4f6397 aiperf/metrics/types/"


def aiperf(
    traces: Sequence[TokenTrace], ps: Sequence[float] = (50.0, 90.0, 99.0)
) -> list[ToolFigure]:
    """AIPerf: TTFT, request latency, ITL = (latency - TTFT) / (OSL - 1) per request (vLLM's
    TPOT), inter-chunk latency pooled, output tokens/s per user = 1 / ITL."""
    multi = [t for t in traces if t.n > 1]  # ITL needs OSL >= 2
    out = [
        _numpy_figure(
            "AIPerf",
            "AIPerf TTFT",
            "first response - request start",
            f"{AIPERF}ttft_metric.py:53",
            [t.ttft_s for t in traces],
            False,
            ps,
        ),
        _numpy_figure(
            "AIPerf",
            "AIPerf Request Latency",
            "final response - request start",
            f"{AIPERF}request_latency_metric.py:39",
            [t.last_s for t in traces],
            False,
            ps,
        ),
    ]
    if multi:
        itl = [(t.last_s - t.ttft_s) / (t.n - 1) for t in multi]
        out.append(
            _numpy_figure(
                "AIPerf",
                "AIPerf ITL",
                "(request latency - TTFT) / (OSL - 1) per request",
                f"{AIPERF}inter_token_latency_metric.py:52",
                itl,
                False,
                ps,
            )
        )
        out.append(
            _numpy_figure(
                "AIPerf",
                "AIPerf ICL (pooled)",
                "gaps between consecutive responses, pooled",
                f"{AIPERF}inter_chunk_latency_metric.py:62",
                [g for t in multi for g in t.gaps_s],
                True,
                ps,
            )
        )
        out.append(
            _numpy_figure(
                "AIPerf",
                "AIPerf Output TPS/User",
                "1 / ITL per request (tokens/s)",
                f"{AIPERF}output_token_throughput_metrics.py:52",
                [1 / x for x in itl],
                False,
                ps,
            )
        )
    return out


MLPERF = "mlcommons/inference@b66003e1 loadgen/"
MLPERF_PERCENTILES = (50.0, 90.0, 95.0, 97.0, 99.0, 99.9)


def _ns(seconds: float) -> int:
    return round(seconds * 1e9)


def _index_percentiles(sorted_ns: Sequence[int], ps: Sequence[float]) -> dict[str, float]:
    """LoadGen's percentile: the sorted array at index floor(n p), no interpolation."""
    n = len(sorted_ns)
    return {f"p{stats.q_label(p / 100)}": sorted_ns[int(n * (p / 100))] * 1e-9 for p in ps}


def _mlperf_figure(
    name: str, definition: str, source: str, ns: list[int], ps: Sequence[float]
) -> ToolFigure:
    s = sorted(ns)
    mean_ns = sum(ns) // len(ns)  # integer sum / count, as results.cc
    return ToolFigure(
        "MLPerf LoadGen",
        name,
        definition,
        source,
        tuple(x * 1e-9 for x in ns),
        False,
        mean_ns * 1e-9,
        s[int(len(s) * 0.5)] * 1e-9,
        _pop_std([float(x) for x in ns]) * 1e-9,
        _index_percentiles(s, ps),
    )


def mlperf(
    traces: Sequence[TokenTrace], ps: Sequence[float] = MLPERF_PERCENTILES
) -> list[ToolFigure]:
    """MLPerf LoadGen (Server/Offline token metrics): TTFT and TPOT per sample in integer ns;
    percentiles by index; its "median" here is its p50 the same way. (LoadGen prints no
    standard deviation; `std` is given for completeness, population.)"""
    ttft = [_ns(t.ttft_s) for t in traces]
    out = [
        _mlperf_figure(
            "MLPerf TTFT",
            "first token completion - sample issue",
            f"{MLPERF}logging.cc:553",
            ttft,
            ps,
        )
    ]
    multi = [t for t in traces if t.n > 1]  # LoadGen refuses n_tokens <= 1 (logging.cc:442-451)
    if multi:
        tpot = [(_ns(t.last_s) - _ns(t.ttft_s)) // (t.n - 1) for t in multi]
        out.append(
            _mlperf_figure(
                "MLPerf TPOT",
                "(latency - first token latency) / (tokens - 1), integer ns",
                f"{MLPERF}logging.cc:475-476, results.cc:123-136",
                tpot,
                ps,
            )
        )
    return out


LLMPERF = "ray-project/llmperf@f1d6bed4 "


def _pandas_figure(
    name: str, definition: str, source: str, values: Sequence[float], ps: Sequence[float]
) -> ToolFigure:
    """pandas Series: mean, quantile (linear), std (n - 1)."""
    return ToolFigure(
        "llmperf",
        name,
        definition,
        source,
        tuple(values),
        False,
        stats.mean(values),
        stats.median(values),
        stats.sample_std(values),
        _linear(values, ps),
    )


LLMPERF_PERCENTILES = (25.0, 50.0, 75.0, 90.0, 95.0, 99.0)


def llmperf(
    traces: Sequence[TokenTrace], ps: Sequence[float] = LLMPERF_PERCENTILES
) -> list[ToolFigure]:
    """llmperf: ITL per request = the gaps including TTFT, over the output token count (so
    t_N / N), TTFT, E2E (end of the stream), request output throughput N / E2E."""
    client = f"{LLMPERF}src/llmperf/ray_clients/openai_chat_completions_client.py"
    bench = f"{LLMPERF}token_benchmark_ray.py"
    ends = [t.end_s if t.end_s is not None else t.last_s for t in traces]
    return [
        _pandas_figure(
            "llmperf ITL",
            "sum of the gaps including TTFT / output tokens = t_N / N",
            f"{client}:93-100,112; {bench}:121",
            [t.last_s / t.n for t in traces],
            ps,
        ),
        _pandas_figure(
            "llmperf TTFT",
            "first content chunk - request start",
            f"{client}:94",
            [t.ttft_s for t in traces],
            ps,
        ),
        _pandas_figure(
            "llmperf E2E", "end of the stream - request start", f"{client}:103", ends, ps
        ),
        _pandas_figure(
            "llmperf request output throughput",
            "output tokens / E2E (tokens/s)",
            f"{bench}:126",
            [t.n / e for t, e in zip(traces, ends, strict=True)],
            ps,
        ),
    ]


def all_views(traces: Sequence[TokenTrace]) -> list[ToolFigure]:
    """Every tool's figures from the same traces, in a fixed order."""
    if not traces:
        return []
    return [*vllm(traces), *aiperf(traces), *mlperf(traces), *llmperf(traces)]


def device_traces(
    ttft_s: Sequence[float], steps_s: Sequence[Sequence[float]], whole_s: Sequence[float]
) -> list[TokenTrace]:
    """Token times of device-path sequences from their marks: t_1 = TTFT, t_k = t_(k-1) + the
    step that chose token k; the request ends at the last mark."""
    out = []
    for ttft, steps, whole in zip(ttft_s, steps_s, whole_s, strict=True):
        times = [ttft]
        for s in steps:
            times.append(times[-1] + s)
        out.append(TokenTrace(tuple(times), max(whole, times[-1]), "device marks"))
    return out
