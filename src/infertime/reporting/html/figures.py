"""Figures as data: what each plot draws, in SI units, and no drawing code (torch-free).

A result kind turns its result into these (its `figures`); a renderer (svg.py) draws them.
Values are kept in the unit the result file uses (seconds, items/s, bytes, a time ratio), so a
figure's numbers can be checked against the file; the renderer picks the display unit.
Series hold every sample: the renderer downsamples what it draws, statistics come from all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

# Units a value can carry. "s" and "bytes" are scaled for display (ms, MiB); "fraction" is
# shown as a percentage; "×" is a time ratio; "" a plain number (a batch size, a count).
UNITS = ("s", "items/s", "bytes", "fraction", "×", "")

# Colour roles the renderer knows (renderers map them to one palette).
ROLES = ("data", "other", "good", "bad", "warmup", "flag", "median", "reference", "limit")


@dataclass(frozen=True)
class Axis:
    """What an axis measures, in words, and the unit of its values."""

    label: str  # "latency per call (synchronous request)"
    unit: str = ""
    log: bool = False

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}; one of {UNITS}")


@dataclass(frozen=True)
class Level:
    """A line across the plot at one value of its value axis (a median, a gate, a budget)."""

    label: str
    value: float
    role: str = "reference"


@dataclass(frozen=True)
class Band:
    """A shaded span of the value axis (a CI, a ±precision band, a prediction interval)."""

    label: str
    low: float
    high: float
    role: str = "median"


@dataclass(frozen=True)
class Trace:
    """Values in order: a per-sample series (x: sample number) or any y against x."""

    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    role: str = "data"
    points: bool = False  # markers only (flagged samples), not a line

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"trace {self.label!r} has {len(self.x)} x and {len(self.y)} y")


@dataclass(frozen=True)
class TimeSeries:
    """Samples in time order, with horizontal levels and bands and vertical events."""

    title: str
    x: Axis
    y: Axis
    traces: tuple[Trace, ...]
    bands: tuple[Band, ...] = ()
    levels: tuple[Level, ...] = ()
    events: tuple[Level, ...] = ()  # vertical lines at x values (the end of warm-up)
    note: str = ""


@dataclass(frozen=True)
class Distribution:
    """Every sample's value as a histogram or an ECDF, with marked quantiles (drawn from all
    samples, never downsampled)."""

    title: str
    x: Axis
    samples: tuple[float, ...]
    marks: tuple[Level, ...] = ()  # median, p90, p99 at their values
    ecdf: bool = False
    note: str = ""


@dataclass(frozen=True)
class Point:
    """One point of a curve, with its CI where it has one."""

    x: float
    y: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class Line:
    """Points joined in x order; on the second y axis when `right`."""

    label: str
    points: tuple[Point, ...]
    right: bool = False
    role: str = "data"


@dataclass(frozen=True)
class Mark:
    """A labelled point: peak, knee, max-fit, a dip, a configuration."""

    label: str
    x: float
    y: float
    right: bool = False
    role: str = "median"


@dataclass(frozen=True)
class Curve:
    """y against x on one or two y axes: throughput against batch with CI bars."""

    title: str
    x: Axis
    y: Axis
    lines: tuple[Line, ...]
    y2: Axis | None = None
    marks: tuple[Mark, ...] = ()
    levels: tuple[Level, ...] = ()  # on the left axis
    note: str = ""

    def __post_init__(self) -> None:
        if self.y2 is None and any(line.right for line in self.lines):
            raise ValueError(f"curve {self.title!r} draws on a second axis it does not have")


@dataclass(frozen=True)
class Bar:
    """One bar with its error bar; `dot` a second statistic drawn on it (a median)."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    dot: float | None = None
    role: str = "data"


@dataclass(frozen=True)
class Bars:
    """A bar chart with error bars: mean ± std by method."""

    title: str
    y: Axis
    bars: tuple[Bar, ...]
    levels: tuple[Level, ...] = ()
    dot_label: str = ""
    note: str = ""


@dataclass(frozen=True)
class Interval:
    """One row of a forest plot: a value and its CI."""

    label: str
    value: float
    low: float | None = None
    high: float | None = None
    role: str = "data"


@dataclass(frozen=True)
class Forest:
    """Values with CIs, one row each, against reference levels and bands (ratios, processes)."""

    title: str
    x: Axis
    rows: tuple[Interval, ...]
    bands: tuple[Band, ...] = ()
    levels: tuple[Level, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Scatter:
    """Labelled points; `front` the indices of those on the Pareto front, in x order."""

    title: str
    x: Axis
    y: Axis
    points: tuple[Mark, ...]
    front: tuple[int, ...] = ()
    note: str = ""


Panel: TypeAlias = TimeSeries | Distribution | Curve | Bars | Forest | Scatter


@dataclass(frozen=True)
class SmallMultiples:
    """Figures of one type side by side on a grid, one per model."""

    title: str
    panels: tuple[Panel, ...]
    columns: int = 3
    note: str = ""

    def __post_init__(self) -> None:
        if not self.panels or self.columns < 1:
            raise ValueError(f"small multiples {self.title!r} need panels and columns")


Figure: TypeAlias = Panel | SmallMultiples
