"""Frozen, validated settings: how to warm up, when to stop sampling, how to time; presets."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import ConfigError

DTYPES = ("fp32", "fp16", "bf16")
DTYPE_MODES = ("cast", "autocast")
DEFAULT_MODEL = "timm:efficientnet_b0"


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ConfigError(f"{name} must be a positive number, got {value!r}")


def _at_least(name: str, value: int, low: int) -> None:
    if not isinstance(value, int) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")


@dataclass(frozen=True)
class WarmupPolicy:
    """Warm up until the series is steady: minimum time and calls, then a windowed test, capped."""

    min_time_s: float = 0.3
    min_calls: int = 10
    window_calls: int = 5  # a window holds at least this many calls ...
    window_time_s: float = 0.05  # ... and at least this much time
    windows: int = 3  # this many consecutive windows must agree
    tolerance: float = 0.01  # relative spread of window medians always accepted
    max_time_s: float = 10.0
    max_calls: int = 200_000

    def __post_init__(self) -> None:
        _positive("warm-up min time", self.min_time_s)
        _positive("warm-up max time", self.max_time_s)
        _positive("warm-up window time", self.window_time_s)
        _positive("warm-up tolerance", self.tolerance)
        _at_least("warm-up min calls", self.min_calls, 1)
        _at_least("warm-up window calls", self.window_calls, 2)
        _at_least("warm-up windows", self.windows, 2)
        _at_least("warm-up max calls", self.max_calls, 1)
        if self.max_time_s < self.min_time_s:
            raise ConfigError("warm-up max time must be at least its min time")


@dataclass(frozen=True)
class StopPolicy:
    """Stop sampling on evidence: the CI of the median within ±precision, bounded by time."""

    precision: float = 0.01  # target relative half-width of the median's CI
    confidence: float = 0.95
    min_samples: int = 20  # 4 batches of 5: the least for the batch-medians CI
    max_samples: int = 1_000_000
    max_time_s: float = 1.5  # sampling budget for all figures of one measurement

    def __post_init__(self) -> None:
        _positive("--precision", self.precision)
        if self.precision >= 1:
            raise ConfigError(f"--precision is a fraction (0.01 = ±1 %), got {self.precision}")
        if not 0.5 <= self.confidence < 1:
            raise ConfigError(f"confidence must be in [0.5, 1), got {self.confidence}")
        _at_least("--min-samples", self.min_samples, 1)
        _at_least("max samples", self.max_samples, self.min_samples)
        _positive("--max-time", self.max_time_s)


@dataclass(frozen=True)
class TimingPolicy:
    """How samples are formed: blocks for short calls, pipelined block length, GC."""

    block_threshold_s: float = 100e-6  # calls shorter than this are timed in blocks
    max_overhead_ratio: float = 0.02  # timer overhead at most this share of one sample
    pipeline_block_s: float = 0.02  # a pipelined sample lasts at least this long ...
    min_pipeline_calls: int = 2  # ... and holds at least this many back-to-back calls
    timer_calibration_pairs: int = 25
    disable_gc: bool = True

    def __post_init__(self) -> None:
        _positive("block threshold", self.block_threshold_s)
        _positive("max overhead ratio", self.max_overhead_ratio)
        _positive("pipelined block time", self.pipeline_block_s)
        _at_least("min pipelined calls", self.min_pipeline_calls, 1)
        _at_least("timer calibration pairs", self.timer_calibration_pairs, 3)


@dataclass(frozen=True)
class MeasureConfig:
    """Everything that decides how a measurement is taken (not what is measured)."""

    warmup: WarmupPolicy = field(default_factory=WarmupPolicy)
    stop: StopPolicy = field(default_factory=StopPolicy)
    timing: TimingPolicy = field(default_factory=TimingPolicy)
    preset: str = "default"

    def with_overrides(
        self,
        *,
        precision: float | None = None,
        max_time_s: float | None = None,
        min_samples: int | None = None,
    ) -> MeasureConfig:
        """A copy with the user's flags applied on top of the preset."""
        stop = self.stop
        changes: dict[str, Any] = {}
        if precision is not None:
            changes["precision"] = precision
        if max_time_s is not None:
            changes["max_time_s"] = max_time_s
        if min_samples is not None:
            changes["min_samples"] = min_samples
            changes["max_samples"] = max(stop.max_samples, min_samples)
        return replace(self, stop=replace(stop, **changes)) if changes else self

    def to_dict(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "warmup": vars(self.warmup).copy(),
            "stop": vars(self.stop).copy(),
            "timing": vars(self.timing).copy(),
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> MeasureConfig:
        return MeasureConfig(
            warmup=WarmupPolicy(**data["warmup"]),
            stop=StopPolicy(**data["stop"]),
            timing=TimingPolicy(**data["timing"]),
            preset=data.get("preset", "custom"),
        )


PRESETS: dict[str, MeasureConfig] = {
    "quick": MeasureConfig(
        warmup=WarmupPolicy(min_time_s=0.1, max_time_s=3.0),
        stop=StopPolicy(precision=0.02, max_time_s=1.0),
        preset="quick",
    ),
    "default": MeasureConfig(),
    "rigorous": MeasureConfig(
        warmup=WarmupPolicy(min_time_s=2.0, tolerance=0.005, max_time_s=30.0),
        stop=StopPolicy(precision=0.005, min_samples=64, max_time_s=30.0),
        preset="rigorous",
    ),
}


def preset(name: str) -> MeasureConfig:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(
            f"unknown preset {name!r}", advice=f"choose one of: {', '.join(PRESETS)}"
        ) from None


@dataclass(frozen=True)
class RunSpec:
    """What is measured: model, inputs, numeric format and device."""

    model: str = DEFAULT_MODEL
    batch_size: int = 1
    input_shape: tuple[int, ...] | None = None  # per item, without the batch dimension
    dtype: str = "fp32"
    dtype_mode: str = "cast"  # "cast": model and inputs converted; "autocast": torch.autocast
    channels_last: bool = False
    device: str = "auto"
    threads: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        _at_least("--batch-size", self.batch_size, 1)
        if self.dtype not in DTYPES:
            raise ConfigError(f"--dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.dtype_mode not in DTYPE_MODES:
            raise ConfigError(f"dtype mode must be one of {DTYPE_MODES}, got {self.dtype_mode!r}")
        if self.dtype == "fp32" and self.dtype_mode == "autocast":
            raise ConfigError("--autocast needs --dtype fp16 or bf16")
        if self.threads is not None:
            _at_least("--threads", self.threads, 1)
        shape = self.input_shape
        if shape is not None and (not shape or any(not isinstance(d, int) or d < 1 for d in shape)):
            raise ConfigError(
                f"--input-shape needs positive integers such as 3,224,224, got {shape}"
            )

    @property
    def dtype_label(self) -> str:
        if self.dtype == "fp32":
            return "fp32"
        return f"{self.dtype} ({'autocast' if self.dtype_mode == 'autocast' else 'model cast'})"


def parse_shape(text: str) -> tuple[int, ...]:
    """'3,224,224' or '3x224x224' -> (3, 224, 224), with a clear error otherwise."""
    parts = [p for p in text.replace("x", ",").replace(" ", "").split(",") if p]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(
            f"--input-shape must look like C,H,W (e.g. 3,224,224), got {text!r}"
        ) from None
    if not shape or any(d < 1 for d in shape):
        raise ConfigError(f"--input-shape needs positive sizes, got {text!r}")
    return shape


def parse_duration_s(text: str) -> float:
    """'50ms', '0.05s', '2.5' (seconds), '800us' -> seconds."""
    t = text.strip().lower()
    for suffix, scale in (("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if t.endswith(suffix):
            t, factor = t[: -len(suffix)], scale
            break
    else:
        factor = 1.0
    try:
        value = float(t) * factor
    except ValueError:
        raise ConfigError(f"not a duration: {text!r} (examples: 50ms, 0.2s, 800us)") from None
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"a duration must be positive, got {text!r}")
    return value
