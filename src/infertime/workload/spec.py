"""The workload spec lives in infertime.specs (torch-free, below every kind); kept here for
existing imports."""

from ..specs.spec import (
    BACKENDS,
    COMPILE_MODES,
    DEFAULT_MODEL,
    DTYPES,
    MODEL_HELP,
    MODEL_PREFIXES,
    SEED_LIMIT,
    WORKLOAD_OPTION_NAMES,
    WorkloadOptions,
    WorkloadSpec,
    split_options,
)

__all__ = [
    "BACKENDS",
    "COMPILE_MODES",
    "DEFAULT_MODEL",
    "DTYPES",
    "MODEL_HELP",
    "MODEL_PREFIXES",
    "SEED_LIMIT",
    "WORKLOAD_OPTION_NAMES",
    "WorkloadOptions",
    "WorkloadSpec",
    "split_options",
]
