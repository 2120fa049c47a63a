"""CUDA device: events recorded on the current stream of *this* device, this device synchronized."""

from __future__ import annotations

import gc
from contextlib import AbstractContextManager
from typing import Any

import torch

from .base import Marks, MemoryReading

_OOM_MARKERS = (
    "out of memory",
    "CUBLAS_STATUS_ALLOC_FAILED",
    "CUDNN_STATUS_NOT_ENOUGH_WORKSPACE",
    "CUDNN_STATUS_ALLOC_FAILED",
)


class _EventTimer:
    """A pair of CUDA events recorded on the current stream of one device."""

    __slots__ = ("_device", "_end", "_start")

    def __init__(self, device: torch.device) -> None:
        self._device = device
        self._start = torch.cuda.Event(enable_timing=True)  # type: ignore[no-untyped-call]
        self._end = torch.cuda.Event(enable_timing=True)  # type: ignore[no-untyped-call]

    def start(self) -> None:
        self._start.record(torch.cuda.current_stream(self._device))

    def stop(self) -> None:
        self._end.record(torch.cuda.current_stream(self._device))

    def wait(self) -> None:
        self._end.synchronize()  # type: ignore[no-untyped-call]

    def elapsed_s(self) -> float:
        return float(self._start.elapsed_time(self._end)) * 1e-3


class CudaDevice:
    """One CUDA GPU, addressed by index; never touches the default device implicitly."""

    kind = "cuda"
    timer_name = "CUDA events (current stream of the device)"
    oom_signal = True

    def __init__(self, index: int) -> None:
        self.index = index
        self.torch_device = torch.device("cuda", index)

    @property
    def name(self) -> str:
        return f"cuda:{self.index}"

    def now_ns(self) -> int:
        import time

        return time.perf_counter_ns()

    def new_timer(self) -> _EventTimer:
        return _EventTimer(self.torch_device)

    def new_marks(self) -> Marks:
        from .cuda_marks import CudaMarks

        return CudaMarks(self.torch_device)

    def synchronize(self) -> None:
        torch.cuda.synchronize(self.torch_device)

    def reset_peak_memory(self) -> None:
        torch.cuda.reset_peak_memory_stats(self.torch_device)

    def memory(self) -> MemoryReading:
        return MemoryReading(
            peak_allocated_bytes=int(torch.cuda.max_memory_allocated(self.torch_device)),
            peak_reserved_bytes=int(torch.cuda.max_memory_reserved(self.torch_device)),
            total_bytes=int(torch.cuda.get_device_properties(self.torch_device).total_memory),
            source="torch.cuda.max_memory_allocated / max_memory_reserved",
        )

    def allocated_bytes(self) -> int | None:
        return int(torch.cuda.memory_allocated(self.torch_device))

    def free_bytes(self) -> int | None:
        free, _total = torch.cuda.mem_get_info(self.torch_device)
        return int(free)

    def is_oom(self, exc: BaseException) -> bool:
        if isinstance(exc, torch.cuda.OutOfMemoryError):
            return True
        return isinstance(exc, RuntimeError) and any(m in str(exc) for m in _OOM_MARKERS)

    def release_memory(self, collect: bool = True) -> None:
        if collect:
            gc.collect()
        torch.cuda.synchronize(self.torch_device)
        torch.cuda.empty_cache()

    def limit_memory(self, fraction: float | None) -> None:
        torch.cuda.set_per_process_memory_fraction(
            1.0 if fraction is None else fraction, self.torch_device
        )

    def activate(self) -> AbstractContextManager[Any]:
        return torch.cuda.device(self.torch_device)

    def describe(self) -> dict[str, Any]:
        props = torch.cuda.get_device_properties(self.torch_device)
        uuid = getattr(props, "uuid", None)
        return {
            "name": props.name,
            "index": self.index,
            "uuid": f"GPU-{uuid}"
            if uuid is not None and not str(uuid).startswith("GPU-")
            else uuid,
            "compute_capability": f"{props.major}.{props.minor}",
            "total_memory_bytes": int(props.total_memory),
            "multiprocessors": props.multi_processor_count,
            "l2_cache_bytes": getattr(props, "L2_cache_size", None),
        }
