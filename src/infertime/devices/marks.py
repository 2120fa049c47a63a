"""Marks on a device's timeline (devices/base.py `Marks`): one event or reading per point,
read after one synchronize. On CUDA a mark is one event recorded on the device's current
stream (where the model runs), on a CPU one perf_counter_ns reading, and on any other Device
(the fake one in tests) a chain of the protocol's timer pairs, one pair per interval plus one
pair around the whole. `Device.new_marks()` gives the device's own; `marks_of(device)` falls
back to the timer chain for a Device without one. CUDA's marks are in cuda_marks.py (torch).
"""

from __future__ import annotations

import time

from .base import Device, Marks, Timer


class HostMarks:
    """perf_counter_ns readings: on a CPU every operation has finished when it returns."""

    name = "time.perf_counter_ns (one reading per mark)"

    def __init__(self) -> None:
        self._stamps: list[int] = []

    def reset(self, count: int) -> None:
        self._stamps = []

    def mark(self) -> None:
        self._stamps.append(time.perf_counter_ns())

    def intervals_s(self) -> list[float]:
        s = self._stamps
        return [(s[i + 1] - s[i]) * 1e-9 for i in range(len(s) - 1)]

    def span_s(self) -> float:
        return (self._stamps[-1] - self._stamps[0]) * 1e-9


class TimerChainMarks:
    """Any Device: a timer pair per interval (stop of one, start of the next at each mark) and
    one pair around the whole; the whole is then a reading of its own, not the sum."""

    def __init__(self, device: Device) -> None:
        self._device = device
        self.name = f"{device.timer_name} (a timer pair per interval)"
        self._timers: list[Timer] = []
        self._whole: Timer = device.new_timer()
        self._count = 0
        self._n = 0

    def reset(self, count: int) -> None:
        while len(self._timers) < count - 1:
            self._timers.append(self._device.new_timer())
        self._count = count
        self._n = 0

    def mark(self) -> None:
        i = self._n
        if i == 0:
            self._whole.start()
        if i > 0:
            self._timers[i - 1].stop()
        if i < self._count - 1:
            self._timers[i].start()
        else:
            self._whole.stop()
        self._n += 1

    def intervals_s(self) -> list[float]:
        return [self._timers[i].elapsed_s() for i in range(self._n - 1)]

    def span_s(self) -> float:
        return self._whole.elapsed_s()


def marks_of(device: Device) -> Marks:
    """The device's own marks, or a timer chain for a Device written without `new_marks`."""
    own = getattr(device, "new_marks", None)
    if own is not None:
        found: Marks = own()
        return found
    return TimerChainMarks(device)


__all__ = ["HostMarks", "Marks", "TimerChainMarks", "marks_of"]
