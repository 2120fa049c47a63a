"""CUDA events as marks on the device's timeline (devices/marks.py has the torch-free ones)."""

from __future__ import annotations

from typing import Any


class CudaMarks:
    """One CUDA event per mark, created once and reused from sequence to sequence."""

    name = "CUDA events (one per mark, current stream of the device)"

    def __init__(self, torch_device: Any) -> None:
        self._device = torch_device
        self._events: list[Any] = []
        self._n = 0
        self._stream: Any = None

    def reset(self, count: int) -> None:
        import torch

        while len(self._events) < count:
            self._events.append(torch.cuda.Event(enable_timing=True))  # type: ignore[no-untyped-call]
        self._n = 0
        self._stream = torch.cuda.current_stream(self._device)

    def mark(self) -> None:
        self._events[self._n].record(self._stream)
        self._n += 1

    def intervals_s(self) -> list[float]:
        ev = self._events
        return [float(ev[i].elapsed_time(ev[i + 1])) * 1e-3 for i in range(self._n - 1)]

    def span_s(self) -> float:
        return float(self._events[0].elapsed_time(self._events[self._n - 1])) * 1e-3
