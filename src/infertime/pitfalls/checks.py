"""Findings about a pitfalls result: each mistake's error, the context, the environment."""

from __future__ import annotations

from ..diagnose.gpu import check_watched
from ..diagnose.host import (
    check_context,
    check_environment,
    check_model_output,
    check_precision_support,
)
from ..records import Diagnostic
from .result import PitfallsResult

REPORTED_ERROR = 0.05  # a mistake that moves the mean by more than this is called out


def check_pitfalls(r: PitfallsResult) -> list[Diagnostic]:
    found = check_context(r.settings.context)
    found.extend(check_precision_support(r.settings, r.environment))
    if r.analysis.gpu_state is not None:  # other processes, MIG, clocks (no per-sample times)
        found.extend(check_watched(r.analysis.gpu_state, {}))
    found.extend(check_model_output(r.analysis))
    found.extend(check_environment(r.environment, r.settings.device.split(":")[0]))
    for code in ("copy_pageable", "copy_pinned", "no_sync", "no_warmup"):
        err = r.error(code)
        if err is not None and abs(err) > REPORTED_ERROR and not r.within_noise(code, "mean"):
            found.append(
                Diagnostic(
                    f"pitfall_{code}",
                    "info",
                    f"{r.row(code).label}: the mean is {err:+.0%} off the correct mean",
                    None,
                    {"error": err},
                )
            )
    return found
