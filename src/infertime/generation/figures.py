"""Generation figures from the raw records: TTFT, TPOT, step time against KV position, ITL,
end-to-end, tokens/s, KV-cache bytes, memory, the cost of generate()'s host syncs and of the
per-step marks, and other tools' definitions; pure and torch-free.

Each figure has one value per timed call (the unit of its CI: the B sequences of a call share
their times) in time order, summarized by `infertime.stats.summarize` (median CI widened for
serial correlation; p90/p99 only past MLPerf's sample floors). Pooled per-token distributions
are given apart, as distributions, with no CI: tokens of one sequence are not independent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from .. import stats
from ..comparison.ratios import Ratio, independent_ratio, paired_ratio
from ..records import Diagnostic
from . import definitions
from .records import GenerationRun

MARKS_TOLERANCE_REL = 0.005  # prefill + steps against the whole, same marks (issue 21 target)
INSTRUMENTATION_TOLERANCE_REL = 0.01


@dataclass(frozen=True)
class Figure:
    """One figure: a value per timed call, in time order, and what it is."""

    key: str
    label: str
    unit: str  # "s", "tokens/s", "s/position"
    values: tuple[float, ...]

    @cached_property
    def summary(self) -> stats.Summary:
        return stats.summarize(self.values)

    @property
    def median(self) -> float:
        return self.summary.median


@dataclass(frozen=True)
class Distribution:
    """Values pooled over the tokens of many calls: quantiles without a CI (tokens of one
    call are correlated), with how many calls and values they come from."""

    key: str
    label: str
    values: tuple[float, ...]
    calls: int

    def quantile(self, q: float) -> float | None:
        """The q-quantile, or None below MLPerf's floor of values for that tail."""
        if q > 0.5 and len(self.values) < stats.min_samples_for_percentile(q):
            return None
        return stats.quantile(sorted(self.values), q)


def _fig(key: str, label: str, unit: str, values: Sequence[float]) -> Figure | None:
    vals = tuple(values)
    if not vals or any(not math.isfinite(v) for v in vals):
        return None
    return Figure(key, label, unit, vals)


def slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of ys on xs."""
    mx, my = stats.mean(xs), stats.mean(ys)
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    return math.fsum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def device_figures(run: GenerationRun) -> dict[str, Figure]:
    """The device path's figures (per timed call)."""
    spec = run.spec
    p, n, b = spec.prompt_len, spec.new_tokens, spec.batch_size
    seqs = run.sequences
    out: dict[str, Figure | None] = {
        "ttft_s": _fig(
            "ttft_s",
            "TTFT, device: before prefill -> first token chosen",
            "s",
            [s.ttft_s for s in seqs],
        ),
        "tpot_s": _fig(
            "tpot_s",
            f"TPOT, device: decode time / {n - 1} steps",
            "s",
            [s.decode_s / (n - 1) for s in seqs],
        ),
        "e2e_s": _fig(
            "e2e_s", "end-to-end, device: first mark -> last mark", "s", [s.whole_s for s in seqs]
        ),
        "decode_tokens_per_s_per_sequence": _fig(
            "decode_tokens_per_s_per_sequence",
            "decode tokens/s per sequence (prefill excluded)",
            "tokens/s",
            [(n - 1) / s.decode_s for s in seqs],
        ),
        "decode_tokens_per_s_per_batch": _fig(
            "decode_tokens_per_s_per_batch",
            f"decode tokens/s of the batch of {b} (prefill excluded)",
            "tokens/s",
            [b * (n - 1) / s.decode_s for s in seqs],
        ),
        "prefill_tokens_per_s_per_sequence": _fig(
            "prefill_tokens_per_s_per_sequence",
            "prefill tokens/s per sequence (prompt / TTFT)",
            "tokens/s",
            [p / s.ttft_s for s in seqs],
        ),
        "prefill_tokens_per_s_per_batch": _fig(
            "prefill_tokens_per_s_per_batch",
            f"prefill tokens/s of the batch of {b}",
            "tokens/s",
            [b * p / s.ttft_s for s in seqs],
        ),
        "output_tokens_per_s_per_batch": _fig(
            "output_tokens_per_s_per_batch",
            f"output tokens/s of the batch of {b}, end to end (prefill included)",
            "tokens/s",
            [b * n / s.whole_s for s in seqs],
        ),
    }
    stepped = [s for s in seqs if len(s.step_s) >= 3]
    if stepped:
        positions = [float(p + k) for k in range(n - 1)]  # step k + 1 feeds position P + k
        out["step_slope_s_per_position"] = _fig(
            "step_slope_s_per_position",
            "decode step time against KV position: least-squares slope per call",
            "s/position",
            [slope(positions, s.step_s) for s in stepped],
        )
    return {k: v for k, v in out.items() if v is not None}


def steps_by_position(run: GenerationRun) -> list[tuple[int, float]]:
    """(KV position the step feeds, median step time over the timed calls): TPOT against
    position, for a plot."""
    stepped = [s for s in run.sequences if s.step_s]
    if not stepped:
        return []
    p = run.spec.prompt_len
    return [
        (p + k, stats.median([s.step_s[k] for s in stepped])) for k in range(len(stepped[0].step_s))
    ]


def device_steps(run: GenerationRun) -> Distribution | None:
    """Every decode step's device time, pooled (not ITL: no host reads a token here)."""
    vals = tuple(x for s in run.sequences for x in s.step_s)
    if not vals:
        return None
    return Distribution(
        "device_step_s", "decode step time, device, pooled", vals, len(run.sequences)
    )


def caller_figures(run: GenerationRun) -> dict[str, Figure]:
    """The caller's path: generate() whole, and streamed on the host clock."""
    c = run.caller
    if c is None:
        return {}
    n, b = c.new_tokens, c.batch_size
    traces = c.streamed
    out: dict[str, Figure | None] = {
        "generate_latency_s": _fig(
            "generate_latency_s", "generate() latency, host clock", "s", c.latency_s
        ),
        "generate_tokens_per_s_per_batch": _fig(
            "generate_tokens_per_s_per_batch",
            f"generate() output tokens/s of the batch of {b}",
            "tokens/s",
            [b * n / x for x in c.latency_s],
        ),
        "host_ttft_s": _fig(
            "host_ttft_s",
            "TTFT as a streaming caller sees it (host clock)",
            "s",
            [t.ttft_s for t in traces],
        ),
        "host_itl_median_s": _fig(
            "host_itl_median_s",
            "inter-token latency, host clock: median gap per call",
            "s",
            [stats.median(t.gaps_s) for t in traces if t.gaps_s],
        ),
        "host_tpot_s": _fig(
            "host_tpot_s",
            "(last token - first token) / (N - 1), host clock",
            "s",
            [(t.last_s - t.ttft_s) / (t.n - 1) for t in traces if t.n > 1],
        ),
    }
    return {k: v for k, v in out.items() if v is not None}


def host_itl(run: GenerationRun) -> Distribution | None:
    """Every host-visible gap between consecutive tokens of the streamed calls, pooled."""
    if run.caller is None:
        return None
    vals = tuple(g for t in run.caller.streamed for g in t.gaps_s)
    if not vals:
        return None
    return Distribution(
        "host_itl_s", "inter-token latency, host clock, pooled", vals, len(run.caller.streamed)
    )


@dataclass(frozen=True)
class CallerCost:
    """What generate() costs over the device path for the same tokens: its latency over the
    device path's end-to-end time (independent samples: the CI combines both medians'), and
    the difference per output token. It holds generate()'s per-step host waits and its Python
    work (logits processors, stopping criteria, input preparation)."""

    ratio: Ratio
    extra_per_token_s: float
    host_syncs_per_call: int | None
    host_syncs_per_token: float | None


def caller_cost(run: GenerationRun) -> CallerCost | None:
    c = run.caller
    if c is None or not run.sequences:
        return None
    device = [s.whole_s for s in run.sequences]
    ratio = independent_ratio(device, c.latency_s)
    extra = (stats.median(c.latency_s) - stats.median(device)) / c.new_tokens
    syncs = c.host_syncs_per_call
    return CallerCost(ratio, extra, syncs, syncs / c.new_tokens if syncs is not None else None)


def instrumentation_cost(run: GenerationRun) -> Ratio | None:
    """Whole-sequence time with per-step marks over without: the marks' own cost (paired
    rounds, median of the round ratios with its serially widened CI)."""
    r = run.instrumentation
    if r is None:
        return None
    with_ = [stats.median(xs) for xs in r.rounds_with_s]
    without = [stats.median(xs) for xs in r.rounds_without_s]
    return paired_ratio(without, with_)


@dataclass(frozen=True)
class Memory:
    peak_allocated_bytes: int | None
    peak_source: str
    kv_bytes_per_token_config: int | None  # per sequence, from the config
    kv_bytes_per_token_measured: float | None  # per sequence, from the cache's tensors
    kv_cache_bytes: int | None  # the timed calls' cache as measured (all B sequences)


def memory(run: GenerationRun) -> Memory:
    return Memory(
        run.memory.peak_allocated_bytes,
        run.memory.source,
        run.model.kv_bytes_per_token_config,
        run.cache.measured_bytes_per_token,
        run.cache.measured_bytes,
    )


def marks_gap(run: GenerationRun) -> float | None:
    """Largest |TTFT + Σ steps - whole| / whole over the timed calls."""
    if not run.sequences:
        return None
    return max(s.marks_gap_rel for s in run.sequences)


def device_token_traces(run: GenerationRun) -> list[definitions.TokenTrace]:
    stepped = [s for s in run.sequences if s.step_s]
    return definitions.device_traces(
        [s.ttft_s for s in stepped], [s.step_s for s in stepped], [s.whole_s for s in stepped]
    )


def tool_views(run: GenerationRun) -> dict[str, list[definitions.ToolFigure]]:
    """Every tool's figures from the device marks and, apart, from the streamed host clock."""
    out = {"device": definitions.all_views(device_token_traces(run))}
    if run.caller is not None:
        out["host"] = definitions.all_views(list(run.caller.streamed))
    return out


def diagnostics(run: GenerationRun) -> list[Diagnostic]:
    """Findings about one run: consistency of the marks, steadiness, precision, costs."""
    out: list[Diagnostic] = []
    gap = marks_gap(run)
    if gap is not None and gap > MARKS_TOLERANCE_REL:
        out.append(
            Diagnostic(
                "marks_inconsistent",
                "warning",
                f"prefill + decode steps differ from the whole sequence's own timing by up to "
                f"{gap:.2%} (allowed {MARKS_TOLERANCE_REL:.1%})",
                "the timer's resolution is coarse against the steps; time longer sequences",
                {"max_gap_rel": gap},
            )
        )
    if not run.warmup.steady:
        out.append(
            Diagnostic(
                "warmup_not_steady", "warning", run.warmup.message, "raise the warm-up time limit"
            )
        )
    if not run.stop.met_target:
        out.append(
            Diagnostic(
                "precision_not_met",
                "info",
                run.stop.message,
                "allow more time, or accept the wider CI",
            )
        )
    cost = instrumentation_cost(run)
    if cost is not None and cost.value - 1 > INSTRUMENTATION_TOLERANCE_REL:
        out.append(
            Diagnostic(
                "marks_cost",
                "warning",
                f"per-step marks make a sequence {cost.value - 1:.2%} slower "
                f"(allowed {INSTRUMENTATION_TOLERANCE_REL:.0%})",
                "compare TTFT and end-to-end, which need no per-step marks",
                {"ratio": cost.value},
            )
        )
    return out
