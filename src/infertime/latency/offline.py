"""What offline `compare` reads from a saved latency result: the chosen figure per call, every
process's samples where the file was measured with --processes."""

from __future__ import annotations

from ..errors import ConfigError
from ..kinds.base import OfflineArm, SavedSamples
from .result import LatencyResult


def latency_arm(name: str, r: LatencyResult, figure: str) -> SavedSamples:
    if figure not in r.figures:
        raise ConfigError(f"{name} has no {figure} figure")
    if r.processes:
        missing = [i + 1 for i, p in enumerate(r.processes) if figure not in p.figures]
        if missing:
            raise ConfigError(f"{name}: process {missing[0]} has no {figure} figure")
        groups = tuple(p.figures[figure].samples_s for p in r.processes)
    else:
        groups = (r.figures[figure].samples_s,)
    launch = r.analysis.launch
    return SavedSamples(
        groups, r.figures[figure].calls_per_sample, launch.verdict if launch else None
    )


OFFLINE = OfflineArm(latency_arm, lambda figure: figure)
