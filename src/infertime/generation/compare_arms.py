"""A live comparison of generate configurations as a `compare` result; torch-free.

The interleaved rounds (interleave.py) hold each configuration's timed calls per round; each
becomes an `Arm` of a CompareResult in "interleaved" mode whose groups are the rounds and whose
samples are the chosen figure per call (TTFT, TPOT or the whole sequence, device path), so that
the ratio to the baseline, its CI paired by round, the verdict and the gate are compare's own
(comparison/result.py and ratios.py), and show, exports and the report read it as any compare
result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..comparison.checks import check_compare
from ..comparison.result import Arm, CompareAnalysis, CompareResult
from ..devices.base import MemoryReading
from ..errors import ConfigError
from ..policies import ComparePolicy
from ..records import Settings, WarmupRecord
from .interleave import InterleavedSequences
from .records import SequenceRecord

# compare's figure -> the name interleave.py's stopping rule uses (its ratios are scale-free:
# the TPOT ratio's relative CI is the decode time's, whatever N - 1 divides it by).
INTERLEAVE_FIGURE = {"ttft": "ttft", "tpot": "decode", "e2e": "whole", "latency": "whole"}

ONE_COPY = (
    "generate configurations are built once each: a copy of a causal LM with its KV cache "
    "doubles the memory, and copies are not implemented for them yet, so the spread between "
    "copies of one model (docs/statistics.md) is not in the ratio's CI"
)


def figure_of(figure: str) -> str:
    """compare's --figure for generate configurations: ttft, tpot or e2e (latency = e2e)."""
    if figure not in INTERLEAVE_FIGURE:
        raise ConfigError(
            f"generate configurations are compared by --figure ttft, tpot or e2e (latency: "
            f"e2e; device path, per call), not {figure}"
        )
    return "e2e" if figure == "latency" else figure


def call_value(record: SequenceRecord, figure: str, new_tokens: int) -> float:
    """One call's figure in seconds: TTFT, TPOT (decode time / (N - 1)) or the whole sequence."""
    if figure == "ttft":
        return record.ttft_s
    if figure == "tpot":
        return record.decode_s / (new_tokens - 1)
    return record.whole_s


def generation_compare_result(
    run: InterleavedSequences,
    names: Sequence[str],
    new_tokens: Sequence[int],
    settings: Sequence[Settings],
    warmups: Sequence[WarmupRecord | None],
    memory: Sequence[MemoryReading | None],
    policy: ComparePolicy,
    analysis: CompareAnalysis,
    environment: dict[str, object],
    per_item: bool = False,
) -> CompareResult:
    """The compare result of interleaved generate arms (`policy.figure`: ttft, tpot, e2e)."""
    figure = figure_of(policy.figure)
    arms = tuple(
        Arm(
            name=names[i],
            settings=settings[i],
            groups=tuple(
                tuple(call_value(s, figure, new_tokens[i]) for s in calls)
                for calls in run.rounds[i]
            ),
            calls_per_sample=1,
            warmup=warmups[i],
            memory=memory[i],
        )
        for i in range(len(names))
    )
    result = CompareResult(
        settings=arms[0].settings,
        environment=dict(environment),
        mode="interleaved",
        figure=figure,
        arms=arms,
        policy=replace(policy, figure=figure),
        stop=run.stop,
        orders=run.orders,
        per_item=per_item,
        analysis=analysis,
    )
    return result.with_diagnostics(tuple(check_compare(result)))
