"""Kernel time per call from torch.profiler (CUPTI): the floor of eager execution, own pass."""

from __future__ import annotations

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


def profile_kernel_time(call: Callable[[], Any], device: Device, calls: int) -> KernelTime:
    """Run `calls` calls under the CUDA profiler and sum the GPU activity time per call.

    Run after warm-up: the profiler's own cost lands on the host side (launch callbacks) and
    does not change how long kernels run. The first profiled call pays CUPTI set-up, so one
    untimed call goes first.
    """
    from torch.autograd import DeviceType  # type: ignore[attr-defined]
    from torch.profiler import ProfilerActivity, profile

    global _cupti_attached
    call()
    device.synchronize()
    _cupti_attached = True
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


_cupti_attached = False


def cupti_attached() -> bool:
    """Whether a kernel-time pass already ran in this process.

    CUPTI stays attached after torch.profiler stops, and every later kernel launch in the
    process pays for it: on an H100 (torch 2.11) batch-1 EfficientNet-B0 latency rose from 4.3 ms
    to 4.7, 5.5 and 6.5 ms over successive passes, and to 9.3 ms after a 100-call pass;
    TEARDOWN_CUPTI=1 did not prevent it (benchmarks/cupti_teardown_check.py, docs/validation).
    So the pass runs last in a measurement, and later measurements in the process are flagged.
    """
    return _cupti_attached


def kernel_pass_calls(call_s: float, budget_s: float = 0.1, low: int = 3, high: int = 20) -> int:
    """Enough calls for a stable sum, within a small time budget."""
    return max(low, min(high, int(budget_s / max(call_s, 1e-9))))
