"""infertime: measure deep-network inference time correctly (latency, throughput, memory).

Importing infertime is cheap: it imports neither torch nor any kind. Each public name is
imported on first use (PEP 562), so `import infertime; infertime.measure_latency(...)` loads
what a latency measurement needs, and `infertime.load_result(...)` no torch at all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from . import host as _host  # noqa: F401  (the host's load, read before infertime works)
from ._version import __version__

# public name -> the module that defines it
_LAZY = {
    "compare": "infertime.comparison.api",
    "CompareResult": "infertime.comparison.result",
    "CpuDevice": "infertime.devices",
    "Device": "infertime.devices",
    "FakeDevice": "infertime.devices",
    "resolve_device": "infertime.devices",
    "MemoryReading": "infertime.devices.base",
    "ProbeOutcome": "infertime.engine.batch_search",
    "SearchResult": "infertime.engine.batch_search",
    "BudgetChoice": "infertime.engine.budget",
    "CurvePoint": "infertime.engine.curve",
    "EnergyPolicy": "infertime.energy.policy",
    "EnergyRecord": "infertime.energy.records",
    "EnergySection": "infertime.energy.records",
    "CaptureError": "infertime.errors",
    "ConfigError": "infertime.errors",
    "DeviceUnavailableError": "infertime.errors",
    "InfertimeError": "infertime.errors",
    "InputShapeError": "infertime.errors",
    "MissingDependencyError": "infertime.errors",
    "ModelCallError": "infertime.errors",
    "ModelNotFoundError": "infertime.errors",
    "NonFiniteOutputError": "infertime.errors",
    "OutOfMemoryError": "infertime.errors",
    "RegressionError": "infertime.errors",
    "ResultFileError": "infertime.errors",
    "measure_latency": "infertime.latency.measure",
    "measure_generation": "infertime.generation.api",
    "GenerationResult": "infertime.generation.result",
    "LatencyResult": "infertime.latency.result",
    "measure_pitfalls": "infertime.pitfalls.measure",
    "PitfallRow": "infertime.pitfalls.result",
    "PitfallsResult": "infertime.pitfalls.result",
    "ComparePolicy": "infertime.policies",
    "MeasureConfig": "infertime.policies",
    "StopPolicy": "infertime.policies",
    "ThroughputPolicy": "infertime.policies",
    "TimingPolicy": "infertime.policies",
    "WarmupPolicy": "infertime.policies",
    "ContextRecord": "infertime.records",
    "Diagnostic": "infertime.records",
    "InputsRecord": "infertime.records",
    "Series": "infertime.records",
    "Settings": "infertime.records",
    "StopRecord": "infertime.records",
    "WarmupRecord": "infertime.records",
    "export_text": "infertime.reporting.export",
    "load_result": "infertime.resultfile",
    "save_json": "infertime.resultfile",
    "measure_throughput": "infertime.throughput.measure",
    "ThroughputResult": "infertime.throughput.result",
    "WorkloadSpec": "infertime.specs.spec",
}

__all__ = [
    "BudgetChoice",
    "CaptureError",
    "ComparePolicy",
    "CompareResult",
    "ConfigError",
    "ContextRecord",
    "CpuDevice",
    "CurvePoint",
    "Device",
    "DeviceUnavailableError",
    "Diagnostic",
    "EnergyPolicy",
    "EnergyRecord",
    "EnergySection",
    "FakeDevice",
    "GenerationResult",
    "InfertimeError",
    "InputShapeError",
    "InputsRecord",
    "LatencyResult",
    "MeasureConfig",
    "MemoryReading",
    "MissingDependencyError",
    "ModelCallError",
    "ModelNotFoundError",
    "NonFiniteOutputError",
    "OutOfMemoryError",
    "PitfallRow",
    "PitfallsResult",
    "ProbeOutcome",
    "RegressionError",
    "ResultFileError",
    "SearchResult",
    "Series",
    "Settings",
    "StopPolicy",
    "StopRecord",
    "ThroughputPolicy",
    "ThroughputResult",
    "TimingPolicy",
    "WarmupPolicy",
    "WarmupRecord",
    "WorkloadSpec",
    "__version__",
    "compare",
    "export_text",
    "load_result",
    "measure_generation",
    "measure_latency",
    "measure_pitfalls",
    "measure_throughput",
    "resolve_device",
    "save_json",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'infertime' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # what the names are, for type checkers and IDEs
    from .comparison.api import compare
    from .comparison.result import CompareResult
    from .devices import CpuDevice, Device, FakeDevice, resolve_device
    from .devices.base import MemoryReading
    from .energy.policy import EnergyPolicy
    from .energy.records import EnergyRecord, EnergySection
    from .engine.batch_search import ProbeOutcome, SearchResult
    from .engine.budget import BudgetChoice
    from .engine.curve import CurvePoint
    from .errors import (
        CaptureError,
        ConfigError,
        DeviceUnavailableError,
        InfertimeError,
        InputShapeError,
        MissingDependencyError,
        ModelCallError,
        ModelNotFoundError,
        NonFiniteOutputError,
        OutOfMemoryError,
        RegressionError,
        ResultFileError,
    )
    from .generation.api import measure_generation
    from .generation.result import GenerationResult
    from .latency.measure import measure_latency
    from .latency.result import LatencyResult
    from .pitfalls.measure import measure_pitfalls
    from .pitfalls.result import PitfallRow, PitfallsResult
    from .policies import (
        ComparePolicy,
        MeasureConfig,
        StopPolicy,
        ThroughputPolicy,
        TimingPolicy,
        WarmupPolicy,
    )
    from .records import (
        ContextRecord,
        Diagnostic,
        InputsRecord,
        Series,
        Settings,
        StopRecord,
        WarmupRecord,
    )
    from .reporting.export import export_text
    from .resultfile import load_result, save_json
    from .specs.spec import WorkloadSpec
    from .throughput.measure import measure_throughput
    from .throughput.result import ThroughputResult
