"""infertime: measure deep-network inference time correctly (latency, throughput, memory)."""

from ._version import __version__
from .comparison.api import compare
from .comparison.result import CompareResult
from .devices import CpuDevice, Device, resolve_device
from .devices.base import MemoryReading
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
    ResultFileError,
)
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
from .resultfile import load_result, save_json
from .throughput.measure import measure_throughput
from .throughput.result import ThroughputResult
from .workload.spec import WorkloadSpec

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
    "load_result",
    "measure_latency",
    "measure_pitfalls",
    "measure_throughput",
    "resolve_device",
    "save_json",
]
