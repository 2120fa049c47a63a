"""Model references to runnable workloads: zoos imported lazily, random weights, no timing."""

from .inputs import InputSpec
from .prepare import PreparedModel, check_finite
from .references import from_module, load_reference
from .workload import Workload

__all__ = [
    "InputSpec",
    "PreparedModel",
    "Workload",
    "check_finite",
    "from_module",
    "load_reference",
]
