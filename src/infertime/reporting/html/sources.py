"""Where a number in a report comes from in its result file, and reading it back from there.

A table cell carries its value and its source. A source is a JSON Pointer into the result's
file form (RFC 6901: "/statistics/latency/median_s"), or a function of pointers for numbers
that the file keeps only as raw samples: "median(/points/3/device_time/samples_s)". Functions:
count, min, max, mean, std (n − 1), median (infertime.stats, type-7 quantiles), ci_low and
ci_high (the 95 % CI of the median as infertime.stats.summarize gives it, time order kept), of
every number below the pointer (nested lists are flattened); len, the length of the list the
pointer names; and ratios(A,B): the median of each group of B over the median of the same group
of A (per-round ratios of a comparison), or ratios(A,B,a,b) per item: each median divided by
the batch size that pointer a (or b) names first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ... import stats

_CALL = re.compile(r"^(\w+)\((.*)\)$")


def pointer(*parts: object) -> str:
    """A JSON Pointer from keys and indices, escaped: pointer("arms", 1, "name")."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def at(document: Any, path: str) -> Any:
    """The value a JSON Pointer names (KeyError or IndexError when there is none)."""
    node = document
    if not path:
        return node
    if not path.startswith("/"):
        raise ValueError(f"not a JSON Pointer: {path!r}")
    for raw in path[1:].split("/"):
        key = raw.replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _numbers(value: Any) -> list[float]:
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _numbers(v)]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"not a number: {value!r}")
    return [float(value)]


def _group_ratios(base: Any, other: Any, per: tuple[float, float] = (1, 1)) -> list[float]:
    return [
        (stats.median(_numbers(o)) / per[1]) / (stats.median(_numbers(b)) / per[0])
        for b, o in zip(base, other, strict=True)
    ]


_REDUCE: dict[str, Callable[[Sequence[float]], float]] = {
    "count": lambda xs: float(len(xs)),
    "min": min,
    "max": max,
    "mean": stats.mean,
    "std": stats.sample_std,
    "median": stats.median,
    "ci_low": lambda xs: _median_ci(xs)[0],
    "ci_high": lambda xs: _median_ci(xs)[1],
}


def _median_ci(xs: Sequence[float]) -> tuple[float, float]:
    ci = stats.summarize(xs).median_ci
    if ci is None:
        raise ValueError("too few samples for a CI of the median")
    return ci


def resolve(document: Any, source: str) -> Any:
    """The value `source` names in `document` (a result's file form)."""
    call = _CALL.match(source)
    if call is None:
        return at(document, source)
    name, inner = call.groups()
    if name == "len":
        return len(at(document, inner))
    if name == "ratios":
        parts = inner.split(",")
        if len(parts) not in (2, 4):
            raise ValueError(f"ratios takes 2 or 4 pointers: {source!r}")
        per = (1.0, 1.0)
        if len(parts) == 4:
            per = (float(at(document, parts[2])), float(at(document, parts[3])))
        return _group_ratios(at(document, parts[0]), at(document, parts[1]), per)
    if name not in _REDUCE:
        raise ValueError(f"unknown function {name!r} in source {source!r}")
    value = resolve(document, inner)
    return _REDUCE[name](_numbers(value))
