"""How often one call makes the host wait for the GPU (a synchronizing operation inside the
model: `.item()`, a tensor's truth value in Python, a copy to the CPU).

Such a wait drains the GPU's queue in the middle of the call, so back-to-back calls cannot run
ahead of the GPU: the GPU idles while the host prepares the next kernels, and pipelined device
time exceeds the kernel time however the calls are queued. transformers' BERT with SDPA
attention does it once a call (`padding_mask.all()` in its mask code): at batch 32 on an H200
the GPU's timeline showed it idle 134-315 µs a call right after that copy, and device time was
2.3-2.8 % above the kernel time against 1.2-1.8 % without the mask (benchmarks/runtimes_gpu.py).
Counted with PyTorch's sync debug mode, which warns on each synchronizing operation it knows of
(not all: torch.distributed and sparse ops are not covered), over one call after timing."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from ..devices.base import Device


def count_host_syncs(call: Callable[[], Any], device: Device) -> int | None:
    """Synchronizing operations in one call; None off the GPU or where torch cannot tell."""
    if device.kind != "cuda":
        return None
    import torch

    try:
        previous = torch.cuda.get_sync_debug_mode()
        torch.cuda.set_sync_debug_mode("warn")
    except Exception:  # a torch without it, or no driver: it cannot tell
        return None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
    finally:
        torch.cuda.set_sync_debug_mode(previous)  # the user's setting, whatever happened
    device.synchronize()
    return sum("synchroniz" in str(w.message) for w in caught)
