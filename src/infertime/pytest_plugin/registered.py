"""Models handed to the fixture's `compare`, reachable as model references.

A live comparison builds every copy of a model from its reference (comparison/measure.py), and
a `package.module:callable` reference names a factory returning (module, example inputs). The
fixture registers a factory per model here and compares
'infertime.pytest_plugin.registered:model_N': each copy is a deep copy of the test's module (a
plain callable is wrapped, not copied). They exist in the test's process only: a fresh process
(compare's fallback when the models do not fit in memory together) is told so in one line.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from ..errors import ModelCallError

Factory = Callable[[], tuple[Any, Any]]

_FACTORIES: dict[str, Factory] = {}
_COUNT = itertools.count(1)
PREFIX = "model_"


def register(factory: Factory) -> str:
    """The model reference of `factory`, valid until `release`."""
    name = f"{PREFIX}{next(_COUNT)}"
    _FACTORIES[name] = factory
    return f"{__name__}:{name}"


def release(reference: str) -> None:
    _FACTORIES.pop(reference.rpartition(":")[2], None)


def _elsewhere() -> tuple[Any, Any]:
    raise ModelCallError(
        "a model given to the infertime pytest fixture as an object lives in the test's "
        "process and cannot be rebuilt in a fresh one (the models did not fit in memory "
        "together)",
        advice="compare model references ('timm:resnet50', 'pkg.mod:factory') instead",
    )


def __getattr__(name: str) -> Factory:
    found = _FACTORIES.get(name)
    if found is not None:
        return found
    if name.startswith(PREFIX):
        return _elsewhere
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
