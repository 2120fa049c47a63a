"""infertime: measure deep-network inference time correctly (latency, throughput, memory)."""

from ._version import __version__
from .api import measure_latency
from .api_throughput import measure_throughput
from .config import MeasureConfig, RunSpec, StopPolicy, TimingPolicy, WarmupPolicy
from .devices import CpuDevice, Device, FakeDevice, resolve_device
from .errors import (
    ConfigError,
    DeviceUnavailableError,
    InfertimeError,
    InputShapeError,
    ModelNotFoundError,
    NonFiniteOutputError,
    OutOfMemoryError,
)
from .pitfalls.measure import measure_pitfalls
from .reporting.json_io import load_result, save_json
from .results import Diagnostic, LatencyResult, Series, WarmupRecord
from .throughput_results import ThroughputResult

__all__ = [
    "ConfigError",
    "CpuDevice",
    "Device",
    "DeviceUnavailableError",
    "Diagnostic",
    "FakeDevice",
    "InfertimeError",
    "InputShapeError",
    "LatencyResult",
    "MeasureConfig",
    "ModelNotFoundError",
    "NonFiniteOutputError",
    "OutOfMemoryError",
    "RunSpec",
    "Series",
    "StopPolicy",
    "ThroughputResult",
    "TimingPolicy",
    "WarmupPolicy",
    "WarmupRecord",
    "__version__",
    "load_result",
    "measure_latency",
    "measure_pitfalls",
    "measure_throughput",
    "resolve_device",
    "save_json",
]
