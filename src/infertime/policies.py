"""How a measurement is taken (never what): warm-up, stopping, timing, throughput; presets."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypedDict

from .errors import ConfigError, option


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _positive(name: str, value: float) -> None:
    if not (_is_number(value) and math.isfinite(value) and value > 0):
        raise ConfigError(f"{name} must be a positive number, got {value!r}")


def _at_least(name: str, value: int, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
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


def _precision_and_confidence(precision: float, confidence: float) -> None:
    _positive(option("precision"), precision)
    if precision >= 1:
        raise ConfigError(f"{option('precision')} is a fraction (0.01 = ±1 %), got {precision}")
    if not 0.5 <= confidence < 1:
        raise ConfigError(f"confidence must be in [0.5, 1), got {confidence}")


@dataclass(frozen=True)
class StopPolicy:
    """Stop sampling on evidence: the CI of the median within ±precision, bounded by time."""

    precision: float = 0.01  # target relative half-width of the median's CI
    confidence: float = 0.95
    min_samples: int = 20  # 4 batches of 5: the least for the batch-medians CI
    max_samples: int = 1_000_000
    max_time_s: float = 1.5  # sampling budget for all figures of one measurement
    consecutive_passes: int = 2  # checks in a row that must meet the precision to stop

    def __post_init__(self) -> None:
        _precision_and_confidence(self.precision, self.confidence)
        _at_least(option("min_samples"), self.min_samples, 1)
        _at_least("max samples", self.max_samples, self.min_samples)
        _positive(option("max_time_s"), self.max_time_s)
        _at_least("consecutive passes", self.consecutive_passes, 1)


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
        runs: int | None = None,
    ) -> MeasureConfig:
        """A copy with the user's flags applied on top of the preset; `runs`: exactly that
        many samples of each figure, whatever their precision and however long they take."""
        stop = self.stop
        changes: dict[str, Any] = {}
        warmup = self.warmup
        if runs is not None:
            _at_least(option("runs"), runs, 1)
            exact = replace(stop, min_samples=runs, max_samples=runs, max_time_s=FIXED_RUNS_S)
            return replace(self, stop=exact, preset=f"{self.preset}, {runs} runs")
        if precision is not None:
            changes["precision"] = precision
        if max_time_s is not None:
            changes["max_time_s"] = max_time_s
            _positive(option("max_time_s"), max_time_s)
            # A budget the user gives bounds warm-up too: it may take as long, not longer.
            cap = min(warmup.max_time_s, max(warmup.min_time_s, max_time_s))
            warmup = replace(warmup, max_time_s=cap, min_time_s=min(warmup.min_time_s, cap))
        if min_samples is not None:
            changes["min_samples"] = min_samples
            changes["max_samples"] = max(stop.max_samples, min_samples)
        if not changes:
            return self
        return replace(self, warmup=warmup, stop=replace(stop, **changes))


# With a fixed number of runs, sampling stops at the count, not at a time budget (a week).
FIXED_RUNS_S = 7 * 24 * 3600.0

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


def resolve_config(
    config: MeasureConfig | None,
    preset_name: str,
    precision: float | None,
    max_time_s: float | None,
    min_samples: int | None,
    runs: int | None = None,
) -> MeasureConfig:
    """The preset (or the caller's config) with the user's flags applied on top."""
    base = config if config is not None else preset(preset_name)
    return base.with_overrides(
        precision=precision, max_time_s=max_time_s, min_samples=min_samples, runs=runs
    )


# CPU calls of a real model take tens of milliseconds and vary more than a GPU's: with the
# GPU-sized default budget (1.5 s) EfficientNet-B0 on 2 cores got 12 latency samples and a
# ±9 % CI. Unless the user set --max-time or a config, the CPU budget is this many times larger.
CPU_BUDGET_FACTOR = 4.0


def budget_for_device(
    cfg: MeasureConfig, device_kind: str, max_time_s: float | None, config: MeasureConfig | None
) -> MeasureConfig:
    """The sampling budget for this kind of device (CPUs get CPU_BUDGET_FACTOR times more)."""
    if device_kind != "cpu" or max_time_s is not None or config is not None:
        return cfg
    return replace(cfg, stop=replace(cfg.stop, max_time_s=cfg.stop.max_time_s * CPU_BUDGET_FACTOR))


class SamplingOptions(TypedDict, total=False):
    """Keyword options of the measure_* functions that say how long and how precisely to sample.

    `config` replaces the preset entirely (policies of every phase); the others adjust it.
    """

    preset: str
    precision: float | None
    max_time_s: float | None
    config: MeasureConfig | None


SAMPLING_OPTION_NAMES = frozenset(SamplingOptions.__annotations__)


def sampling_config(options: Mapping[str, Any], device_kind: str | None = None) -> MeasureConfig:
    """The measurement config the options ask for; with `device_kind`, its budget applied."""
    config = options.get("config")
    max_time_s = options.get("max_time_s")
    cfg = resolve_config(
        config,
        options.get("preset", "default"),
        options.get("precision"),
        max_time_s,
        options.get("min_samples"),
        options.get("runs"),
    )
    if device_kind is None or options.get("runs") is not None:
        return cfg
    return budget_for_device(cfg, device_kind, max_time_s, config)


BUDGET_STATS = ("p99", "median")


@dataclass(frozen=True)
class ThroughputPolicy:
    """How `infertime throughput` searches the max-fit batch and chooses batches."""

    max_batch: int | None = None
    memory_fraction: float | None = None  # GPU: allocator limit; CPU: share of MemAvailable
    knee_fraction: float = 0.95
    latency_budget_s: float | None = None
    budget_stat: str = "p99"
    max_refine: int = 8
    p99_max_time_s: float = 15.0  # time allowed to collect 662 latency samples per candidate
    budget_max_time_s: float = 60.0  # time allowed to walk the candidates' p99s
    cpu_max_call_s: float = 2.0
    isolate: bool = False  # each search probe in a fresh process

    def __post_init__(self) -> None:
        b = self.max_batch
        if b is not None and (isinstance(b, bool) or not isinstance(b, int) or b < 1):
            raise ConfigError(f"{option('max_batch')} must be at least 1, got {b}")
        f = self.memory_fraction
        if f is not None and not (_is_number(f) and 0 < f <= 1):
            raise ConfigError(f"{option('memory_fraction')} must be in (0, 1], got {f}")
        if not (_is_number(self.knee_fraction) and 0 < self.knee_fraction < 1):
            raise ConfigError(
                f"{option('knee_fraction')} must be a fraction in (0, 1), got {self.knee_fraction}"
            )
        if self.budget_stat not in BUDGET_STATS:
            raise ConfigError(
                f"{option('budget_stat')} must be p99 or median, got {self.budget_stat!r}"
            )
        if self.latency_budget_s is not None:
            _positive(option("latency_budget_s"), self.latency_budget_s)


COMPARE_FIGURES = ("latency", "device_time")
# What saved `generate` results are compared by (device path, per call; offline only).
GENERATE_FIGURES = ("ttft", "tpot", "e2e")


@dataclass(frozen=True)
class ComparePolicy:
    """How `infertime compare` times configurations against each other in one process.

    Short slots of each configuration in a balanced random order (a permutation, then its
    reverse), so that a slow host state falls on every configuration alike; stop when every
    ratio to the baseline has a CI within ±precision, bounded by time.
    """

    figure: str = "latency"  # or "device_time"
    precision: float = 0.01  # target relative half-width of each ratio's CI
    confidence: float = 0.95
    max_time_s: float = 20.0  # interleaved sampling, after every configuration's warm-up
    min_rounds: int = 16  # the fewest rounds whose ratio CI allows for serial correlation
    max_rounds: int = 100_000
    consecutive_passes: int = 2
    slot_s: float = 0.02  # one configuration's slot lasts at least this long ...
    slot_samples: int = 5  # ... and holds at least this many samples
    seed: int = 0  # of the random slot order
    fail_if_slower: float | None = None  # the regression gate: a relative slowdown, 0.05 = 5 %
    # Copies of each model, built in balanced order (A B B A) and pooled: a copy's speed can
    # depend on when it was built (engine/interleave.py); 1 where two do not fit in memory.
    copies: int = 2
    # Offline: let single-process results of a host-bound figure decide the gate.
    trust_single_process: bool = False

    def __post_init__(self) -> None:
        if self.figure not in COMPARE_FIGURES + GENERATE_FIGURES:
            raise ConfigError(
                f"{option('figure')} must be latency or device_time (saved generate results: "
                f"ttft, tpot or e2e), got {self.figure!r}"
            )
        _precision_and_confidence(self.precision, self.confidence)
        _positive(option("max_time_s"), self.max_time_s)
        _at_least("min rounds", self.min_rounds, 2)
        _at_least("max rounds", self.max_rounds, self.min_rounds)
        _at_least("consecutive passes", self.consecutive_passes, 1)
        _positive("slot time", self.slot_s)
        _at_least("slot samples", self.slot_samples, 1)
        if self.copies not in (1, 2, 3, 4) or isinstance(self.copies, bool):
            raise ConfigError(f"{option('copies')} must be 1 to 4, got {self.copies!r}")
        g = self.fail_if_slower
        if g is not None and not (_is_number(g) and 0 <= g < 10):
            raise ConfigError(
                f"{option('fail_if_slower')} is a fraction (0.05 = 5 % slower), got {g}"
            )
