"""Device-agnostic measurement loops: warm-up, sampling, stopping rules, batch search."""

from .latency import EngineRun, measure_call
from .progress import ProgressSink, no_progress

__all__ = ["EngineRun", "ProgressSink", "measure_call", "no_progress"]
