"""The result of `infertime generate` and its file form: raw marks per timed call, derived on load.

One result holds one timed run per batch (one for `--batch-size 4`, one per batch of a sweep
or an SLO search), the sweep's points and choice where there was a sweep, and the pipeline's
probes (`analysis`). Every statistic is derived from the raw `SequenceRecord`s (figures.py);
the derived sections of the file are written for readers and ignored on load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from typing_extensions import TypedDict  # pydantic reads it on Python < 3.12

from .. import stats
from ..energy.records import EnergyRecord
from ..records import ResultBase
from ..repeats import AcrossProcesses, across_processes
from ..resultfile import Document, KindFormat
from ..sections import Analysis, LaunchAnalysis
from . import figures as fig
from .records import GenerationRun
from .slo import BatchPoint, Slo, SloChoice


@dataclass(frozen=True)
class GenerateAnalysis(Analysis):
    """The probes' sections, and the kernel-time pass (GPU) of one whole sequence of the
    device path (the first batch timed; `launch.latency_s` is its whole-sequence time)."""

    launch: LaunchAnalysis | None = None
    # --energy: one section, whole calls of the timed batch (J per sequence and per token)
    energy: EnergyRecord | None = None


@dataclass(frozen=True)
class SweepRecord:
    """A batch sweep: the batches asked for (None: an SLO search up to `max_batch`), each
    batch's point (tokens/s per GPU against per user), and the SLO's choice."""

    batches: tuple[int, ...] | None
    max_batch: int
    points: tuple[BatchPoint, ...]
    slo: Slo | None = None
    choice: SloChoice | None = None


@dataclass(frozen=True)
class GenerationProcess:
    """One fresh process of `--processes`: its per-call device TTFT and TPOT, its wall time."""

    ttft_s: tuple[float, ...]
    tpot_s: tuple[float, ...]
    wall_s: float

    @classmethod
    def of(cls, r: GenerationResult) -> GenerationProcess:
        f = fig.device_figures(r.run)
        wall = r.analysis.wall_s.total_s if r.analysis.wall_s else 0.0
        return cls(f["ttft_s"].values, f["tpot_s"].values, wall)


@dataclass(frozen=True, kw_only=True)
class GenerationResult(ResultBase):
    """Text generation of one causal LM configuration: the device path (own prefill + decode
    loop, device marks) and the caller's path (generate() as users call it, host clock) of
    each batch timed, never mixed in one figure."""

    kind: ClassVar[str] = "generate"

    runs: tuple[GenerationRun, ...]
    sweep: SweepRecord | None = None
    processes: tuple[GenerationProcess, ...] = ()  # --processes: every fresh process
    analysis: GenerateAnalysis = field(default_factory=GenerateAnalysis)

    def __post_init__(self) -> None:
        if not self.runs and (self.sweep is None or not self.sweep.points):
            raise ValueError("a generation result holds at least one timed batch")

    @property
    def run(self) -> GenerationRun:
        """The run of a single batch (the first batch of a sweep)."""
        if not self.runs:
            raise KeyError("no batch of this sweep ran (see sweep.points)")
        return self.runs[0]

    def device_figures(self, batch: int | None = None) -> dict[str, fig.Figure]:
        return fig.device_figures(self._at(batch))

    def caller_figures(self, batch: int | None = None) -> dict[str, fig.Figure]:
        return fig.caller_figures(self._at(batch))

    def _at(self, batch: int | None) -> GenerationRun:
        if batch is None:
            return self.run
        for r in self.runs:
            if r.spec.batch_size == batch:
                return r
        raise KeyError(f"batch {batch} was not timed")

    def across(self, figure: str) -> AcrossProcesses | None:
        """Median TTFT ("ttft_s") or TPOT ("tpot_s") over the fresh processes (None for one)."""
        if not self.processes:
            return None
        values = [getattr(p, figure) for p in self.processes]
        summaries = [stats.summarize(v) for v in values]
        return across_processes(
            [s.median for s in summaries], [s.median_ci_rel for s in summaries], 0.95
        )

    @property
    def ttft_s(self) -> float:
        """Median device TTFT of the (first) batch."""
        return fig.device_figures(self.run)["ttft_s"].median

    @property
    def tpot_s(self) -> float:
        """Median device TPOT of the (first) batch."""
        return fig.device_figures(self.run)["tpot_s"].median


# -- file form ------------------------------------------------------------------------------


class FigureRecord(TypedDict):
    """One figure over the timed calls (the call is the CI's unit)."""

    label: str
    unit: str
    n: int
    median: float
    median_ci: list[float] | None
    median_ci_rel: float | None
    mean: float
    min: float
    max: float


class ToolRecord(TypedDict):
    """One figure as another tool defines it, computed on these token times."""

    tool: str
    name: str
    definition: str
    source: str
    pooled: bool
    mean: float
    median: float
    std: float
    percentiles: dict[str, float]


class RunDerived(TypedDict):
    batch_size: int
    device_path: dict[str, FigureRecord]
    caller_path: dict[str, FigureRecord]
    marks_gap_rel: float | None
    kv_bytes_per_token_config: int | None
    kv_bytes_per_token_measured: float | None
    peak_memory_bytes: int | None
    caller_cost_ratio: float | None
    caller_cost_ratio_ci: list[float] | None
    host_syncs_per_token: float | None
    tool_views: dict[str, list[ToolRecord]]


class GenerationDerived(TypedDict):
    by_batch: list[RunDerived]


def figure_record(f: fig.Figure) -> FigureRecord:
    s = f.summary
    return {
        "label": f.label,
        "unit": f.unit,
        "n": s.n,
        "median": s.median,
        "median_ci": list(s.median_ci) if s.median_ci else None,
        "median_ci_rel": s.median_ci_rel,
        "mean": s.mean,
        "min": s.min,
        "max": s.max,
    }


def tool_record(t: Any) -> ToolRecord:
    return {
        "tool": t.tool,
        "name": t.name,
        "definition": t.definition,
        "source": t.source,
        "pooled": t.pooled,
        "mean": t.mean,
        "median": t.median,
        "std": t.std,
        "percentiles": dict(t.percentiles),
    }


def run_derived(run: GenerationRun) -> RunDerived:
    mem = fig.memory(run)
    cost = fig.caller_cost(run)
    return {
        "batch_size": run.spec.batch_size,
        "device_path": {k: figure_record(f) for k, f in fig.device_figures(run).items()},
        "caller_path": {k: figure_record(f) for k, f in fig.caller_figures(run).items()},
        "marks_gap_rel": fig.marks_gap(run),
        "kv_bytes_per_token_config": mem.kv_bytes_per_token_config,
        "kv_bytes_per_token_measured": mem.kv_bytes_per_token_measured,
        "peak_memory_bytes": mem.peak_allocated_bytes,
        "caller_cost_ratio": cost.ratio.value if cost else None,
        "caller_cost_ratio_ci": list(cost.ratio.ci) if cost and cost.ratio.ci else None,
        "host_syncs_per_token": cost.host_syncs_per_token if cost else None,
        "tool_views": {
            path: [tool_record(t) for t in views] for path, views in fig.tool_views(run).items()
        },
    }


def _derived(r: GenerationResult) -> Document:
    derived: GenerationDerived = {"by_batch": [run_derived(run) for run in r.runs]}
    return dict(derived)


# New in schema version 6: no older files of this kind exist.
FORMAT = KindFormat(GenerationResult, _derived, GenerationDerived, upgrades={})
