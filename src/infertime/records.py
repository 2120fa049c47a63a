"""The parts every result is made of: raw series, stop and warm-up records, findings, settings.

Plain frozen dataclasses, torch-free. Their file form is declared by their fields (see
resultfile.py); statistics are never stored in them, only derived from raw samples.
"""

from __future__ import annotations

import html
import importlib
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

from typing_extensions import Self

from . import stats
from ._version import __version__
from .policies import MeasureConfig
from .sections import Analysis
from .specs.spec import WorkloadSpec

# No call of a model takes this long: a file that says so is damaged (and its statistics would
# overflow).
MAX_SAMPLE_S = 7 * 24 * 3600.0
MIN_SAMPLE_S = 1e-12

FIGURE_LABELS = {
    "latency": "latency (synchronous request, per call)",
    "device_time": "device time per call (pipelined)",
    "graph_latency": "CUDA-graph replay latency (per call)",
}


@dataclass(frozen=True)
class StopRecord:
    """Why sampling of one figure stopped."""

    reason: str  # "precision" | "max_time" | "max_samples"
    message: str
    target_rel: float
    achieved_rel: float | None
    elapsed_s: float

    @property
    def met_target(self) -> bool:
        return self.achieved_rel is not None and self.achieved_rel <= self.target_rel


@dataclass(frozen=True)
class Series:
    """Raw per-call durations of one figure, one per sample; a sample may cover a block of calls."""

    figure: str
    samples_s: tuple[float, ...]
    calls_per_sample: int
    sample_end_offsets_s: tuple[float, ...] = ()  # host time at each sample's end, from the start
    stop: StopRecord | None = None
    start_ns: int = 0  # device.now_ns() at the series start (CLOCK_MONOTONIC on Linux hosts)
    confidence: float = 0.95

    def __post_init__(self) -> None:
        # What no timer produces: a damaged result file is refused when it is read.
        if not self.samples_s:
            raise ValueError(f"series {self.figure!r} has no samples")
        if any(not (x >= 0 and math.isfinite(x)) for x in self.samples_s):
            raise ValueError(f"series {self.figure!r} has a negative or non-finite sample")
        if all(x == 0 for x in self.samples_s):
            raise ValueError(f"series {self.figure!r} has only samples of 0 s")
        if any(0 < x < MIN_SAMPLE_S for x in self.samples_s):
            # even a nanosecond timer over a million calls per sample gives more
            raise ValueError(f"series {self.figure!r} has a sample shorter than a picosecond")
        if any(x > MAX_SAMPLE_S for x in self.samples_s):
            raise ValueError(f"series {self.figure!r} has a sample longer than a week")
        if self.calls_per_sample < 1:
            raise ValueError(f"series {self.figure!r} has {self.calls_per_sample} calls per sample")

    @cached_property
    def summary(self) -> stats.Summary:
        return stats.summarize(self.samples_s, self.confidence, self.calls_per_sample)

    @property
    def label(self) -> str:
        return FIGURE_LABELS.get(self.figure, self.figure)


@dataclass(frozen=True)
class WarmupRecord:
    """How warm-up went: its length is measured, not assumed."""

    calls: int
    seconds: float
    steady: bool
    message: str
    cold_call_s: float  # the first call in this process on these inputs (latency)
    samples_s: tuple[float, ...] = ()

    def recent_call_s(self, calls: int) -> float:
        """Median of the last `calls` warm-up samples: what a settled call takes."""
        return stats.median(self.samples_s[-calls:])


@dataclass(frozen=True)
class Diagnostic:
    """One finding about a measurement: what, how serious, and what would help."""

    code: str
    severity: str  # "info" | "warning"
    message: str
    advice: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ContextRecord:
    """What the measurement context set, read back from inside it (workload/context.py)."""

    threads: int  # torch intra-op threads
    interop_threads: int
    grad_enabled: bool
    inference_mode: bool
    model_training: bool
    current_device: str  # the device code that allocates on "the current device" uses
    gc_enabled: bool  # Python's garbage collector (paused while timing)


@dataclass(frozen=True)
class InputsRecord:
    """The inputs each call gets, per item (no batch dimension), and how they were made."""

    item_shapes: tuple[tuple[int, ...], ...]
    dtypes: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Settings:
    """What was measured and how: the resolved workload, the context it ran in, its inputs."""

    workload: WorkloadSpec  # model reference, batch, device resolved; threads as requested
    context: ContextRecord
    inputs: InputsRecord
    timer: str
    method: MeasureConfig

    @property
    def model(self) -> str:
        return self.workload.model

    @property
    def batch_size(self) -> int:
        """The batch of every call (latency and pitfalls; throughput results vary it)."""
        if self.workload.batch_size is None:
            raise ValueError("this result varies the batch size; see its points")
        return self.workload.batch_size

    @property
    def device(self) -> str:
        return self.workload.device

    @property
    def threads(self) -> int:
        """The intra-op threads the measurement ran with (read inside the context)."""
        return self.context.threads

    @property
    def dtype_label(self) -> str:
        return self.workload.dtype_label

    @property
    def channels_last(self) -> bool:
        return self.workload.channels_last

    @property
    def input_shapes(self) -> tuple[tuple[int, ...], ...]:
        """Full shapes of one call's inputs, batch dimension first."""
        return tuple((self.batch_size, *s) for s in self.inputs.item_shapes)


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True, kw_only=True)
class ResultBase:
    """What every result kind has: its settings, the machine, findings, and when and by what."""

    settings: Settings
    environment: dict[str, Any]
    diagnostics: tuple[Diagnostic, ...] = ()
    # What the pipeline's probes recorded (sections.py); each kind's result narrows the type.
    analysis: Analysis = field(default_factory=Analysis)
    created_utc: str = field(default_factory=utc_now)
    infertime_version: str = __version__

    def with_diagnostics(self, extra: tuple[Diagnostic, ...]) -> Self:
        return replace(self, diagnostics=self.diagnostics + extra)

    def __str__(self) -> str:
        """The result as `infertime show` prints it (80 columns). Durations in results are
        seconds (`Series.summary.median`, `_s` names); throughputs items per second."""
        # By name: rendering sits above results in the layers (a kind renders its own).
        text: str = importlib.import_module("infertime.reporting.show").render_text(self)
        return text

    def _repr_html_(self) -> str:
        """In a notebook: the same text, in a monospaced block."""
        return f"<pre>{html.escape(str(self))}</pre>"
