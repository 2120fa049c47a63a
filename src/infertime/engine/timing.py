"""The timed region itself, kept minimal: a timer pair around one call or a block of calls."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from .. import stats
from ..devices.base import Device, Timer


def time_block(
    call: Callable[[], Any],
    device: Device,
    timer: Timer,
    calls: int,
    sync_each: bool,
    prime: bool = False,
) -> float:
    """Seconds per call over `calls` calls between one timer pair.

    sync_each=True: a synchronous request per call (the caller waits for each result);
    sync_each=False: back-to-back calls, one synchronize after the block (pipelined). With
    `prime`, on an asynchronous device, the pipelined block starts behind one untimed call: the
    start mark waits in the queue behind that call's work while the host queues the timed
    calls, so the block measures the steady state, not the host's lead-in before the first
    kernel (sampling chains its blocks instead: engine/sampler.py ChainedBlocks).
    """
    if prime and not sync_each and device.kind != "cpu":
        call()  # the primer: keeps the device busy while the timed calls are queued
    timer.start()
    if calls == 1:
        call()
    elif sync_each:
        for _ in range(calls - 1):
            call()
            device.synchronize()
        call()
    else:
        for _ in range(calls):
            call()
    timer.stop()
    device.synchronize()
    return timer.elapsed_s() / calls


def calibrate_timer_overhead(device: Device, pairs: int) -> float:
    """Median reading of an empty timer pair: the timer's own cost inside one sample."""
    timer = device.new_timer()
    readings = []
    for _ in range(pairs):
        timer.start()
        timer.stop()
        device.synchronize()
        readings.append(timer.elapsed_s())
    return stats.median(readings)


@contextmanager
def gc_paused(enabled: bool) -> Iterator[None]:
    """Collect once, then keep Python's garbage collector out of the timed loops."""
    if not enabled:
        yield
        return
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
