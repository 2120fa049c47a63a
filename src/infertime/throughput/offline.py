"""What offline `compare` reads from a saved throughput result: time per item at its own peak
batch (the inverse of peak throughput), comparable across batch sizes by design."""

from __future__ import annotations

from ..errors import ConfigError
from ..kinds.base import OfflineArm, SavedSamples
from .result import ThroughputResult


def throughput_arm(name: str, r: ThroughputResult, figure: str) -> SavedSamples:
    point = r.point(r.peak_batch)
    if point.device_time is None:
        raise ConfigError(f"{name} has no device time at its peak batch {r.peak_batch}")
    per_item = tuple(x / r.peak_batch for x in point.device_time.samples_s)
    return SavedSamples((per_item,), point.device_time.calls_per_sample)


OFFLINE = OfflineArm(throughput_arm, lambda figure: "time_per_item_at_peak", per_call=False)
