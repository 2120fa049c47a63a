"""Ratios of per-call times with their CIs, the verdict in words, and the regression gate.

A ratio is always other / baseline time per call: above 1 the other configuration is slower.
Three sources, three methods (the simulation in benchmarks/compare_simulation.py checks them):
- interleaved rounds in one process: one ratio per round, paired; the median of the round
  ratios with the order-statistic CI widened for serial correlation between rounds (the same
  interval as a figure's median, stats.median_ci), so a slow host state that outlasts a round
  widens the interval instead of fooling it;
- fresh processes (repeats): each process gives one median per configuration; the geometric
  mean ratio with a t interval on the log ratios, paired by process where the processes
  alternate (ABAB...), Welch's otherwise;
- two single-process results: independent samples; the medians' own CIs combined on the log
  scale. Between-process spread is invisible to this one (docs/statistics.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .. import stats

PAIRED_ROUNDS = "paired rounds, interleaved in one process"
INDEPENDENT = "independent samples from two results"
PROCESSES_PAIRED = "paired fresh processes"
PROCESSES = "fresh processes"


@dataclass(frozen=True)
class Ratio:
    """Time per call of one configuration over the baseline's, with its CI."""

    value: float
    ci: tuple[float, float] | None
    confidence: float
    method: str
    n: int  # rounds, samples (the smaller side) or processes it rests on

    @property
    def half_width(self) -> float | None:
        """The larger distance from the ratio to a CI bound, relative to the ratio."""
        return stats.relative_half_width(self.value, self.ci)


def paired_ratio(
    base_rounds: Sequence[float], other_rounds: Sequence[float], confidence: float = 0.95
) -> Ratio:
    """Median of the per-round ratios, with the serially widened order-statistic CI."""
    ratios = [o / b for b, o in zip(base_rounds, other_rounds, strict=True)]
    return Ratio(
        stats.median(ratios),
        stats.median_ci(ratios, confidence),
        confidence,
        PAIRED_ROUNDS,
        len(ratios),
    )


@dataclass(frozen=True)
class CopySpread:
    """How much copies of one model differ in time (what the process does to a copy: when it
    was built, where its memory lies), pooled over configurations: the variance of one copy's
    log time offset, with its degrees of freedom."""

    log_var: float
    df: int


def copy_spread(copy_logs: Sequence[Sequence[float]]) -> CopySpread | None:
    """From each configuration's copies' log times (one list per configuration): the pooled
    within-configuration variance; None where no configuration has two copies."""
    ss, df = 0.0, 0
    for logs in copy_logs:
        if len(logs) < 2:
            continue
        m = stats.mean(logs)
        ss += math.fsum((x - m) ** 2 for x in logs)
        df += len(logs) - 1
    return CopySpread(ss / df, df) if df else None


COPIES = "copies as a random effect"


def with_copies(ratio: Ratio, spread: CopySpread | None, k_base: int, k_other: int) -> Ratio:
    """The ratio's CI with the copies' own spread added: each configuration's figure is the
    pool of its k copies, whose offsets do not change from round to round, so the rounds
    cannot see them. Their variance on the log scale (1/k_base + 1/k_other of one copy's,
    t-scaled for its degrees of freedom) is added in quadrature to each side of the CI."""
    if spread is None or ratio.ci is None or ratio.ci[0] <= 0:
        return ratio
    t = stats.t_quantile(1 - (1 - ratio.confidence) / 2, spread.df)
    h_copies = t * math.sqrt(spread.log_var * (1 / k_base + 1 / k_other))
    lo_log = math.log(ratio.value / ratio.ci[0])
    hi_log = math.log(ratio.ci[1] / ratio.value)
    lo = ratio.value * math.exp(-math.hypot(lo_log, h_copies))
    hi = ratio.value * math.exp(math.hypot(hi_log, h_copies))
    return Ratio(ratio.value, (lo, hi), ratio.confidence, f"{ratio.method}, {COPIES}", ratio.n)


def copy_ratio(
    first: Sequence[Sequence[float]], other: Sequence[Sequence[float]], confidence: float = 0.95
) -> Ratio:
    """A later copy's time against its configuration's first copy: paired by round where both
    ran in every round (two copies), else from all their samples (more copies take turns)."""
    if all(first) and all(other) and len(first) == len(other):
        return paired_ratio(
            [stats.median(r) for r in first], [stats.median(r) for r in other], confidence
        )
    a = [x for r in first for x in r]
    b = [x for r in other for x in r]
    return independent_ratio(a, b, confidence)


def interleaved_ratio(
    base_rounds: Sequence[float],
    other_rounds: Sequence[float],
    copy_logs: Sequence[Sequence[float]],
    copies: tuple[int, int],
    confidence: float = 0.95,
) -> Ratio:
    """The ratio of an interleaved comparison: paired by round, with the copies' spread
    (`copy_logs`: each configuration's copies' log times relative to its first copy; `copies`:
    how many the baseline and the other configuration have) as a random effect."""
    paired = paired_ratio(base_rounds, other_rounds, confidence)
    return with_copies(paired, copy_spread(copy_logs), *copies)


def paired_half_width(
    base_rounds: Sequence[float], other_rounds: Sequence[float], confidence: float = 0.95
) -> float | None:
    return paired_ratio(base_rounds, other_rounds, confidence).half_width


def copy_logs(
    copies: Sequence[Sequence[Sequence[Sequence[float]]]], confidence: float = 0.95
) -> list[list[float]]:
    """Each configuration's copies' log times relative to its first copy (0 for the first),
    from their samples [config][copy][round]."""
    out = []
    for by_copy in copies:
        first = by_copy[0]
        out.append([0.0] + [math.log(copy_ratio(first, c, confidence).value) for c in by_copy[1:]])
    return out


def interleaved_half_width(
    base_rounds: Sequence[float],
    other_rounds: Sequence[float],
    other: int,
    copies: Sequence[Sequence[Sequence[Sequence[float]]]],
    confidence: float = 0.95,
) -> float | None:
    """The stopping rule's evidence while interleaving (engine/interleave.py): the relative
    half-width of `interleaved_ratio`'s CI."""
    counts = (len(copies[0]), len(copies[other])) if copies else (1, 1)
    logs = copy_logs(copies, confidence) if any(len(c) > 1 for c in copies) else []
    return interleaved_ratio(base_rounds, other_rounds, logs, counts, confidence).half_width


def independent_ratio(
    base: Sequence[float], other: Sequence[float], confidence: float = 0.95
) -> Ratio:
    """Ratio of two medians from independent time-ordered series; the two medians' CIs
    (each allowing for serial correlation) combined in quadrature on the log scale."""
    mb, mo = stats.median(base), stats.median(other)
    value = mo / mb
    n = min(len(base), len(other))
    cb, co = stats.median_ci(base, confidence), stats.median_ci(other, confidence)
    if cb is None or co is None or min(cb[0], co[0]) <= 0:
        return Ratio(value, None, confidence, INDEPENDENT, n)
    # Each CI's half-width on the log scale, the wider side (the intervals are not symmetric).
    hb = max(math.log(mb / cb[0]), math.log(cb[1] / mb))
    ho = max(math.log(mo / co[0]), math.log(co[1] / mo))
    half = math.hypot(hb, ho)
    ci = (value * math.exp(-half), value * math.exp(half))
    return Ratio(value, ci, confidence, INDEPENDENT, n)


def process_ratio(
    base_medians: Sequence[float],
    other_medians: Sequence[float],
    confidence: float = 0.95,
    paired: bool = True,
) -> Ratio:
    """Geometric-mean ratio of per-process medians with a t interval on the logs.

    paired: process i of each configuration ran next to each other (ABAB...), so the log ratios
    of the pairs are the data; otherwise Welch's interval for a difference of two log means.
    """
    lb = [math.log(x) for x in base_medians]
    lo = [math.log(x) for x in other_medians]
    if paired:
        d = [o - b for b, o in zip(lb, lo, strict=True)]
        k = len(d)
        centre = stats.mean(d)
        if k < 2:
            return Ratio(math.exp(centre), None, confidence, PROCESSES_PAIRED, k)
        t = stats.t_quantile(1 - (1 - confidence) / 2, k - 1)
        half = t * stats.sample_std(d) / math.sqrt(k)
        ci = (math.exp(centre - half), math.exp(centre + half))
        return Ratio(math.exp(centre), ci, confidence, PROCESSES_PAIRED, k)
    centre = stats.mean(lo) - stats.mean(lb)
    n = min(len(lb), len(lo))
    if n < 2:
        return Ratio(math.exp(centre), None, confidence, PROCESSES, n)
    vb, vo = stats.sample_std(lb) ** 2 / len(lb), stats.sample_std(lo) ** 2 / len(lo)
    se = math.sqrt(vb + vo)
    # Welch-Satterthwaite degrees of freedom (at least 1).
    df_den = (vb**2 / (len(lb) - 1) if vb else 0.0) + (vo**2 / (len(lo) - 1) if vo else 0.0)
    df = max(1, round((vb + vo) ** 2 / df_den)) if df_den > 0 else n - 1
    half = stats.t_quantile(1 - (1 - confidence) / 2, df) * se
    ci = (math.exp(centre - half), math.exp(centre + half))
    return Ratio(math.exp(centre), ci, confidence, PROCESSES, n)


def ratio_digits(value: float, ci: tuple[float, float] | None) -> int:
    """Decimals enough to show the CI's width: the bounds and the value printed apart (three
    at least, six at most)."""
    if ci is None:
        return 3
    for d in range(3, 7):
        shown = {f"{x:.{d}f}" for x in (ci[0], value, ci[1])}
        if len(shown) == 3 or (ci[0] == ci[1]):
            return d
    return 6


def ratio_text(value: float, ci: tuple[float, float] | None = None) -> str:
    """A time ratio with the decimals its CI needs: '0.656', '1.0024'."""
    return f"{value:.{ratio_digits(value, ci)}f}"


def ci_text(ci: tuple[float, float], value: float) -> str:
    d = ratio_digits(value, ci)
    return f"{ci[0]:.{d}f}–{ci[1]:.{d}f}"


def percent_text(fraction: float) -> str:
    """A share in percent with one decimal, more where it would print as 0.0."""
    pct = abs(fraction) * 100
    return f"{pct:.1f}" if pct >= 0.1 or pct == 0 else f"{pct:.2g}"


# Effects smaller than this are said in percent of time, larger ones as a time ratio.
PERCENT_BELOW = 0.10


@dataclass(frozen=True)
class Decision:
    """What a ratio lets one say: "faster", "slower", "same" (no difference beyond ±x) or
    "undecided" (no CI, or one wider than the precision target); `text` says it in words."""

    kind: str
    text: str


def decide(
    ratio: Ratio,
    other: str,
    base: str,
    precision: float,
    *,
    what_would_decide: str = "",
    unit: str = "rounds",
    why_no_ci: str = "",
) -> Decision:
    """The verdict: "no difference beyond ±x" only where the CI holds 1 and is within
    ±`precision` (the target); faster or slower only where the CI excludes 1 and is within
    the target or within half the effect it claims (a 5 % change with a ±1.3 % CI is called;
    a CI of 1.2-1.9 is not); otherwise undecided, with the interval it has and what would
    decide it. A CI that allows for the copies' spread (a random effect) rarely meets ±1 % at
    small effects with two copies; the rule keeps clear effects decided without calling
    marginal ones.

    One convention throughout: the time ratio (other / baseline time per call or item), in
    percent of time for effects under 10 %."""
    conf = f"{round(ratio.confidence * 100)} % CI"
    if ratio.ci is None:
        return Decision(
            "undecided",
            f"{other} against {base}: undecided after {ratio.n} {unit}: time ratio "
            f"{ratio_text(ratio.value)} with no CI ({why_no_ci or f'too few {unit} yet'})"
            + (f"; {what_would_decide}" if what_would_decide else ""),
        )
    lo, hi = ratio.ci
    half = ratio.half_width or 0.0
    effect = abs(ratio.value - 1)
    excludes = hi < 1 or lo > 1
    if half > (max(precision, effect / 2) if excludes else precision):
        return Decision(
            "undecided",
            f"{other} against {base}: undecided after {ratio.n} {unit}: time ratio "
            f"{ratio_text(ratio.value, ratio.ci)} ({conf} {ci_text(ratio.ci, ratio.value)}, "
            f"±{percent_text(half)} %, wider than the ±{percent_text(precision)} % target)"
            + (f"; {what_would_decide}" if what_would_decide else ""),
        )
    if lo <= 1 <= hi:
        bound = max(1 - lo, hi - 1)
        return Decision(
            "same",
            f"{other} against {base}: no difference beyond ±{percent_text(bound)} % ({conf} of "
            f"the time ratio {ci_text(ratio.ci, ratio.value)})",
        )
    word = "faster" if hi < 1 else "slower"
    if abs(ratio.value - 1) < PERCENT_BELOW:
        more = "less" if hi < 1 else "more"
        near, far = sorted((abs(lo - 1), abs(hi - 1)))
        return Decision(
            word,
            f"{other} is {word} than {base}: {percent_text(ratio.value - 1)} % {more} time "
            f"({conf} {percent_text(near)}–{percent_text(far)} % {more})",
        )
    return Decision(
        word,
        f"{other} is {word} than {base}: {ratio_text(ratio.value, ratio.ci)}× its time "
        f"({conf} {ci_text(ratio.ci, ratio.value)})",
    )


def verdict_text(ratio: Ratio, other: str, base: str, precision: float = 0.01) -> str:
    """The verdict in words (see `decide`)."""
    return decide(ratio, other, base, precision).text


GATE_STATES = ("passed", "regression", "inconclusive")


def gate_state(ratio: Ratio, threshold: float) -> str:
    """The regression gate for one ratio: "regression" when slower beyond `threshold` with the
    CI's confidence (its lower bound above 1 + threshold), "passed" when not slower beyond it
    with that confidence (its upper bound at most 1 + threshold), else "inconclusive": a CI
    that straddles the threshold, or none, can neither pass nor fail."""
    if ratio.ci is None:
        return "inconclusive"
    if ratio.ci[0] > 1 + threshold:
        return "regression"
    if ratio.ci[1] <= 1 + threshold:
        return "passed"
    return "inconclusive"


def gate_fails(ratio: Ratio, threshold: float) -> bool:
    """The regression gate: slower beyond `threshold` with the CI's confidence (its lower bound
    above 1 + threshold). A point estimate alone never fails it."""
    return ratio.ci is not None and ratio.ci[0] > 1 + threshold
