"""The registry of result kinds: one line per kind, naming the module that defines it.

A kind is one folder with a `kind.py` holding `KIND` (kinds/base.py) and one line here. The
CLI, `show`, exports, the HTML report, offline `compare`, the child-process worker, the result
file format and its JSON Schema all read this registry; modules are imported on first use, so
importing the registry costs nothing.
"""

from __future__ import annotations

import importlib
from functools import cache

from .base import Command, Kind, OfflineArm, Opt, SavedSamples, Values, load_attribute

# result kind (the `kind` of its files) -> the module defining KIND, in --help order
REGISTRY = {
    "latency": "infertime.latency.kind",
    "throughput": "infertime.throughput.kind",
    "pitfalls": "infertime.pitfalls.kind",
    "compare": "infertime.comparison.kind",
    "generate": "infertime.generation.kind",
}


@cache
def get(name: str) -> Kind:
    """The kind of that name; KeyError for an unknown one."""
    kind: Kind = importlib.import_module(REGISTRY[name]).KIND
    if kind.name != name:
        raise RuntimeError(f"{REGISTRY[name]} registers kind {kind.name!r}, not {name!r}")
    return kind


def all_kinds() -> list[Kind]:
    return [get(name) for name in REGISTRY]


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def of(result: object) -> Kind:
    """The kind of a result object (by its `kind` class attribute)."""
    name = getattr(result, "kind", None)
    if not isinstance(name, str) or name not in REGISTRY:
        raise TypeError(
            f"{type(result).__name__} is not an infertime result (kinds: {', '.join(REGISTRY)})"
        )
    return get(name)


__all__ = [
    "REGISTRY",
    "Command",
    "Kind",
    "OfflineArm",
    "Opt",
    "SavedSamples",
    "Values",
    "all_kinds",
    "get",
    "load_attribute",
    "names",
    "of",
]
