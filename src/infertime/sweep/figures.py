"""The figures a sweep table shows, read from each point's result (statistics recomputed from
its raw samples by loading it, never taken from the file's derived sections).

run: synchronous latency per call at the point's batch and throughput from pipelined device
time. throughput: the peak (its batch, items/s, latency per call there) and the curve. pitfalls:
the correct method's median. Each with the 95 % CI of its median.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..resultfile import from_document


@dataclass(frozen=True)
class Candidate:
    """One (batch, latency, throughput) a configuration offers: a run point, or one point of a
    throughput curve. The Pareto front and the choices pick among these."""

    batch: int
    latency_s: float | None  # median latency per call (synchronous request)
    latency_p99_s: float | None  # None when too few samples for a p99
    items_per_s: float | None


@dataclass(frozen=True)
class PointFigures:
    headline: str  # what `value_s` / the CI are: "latency", "peak throughput", "correct"
    median: float | None  # headline figure (seconds, or items/s for throughput)
    ci: tuple[float, float] | None
    batch: int | None
    latency_s: float | None
    latency_ci_s: tuple[float, float] | None
    items_per_s: float | None
    items_per_s_ci: tuple[float, float] | None
    candidates: tuple[Candidate, ...]
    warnings: int


def read_figures(document: dict[str, Any]) -> PointFigures:
    result = from_document(document, "a point's result")
    warnings = sum(1 for d in result.diagnostics if d.severity == "warning")
    if result.kind == "latency":
        return _latency(result, warnings)
    if result.kind == "throughput":
        return _throughput(result, warnings)
    if result.kind == "generate":
        return _generate(result, warnings)
    return _pitfalls(result, warnings)


def _generate(r: Any, warnings: int) -> PointFigures:
    """Generation: the headline is the median device TTFT of its (first) batch; tokens/s are
    batch / median device TPOT (decode, pipelined within the sequence)."""
    figures = r.device_figures()
    ttft, tpot = figures["ttft_s"].summary, figures["tpot_s"].summary
    ci = tuple(ttft.median_ci) if ttft.median_ci else None
    batch = r.run.spec.batch_size
    tokens_s = batch / tpot.median if tpot.median > 0 else None
    cand = Candidate(batch, ttft.median, _p99(ttft), tokens_s)
    return PointFigures("TTFT", ttft.median, ci, batch, ttft.median, ci, tokens_s, None,
                        (cand,), warnings)  # fmt: skip


def _p99(summary: Any) -> float | None:
    for t in summary.tails:
        if t.label == "99" or t.label == "p99":
            return float(t.value) if t.value is not None else None
    return None


def _latency(r: Any, warnings: int) -> PointFigures:
    s = r.latency.summary
    ci = tuple(s.median_ci) if s.median_ci else None
    tci = tuple(r.throughput_ci) if r.throughput_ci else None
    batch = r.settings.batch_size
    cand = Candidate(batch, s.median, _p99(s), r.throughput_items_per_s)
    return PointFigures(
        "latency",
        s.median,
        ci,
        batch,
        s.median,
        ci,
        r.throughput_items_per_s,
        tci,
        (cand,),
        warnings,
    )


def _throughput(r: Any, warnings: int) -> PointFigures:
    candidates = []
    for p in r.points:
        if not p.ok:
            continue
        lat = p.latency.summary if p.latency is not None else None
        candidates.append(
            Candidate(
                p.batch, lat.median if lat else None, _p99(lat) if lat else None, p.items_per_s
            )
        )
    ok = [p for p in r.points if p.batch == r.peak_batch and p.ok]
    if not ok:
        return PointFigures(
            "peak throughput", None, None, None, None, None, None, None, tuple(candidates), warnings
        )
    peak = ok[0]
    ci = peak.items_per_s_ci
    lat = peak.latency.summary if peak.latency is not None else None
    lat_ci = tuple(lat.median_ci) if lat is not None and lat.median_ci else None
    return PointFigures(
        "peak throughput",
        peak.items_per_s,
        ci,
        peak.batch,
        lat.median if lat else None,
        lat_ci,
        peak.items_per_s,
        ci,
        tuple(candidates),
        warnings,
    )


def _pitfalls(r: Any, warnings: int) -> PointFigures:
    s = r.row("correct").summary
    ci = tuple(s.median_ci) if s.median_ci else None
    batch = r.settings.batch_size
    return PointFigures("correct", s.median, ci, batch, s.median, ci, None, None, (), warnings)
