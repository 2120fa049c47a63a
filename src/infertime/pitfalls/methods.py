"""Each way of timing a call: the correct one and the mistakes, all with the same sample count."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from ..devices.base import Device
from ..engine.timing import time_block
from ..workload.prepare import PreparedModel


def correct(call: Callable[[], Any], device: Device, n: int) -> list[float]:
    """The article's method after warm-up: device timer around each call, then synchronize."""
    timer = device.new_timer()
    return [time_block(call, device, timer, 1, sync_each=True) for _ in range(n)]


def cpu_timer_without_sync(call: Callable[[], Any], device: Device, n: int) -> list[float]:
    """The mistake: a host clock read right after the call returns, without synchronize.

    The device starts each sample idle (synchronized outside the timed region), as for a single
    call timed in isolation; the clock then stops when the kernels are queued, not done.
    """
    samples = []
    for _ in range(n):
        device.synchronize()
        t0 = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t0)
    device.synchronize()
    return samples


def with_copy(
    prepared: PreparedModel, batch: int, device: Device, n: int, pinned: bool
) -> list[float]:
    """The mistake: inputs start in host memory and the copy to the device is inside the timer."""
    args, kwargs = prepared.inputs(batch)
    host_args = tuple(_host(t, pinned) for t in args)
    host_kwargs = {k: _host(v, pinned) for k, v in kwargs.items()}
    target = prepared.torch_device

    def call() -> Any:
        a = tuple(t.to(target, non_blocking=pinned) for t in host_args)
        k = {name: t.to(target, non_blocking=pinned) for name, t in host_kwargs.items()}
        return prepared.run(a, k)

    for _ in range(3):  # the same warm state as the correct method: only the copy differs
        call()
    device.synchronize()
    return correct(call, device, n)


def _host(t: torch.Tensor, pinned: bool) -> torch.Tensor:
    cpu = t.detach().to("cpu")
    return cpu.pin_memory() if pinned else cpu
