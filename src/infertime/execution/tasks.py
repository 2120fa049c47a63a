"""Child tasks by name: the generic whole measurement of any kind ("measure") and each kind's
own tasks ("KIND.TASK", e.g. "throughput.probe"), looked up in the kind registry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import kinds

Task = Callable[[dict[str, Any]], dict[str, Any]]

BUILTIN = {"measure": "infertime.execution.measure_task:measure_task"}


def task_function(name: str) -> Task:
    """The function that runs task `name` on a JSON request; KeyError for an unknown one."""
    if name in BUILTIN:
        task: Task = kinds.load_attribute(BUILTIN[name])
        return task
    kind, _, own = name.partition(".")
    path = kinds.get(kind).tasks[own]
    found: Task = kinds.load_attribute(path)
    return found
