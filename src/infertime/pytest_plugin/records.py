"""What each measurement of a test leaves for the end of the run: a row of the summary,
its entry in pytest-benchmark's JSON layout and (with --infertime-json) the result file's
document. Plain JSON-able dicts: under pytest-xdist they travel in the test's report.
torch-free."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .. import stats
from ..reporting.table import device_name


def _device(result: Any) -> dict[str, Any]:
    return {"device": result.settings.device, "device_name": device_name(result)}


def latency_record(
    result: Any, nodeid: str, label: str, wanted: str, with_document: bool
) -> dict[str, Any]:
    """The row of one latency measurement; its figure is the one its assertions read."""
    from .outcomes import figure_of, median_and_ci

    figure = figure_of(result, wanted)
    median, ci = median_and_ci(result, figure)
    series = result.figures[figure]
    record: dict[str, Any] = {
        "nodeid": nodeid,
        "label": label,
        "kind": "latency",
        "figure": figure,
        "median_s": median,
        "ci_s": list(ci) if ci else None,
        "confidence": series.confidence,
        **_device(result),
        "checks": [],
        "benchmarks": [
            benchmark_entry(
                nodeid,
                label,
                series.samples_s,
                series.calls_per_sample,
                result,
                {"figure": figure, "median_s": median, "median_ci_s": list(ci) if ci else None},
            )
        ],
    }
    if with_document:
        record["document"] = _document(result)
    return record


def compare_record(result: Any, nodeid: str, label: str, with_document: bool) -> dict[str, Any]:
    """The row of one live comparison: the candidate's time ratio to the baseline."""
    ratio = result.ratio(1)
    extra = {
        "figure": result.figure,
        "time_ratio": ratio.value,
        "time_ratio_ci": list(ratio.ci) if ratio.ci else None,
        "baseline": result.baseline.name,
    }
    record: dict[str, Any] = {
        "nodeid": nodeid,
        "label": label,
        "kind": "compare",
        "figure": result.figure,
        "arms": [a.name for a in result.arms],
        "ratio": ratio.value,
        "ci": list(ratio.ci) if ratio.ci else None,
        "confidence": ratio.confidence,
        "decision": result.decision(1).kind,
        **_device(result),
        "checks": [],
        "benchmarks": [
            benchmark_entry(
                nodeid,
                f"{label}: {arm.name}",
                tuple(x for g in result.samples_of(i) for x in g),
                arm.calls_per_sample,
                result,
                {**extra, "configuration": arm.name},
            )
            for i, arm in enumerate(result.arms)
        ],
    }
    if with_document:
        record["document"] = _document(result)
    return record


def _document(result: Any) -> dict[str, Any]:
    from ..resultfile import to_document

    return to_document(result)


# -- pytest-benchmark's JSON layout ---------------------------------------------------------


def benchmark_entry(
    nodeid: str,
    label: str,
    samples_s: Sequence[float],
    calls_per_sample: int,
    result: Any,
    infertime: dict[str, Any],
) -> dict[str, Any]:
    """One benchmark as pytest-benchmark writes it: a round is one of infertime's samples
    (seconds per call, averaged over `iterations` back-to-back calls), and every statistic
    is pytest-benchmark's (ops = 1 / mean); infertime's own figure (median and CI) is in
    extra_info. `fullname` gets the label where a test measures more than once (report.py)."""
    name = nodeid.rpartition("::")[2]
    param = name.partition("[")[2][:-1] or None
    s = result.settings
    return {
        "group": None,
        "name": name,
        "fullname": nodeid,
        "label": label,  # dropped when written (report.py)
        "params": None,
        "param": param,
        "extra_info": {"infertime": {**infertime, **settings_info(result)}},
        "options": {
            "disable_gc": s.method.timing.disable_gc,
            "timer": s.timer,
            "min_rounds": s.method.stop.min_samples,
            "max_time": s.method.stop.max_time_s,
            "min_time": s.method.warmup.min_time_s,
            "warmup": True,
        },
        "stats": benchmark_stats(samples_s, calls_per_sample),
    }


def settings_info(result: Any) -> dict[str, Any]:
    s = result.settings
    return {
        "device": s.device,
        "device_name": device_name(result),
        "batch_size": s.batch_size,
        "dtype": s.dtype_label,
        "threads": s.threads,
        "timer": s.timer,
    }


def quartiles(xs: Sequence[float]) -> tuple[float, float]:
    """Q1 and Q3 as pytest-benchmark computes them: for an even count the medians of the two
    halves; for an odd count n = 4k + 1 or 4k + 3, weighted neighbours (Tukey's hinges
    interpolated, "method 3")."""
    data = sorted(xs)
    n = len(data)
    if n == 1:
        return data[0], data[0]
    if n % 2 == 0:
        return stats.median(data[: n // 2]), stats.median(data[n // 2 :])
    k, r = divmod(n, 4)
    if r == 1:
        return (0.25 * data[k - 1] + 0.75 * data[k], 0.75 * data[3 * k] + 0.25 * data[3 * k + 1])
    return (0.75 * data[k] + 0.25 * data[k + 1], 0.25 * data[3 * k + 1] + 0.75 * data[3 * k + 2])


def benchmark_stats(samples_s: Sequence[float], calls_per_sample: int) -> dict[str, Any]:
    data = list(samples_s)
    n = len(data)
    mean = math.fsum(data) / n
    std = stats.sample_std(data) if n > 1 else 0.0
    q1, q3 = quartiles(data)
    iqr = q3 - q1
    low, high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    inside = [x for x in data if low <= x <= high] or data
    iqr_out = sum(1 for x in data if x < low or x > high)
    std_out = sum(1 for x in data if x < mean - std or x > mean + std)
    return {
        "min": min(data),
        "max": max(data),
        "mean": mean,
        "stddev": std,
        "rounds": n,
        "median": stats.median(data),
        "iqr": iqr,
        "q1": q1,
        "q3": q3,
        "iqr_outliers": iqr_out,
        "stddev_outliers": std_out,
        "outliers": f"{std_out};{iqr_out}",
        "ld15iqr": min(inside),
        "hd15iqr": max(inside),
        "ops": 1 / mean if mean else 0.0,
        "total": math.fsum(data),
        "data": data,
        "iterations": calls_per_sample,
    }
