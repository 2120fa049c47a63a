"""A live comparison of generate configurations as a `compare` result; torch-free.

The interleaved rounds (interleave.py) hold each timed call per arm and round, an arm being
one copy of one configuration (`owners[arm]`: its configuration). Each configuration becomes
an `Arm` of a CompareResult in "interleaved" mode whose groups are the rounds and whose
samples are the chosen figure per call of all its copies (TTFT, TPOT or the whole sequence,
device path); each later copy's time against its first copy is a `CopyAgreement`, so that the
ratio to the baseline, its CI paired by round with the copies' spread as a random effect, the
verdict and the gate are compare's own (comparison/result.py and ratios.py), and show, exports
and the report read it as any compare result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from .. import stats
from ..comparison.checks import check_compare
from ..comparison.ratios import copy_ratio, interleaved_half_width
from ..comparison.result import Arm, CompareAnalysis, CompareResult, CopyAgreement
from ..devices.base import MemoryReading
from ..errors import ConfigError
from ..policies import ComparePolicy
from ..records import Settings, WarmupRecord
from .interleave import InterleavedSequences
from .records import SequenceRecord

FIGURES = ("ttft", "tpot", "e2e")


def figure_of(figure: str) -> str:
    """compare's --figure for generate configurations: ttft, tpot or e2e (latency = e2e)."""
    if figure == "latency":
        return "e2e"
    if figure not in FIGURES:
        raise ConfigError(
            f"generate configurations are compared by --figure ttft, tpot or e2e (latency: "
            f"e2e; device path, per call), not {figure}"
        )
    return figure


def call_value(record: SequenceRecord, figure: str, new_tokens: int) -> float:
    """One call's figure in seconds: TTFT, TPOT (decode time / (N - 1)) or the whole sequence."""
    if figure == "ttft":
        return record.ttft_s
    if figure == "tpot":
        return record.decode_s / (new_tokens - 1)
    return record.whole_s


def by_copy(
    run: InterleavedSequences, owners: Sequence[int], config: int, figure: str, new_tokens: int
) -> list[list[list[float]]]:
    """A configuration's figure per call, [copy][round][call], copies in build order."""
    return [
        [[call_value(s, figure, new_tokens) for s in calls] for calls in run.rounds[arm]]
        for arm, owner in enumerate(owners)
        if owner == config
    ]


def pooled(copies: Sequence[Sequence[Sequence[float]]]) -> tuple[tuple[float, ...], ...]:
    """Each round's calls of every copy together (one group per round)."""
    rounds = len(copies[0])
    return tuple(tuple(x for c in copies for x in c[r]) for r in range(rounds))


def stop_width(
    owners: Sequence[int], figure: str, new_tokens: Sequence[int], confidence: float
) -> Callable[[InterleavedSequences], float | None]:
    """The stopping rule's evidence: the widest relative half-width of the ratios to the
    baseline, each as the result will compute it (paired by round, copies' spread in)."""
    configs = len(new_tokens)

    def width(run: InterleavedSequences) -> float | None:
        copies = [by_copy(run, owners, i, figure, new_tokens[i]) for i in range(configs)]
        base = [stats.median(g) for g in pooled(copies[0])]
        widths = []
        for i in range(1, configs):
            other = [stats.median(g) for g in pooled(copies[i])]
            widths.append(interleaved_half_width(base, other, i, copies, confidence))
        known = [w for w in widths if w is not None]
        return max(known) if len(known) == len(widths) else None

    return width


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
    owners: Sequence[int] | None = None,
) -> CompareResult:
    """The compare result of interleaved generate arms (`policy.figure`: ttft, tpot, e2e);
    `owners[arm]`: the configuration each arm is a copy of (default: one arm each)."""
    figure = figure_of(policy.figure)
    owners = list(owners) if owners is not None else list(range(len(names)))
    copies = [by_copy(run, owners, i, figure, new_tokens[i]) for i in range(len(names))]
    agreement = [
        CopyAgreement(names[i], k, r.value, r.ci, policy.confidence)
        for i, cs in enumerate(copies)
        for k, r in ((k, copy_ratio(cs[0], c, policy.confidence)) for k, c in enumerate(cs[1:], 2))
    ]
    arms = tuple(
        Arm(
            name=names[i],
            settings=settings[i],
            groups=pooled(copies[i]),
            calls_per_sample=1,
            warmup=warmups[i],
            memory=memory[i],
        )
        for i in range(len(names))
    )
    several = len(owners) > len(names)
    analysis = replace(
        analysis,
        copies=tuple(agreement),
        owners=tuple(owners) if several else (),
    )
    result = CompareResult(
        settings=arms[0].settings,
        environment=dict(environment),
        mode="interleaved",
        figure=figure,
        arms=arms,
        policy=replace(policy, figure=figure, copies=len(owners) // len(names)),
        stop=run.stop,
        orders=run.orders,
        per_item=per_item,
        analysis=analysis,
    )
    return result.with_diagnostics(tuple(check_compare(result)))
