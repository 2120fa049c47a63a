"""A rough duration of a point before it runs, for `--dry-run` and the first "time left".

From the point's sampling budget (its preset and flags, as its command resolves them) plus a
start-up (interpreter, imports, model build): budgets are caps, warm-up usually ends sooner,
so this is an order of magnitude, not a measurement. Once points finish, progress uses their
measured durations instead.
"""

from __future__ import annotations

from ..policies import sampling_config
from .identity import PlannedPoint

# Interpreter, torch and model-library imports, model build: measured 2-4 s on a 2-core CPU
# with tiny models, 7-15 s on an H200 host with timm models (issue 22).
STARTUP_S = {"cpu": 4.0, "cuda": 12.0}
# Forked from the fork server (imports paid once, by the server): the child's own set-up, model
# build and exit; 0.2 s a point for a tiny CNN on the 2-core CPU (docs/sweep.md). On a GPU the
# child still creates its CUDA context and builds its model.
FORKED_STARTUP_S = {"cpu": 0.5, "cuda": 4.0}
KERNEL_PASS_S = 3.0  # run on a GPU: CUPTI kernel-time pass and NVML watch
CURVE_POINTS = 10  # throughput: a search and about this many curve points
PITFALL_METHODS = 6


def estimate_run_s(point: PlannedPoint, forked: bool = False) -> float:
    values = point.point.values
    options = {
        "preset": values.get("preset", "default"),
        "precision": values.get("precision"),
        "max_time_s": values.get("max_time"),
        "min_samples": values.get("min_samples"),
    }
    cfg = sampling_config(options, point.device_kind)
    warmup_s = min(cfg.warmup.max_time_s, 3 * cfg.warmup.min_time_s + 1.0)
    sampling_s = cfg.stop.max_time_s
    table = FORKED_STARTUP_S if forked else STARTUP_S
    startup_s = table.get(point.device_kind, table["cpu"])
    kind = point.point.kind
    if kind == "run":
        processes = int(values.get("processes") or 1)
        extra = KERNEL_PASS_S if point.device_kind == "cuda" and values.get("diagnose", True) else 0
        return startup_s + processes * (warmup_s + sampling_s) + extra
    if kind == "throughput":
        return startup_s + warmup_s + CURVE_POINTS * min(2.5, sampling_s / 2 + 0.5)
    return startup_s + warmup_s + PITFALL_METHODS * 1.0
