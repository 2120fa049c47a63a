"""Why a live comparison's ratio is what it is on a GPU: each configuration's CUPTI kernel time
against its latency, measured after the interleaved timing (CUPTI slows every later launch).

Where the host sets the pace (launch-bound), the GPU's work shows in the latency only where the
host has not hidden it, so the ratio of two such configurations moves with the host's speed:
on the H100, BERT-base fp32 against bf16 at batch 1 gave 0.945-0.955 in four processes whose
fp32 median was 4.4-5.9 ms and 0.985 in one where it was 8.1 ms. The ratio is right for the
host as it ran; the result says so rather than pass it off as a property of the models."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import stats
from ..devices import Device
from ..diagnose.launch import launch_analysis
from ..engine.interleave import InterleavedRun
from ..telemetry.kernel_time import kernel_pass_calls, profile_kernel_time
from .configs import Config


def kernel_pass(
    configs: Sequence[Config],
    calls: Sequence[Callable[[], Any]],
    owners: Sequence[int],
    run: InterleavedRun,
    device: Device,
) -> list[dict[str, Any] | None] | None:
    """Each configuration's launch analysis (None for CUDA-graph replay, which launches once),
    from its first copy; None off the GPU or for the device-time figure."""
    if device.kind != "cuda" or run.figure != "latency":
        return None
    out: list[dict[str, Any] | None] = []
    for i, c in enumerate(configs):
        if c.cuda_graph:
            out.append(None)
            continue
        latency_s = stats.median([x for r in run.samples[i] for x in r])
        kernel = profile_kernel_time(calls[owners.index(i)], device, kernel_pass_calls(latency_s))
        out.append(
            {
                "name": c.name,
                **launch_analysis(kernel.kernel_time_s, kernel.kernels_per_call, latency_s),
                "profiled_calls": kernel.calls,
            }
        )
    return out
