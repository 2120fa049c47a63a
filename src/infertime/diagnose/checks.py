"""All checks of a latency result, in one place, in the order they are shown."""

from __future__ import annotations

from ..results import Diagnostic, LatencyResult
from .host import check_environment
from .noise import check_series, check_warmup


def check_result(result: LatencyResult) -> list[Diagnostic]:
    found = check_warmup(result.warmup)
    for series in result.figures.values():
        found.extend(check_series(series))
    device_kind = result.settings.device.split(":")[0]
    found.extend(check_environment(result.environment, device_kind))
    return found
