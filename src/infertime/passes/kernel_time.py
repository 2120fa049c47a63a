"""Kernel time per call from torch.profiler (CUPTI): the floor of eager execution, own pass."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..devices.base import Device


@dataclass(frozen=True)
class KernelTime:
    """Summed durations of the GPU activities (kernels, memcpy, memset) of one call."""

    kernel_time_s: float
    kernels_per_call: float
    calls: int

    def to_dict(self) -> dict[str, Any]:
        return vars(self).copy()


def profile_kernel_time(call: Callable[[], Any], device: Device, calls: int) -> KernelTime:
    """Run `calls` calls under the CUDA profiler and sum the GPU activity time per call.

    Run after warm-up: the profiler's own cost lands on the host side (launch callbacks) and
    does not change how long kernels run. The first profiled call pays CUPTI set-up, so one
    untimed call goes first.
    """
    from torch.autograd import DeviceType  # type: ignore[attr-defined]
    from torch.profiler import ProfilerActivity, profile

    ensure_cupti_teardown()
    call()
    device.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(calls):
            call()
        device.synchronize()
    total_us = 0.0
    count = 0
    for event in prof.key_averages():
        if event.device_type != DeviceType.CUDA:
            continue
        # torch >= 2.4 renamed self_cuda_time_total to self_device_time_total.
        total_us += getattr(event, "self_device_time_total", None) or event.self_cuda_time_total
        count += event.count
    return KernelTime(total_us * 1e-6 / calls, count / calls, calls)


def ensure_cupti_teardown() -> None:
    """Ask Kineto to detach CUPTI when profiling stops (unless the user decided otherwise).

    Without TEARDOWN_CUPTI=1 CUPTI stays attached after torch.profiler finishes and every later
    kernel launch in the process pays for it: batch-1 EfficientNet-B0 latency on an H100 went
    from 4.3 ms to 9.3 ms after one profiling pass (docs/validation). Teardown crashed with CUDA
    graphs before CUDA 12.6, so older CUDA keeps Kineto's default.
    """
    import torch

    cuda = torch.version.cuda
    if cuda is None:
        return
    major, minor = (int(p) for p in cuda.split(".")[:2])
    if (major, minor) >= (12, 6):
        os.environ.setdefault("TEARDOWN_CUPTI", "1")


def kernel_pass_calls(call_s: float, budget_s: float = 0.2, low: int = 3, high: int = 20) -> int:
    """Enough calls for a stable sum, within a small time budget."""
    return max(low, min(high, int(budget_s / max(call_s, 1e-9))))
