"""The grid: fixed options, axes (a matrix), exclusions and extra points; its points, checked.

A point is one configuration of one kind: the options it sets explicitly (the others keep the
command's defaults). Every point is checked as its command would check it (WorkloadSpec and
the kind's own options) before anything runs.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ConfigError, InfertimeError
from ..specs.spec import WorkloadSpec
from .options import check_kind, options_of

_CUDA_INDEX = re.compile(r"^cuda:\d+$")


@dataclass(frozen=True)
class Point:
    """One configuration: the kind and the options it sets, in the kind's option order."""

    kind: str
    options: tuple[tuple[str, Any], ...]

    @property
    def values(self) -> dict[str, Any]:
        return dict(self.options)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    def label(self, keys: Iterable[str] | None = None) -> str:
        """'model=timm:resnet50 batch_size=8', limited to `keys` when given."""
        shown = [(k, v) for k, v in self.options if keys is None or k in keys]
        return " ".join(f"{k}={_text(v)}" for k, v in shown) or self.kind

    def workload(self) -> dict[str, Any]:
        infos = options_of(self.kind)
        return {k: v for k, v in self.options if infos[k].workload}


def _text(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def make_point(kind: str, values: Mapping[str, Any]) -> Point:
    order = list(options_of(kind))
    unknown = [k for k in values if k not in order]
    if unknown:
        raise ConfigError(f"unknown option {unknown[0]!r} for a sweep of {kind}")
    return Point(kind, tuple((k, values[k]) for k in order if k in values))


@dataclass(frozen=True)
class Grid:
    """What a sweep measures. `axes` are (key, values) in the order given; `excludes` drop the
    matrix points that match every key of one entry (a list value matches any of its values);
    `includes` are extra points, each over `fixed`."""

    kind: str
    fixed: dict[str, Any] = field(default_factory=dict)
    axes: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    excludes: tuple[dict[str, tuple[Any, ...]], ...] = ()
    includes: tuple[dict[str, Any], ...] = ()
    source: str = "the command line"  # named in messages

    def __post_init__(self) -> None:
        check_kind(self.kind)

    def describe(self) -> dict[str, Any]:
        """The grid as data (what the manifest records and the sweep id hashes)."""
        return {
            "kind": self.kind,
            "fixed": {k: _jsonable(v) for k, v in self.fixed.items()},
            "axes": [[k, [_jsonable(v) for v in vs]] for k, vs in self.axes],
            "excludes": [
                {k: [_jsonable(v) for v in vs] for k, vs in e.items()} for e in self.excludes
            ],
            "includes": [{k: _jsonable(v) for k, v in i.items()} for i in self.includes],
        }

    def varying_keys(self) -> list[str]:
        """Keys whose value differs between points (the table's columns)."""
        points = self.points()
        keys: list[str] = []
        for key in options_of(self.kind):
            seen = {repr(p.get(key)) for p in points}
            if len(seen) > 1:
                keys.append(key)
        return keys

    def points(self) -> list[Point]:
        """Every point, checked; duplicates (an extra point equal to a matrix point) once."""
        matrix: list[dict[str, Any]] = []
        keys = [k for k, _ in self.axes]
        for combo in itertools.product(*(vs for _, vs in self.axes)):
            values = {**self.fixed, **dict(zip(keys, combo, strict=True))}
            if not any(_matches(values, e) for e in self.excludes):
                matrix.append(values)
        extra = [{**self.fixed, **i} for i in self.includes]
        points: list[Point] = []
        seen: set[Point] = set()
        for values in (*matrix, *extra):
            point = make_point(self.kind, values)
            if point not in seen:
                seen.add(point)
                points.append(point)
        if not points:
            raise ConfigError(f"the grid of {self.source} has no points (all excluded or empty)")
        for point in points:
            check_point(point, self.source)
        return points


def _jsonable(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _matches(values: Mapping[str, Any], exclude: Mapping[str, tuple[Any, ...]]) -> bool:
    return all(k in values and values[k] in allowed for k, allowed in exclude.items())


def check_point(point: Point, source: str = "the command line") -> WorkloadSpec:
    """Refuse what the point's command would refuse, naming the point; its WorkloadSpec."""
    values = point.values
    where = f"point {point.label()} of {source}"
    device = str(values.get("device", "auto"))
    if _CUDA_INDEX.match(device.strip().lower()):
        raise ConfigError(
            f"{where}: device {device} names one GPU; a sweep places points on GPUs itself",
            advice="use device cuda (or auto) and choose the GPUs with --gpus",
        )
    try:
        spec = WorkloadSpec(**point.workload())
        if "latency_budget" in values:
            parse_duration_s(str(values["latency_budget"]))
        for key in ("precision", "max_time", "memory_fraction", "knee"):
            if key in values and not values[key] > 0:
                raise ConfigError(f"{key} must be positive, got {values[key]!r}")
        for key in ("min_samples", "processes", "max_batch", "samples", "threads"):
            if key in values and values[key] < 1:
                raise ConfigError(f"{key} must be at least 1, got {values[key]!r}")
    except InfertimeError as exc:
        raise ConfigError(f"{where}: {exc.one_line()}") from None
    return spec


def parse_duration_s(text: str) -> float:
    """'50ms', '0.05s', '800us', '2' (seconds) -> seconds, as the commands read a budget."""
    t = text.strip().lower()
    factor = 1.0
    for suffix, scale in (("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if t.endswith(suffix):
            t, factor = t[: -len(suffix)], scale
            break
    try:
        value = float(t) * factor
    except ValueError:
        raise ConfigError(f"not a duration: {text!r} (examples: 50ms, 0.2s, 800us)") from None
    if not value > 0 or value == float("inf"):
        raise ConfigError(f"a duration must be positive, got {text!r}")
    return value


def parse_timeout_s(text: str) -> float:
    """A point's time limit: '30m', '2h', '90min', or what parse_duration_s reads."""
    t = text.strip().lower()
    for suffix, scale in (("min", 60.0), ("h", 3600.0)):
        if t.endswith(suffix):
            return parse_duration_s(t[: -len(suffix)]) * scale
    if t.endswith("m") and not t.endswith("ms"):
        return parse_duration_s(t[:-1]) * 60.0
    return parse_duration_s(t)
