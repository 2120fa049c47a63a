"""Marks on the device's timeline inside one generated sequence: N + 1 points (before
prefill, after the first token, after each decode step) whose consecutive differences are the
step times and whose first-to-last difference is the whole sequence. They live in the devices
now (`Device.new_marks()`, devices/marks.py); this module keeps the generation's names."""

from __future__ import annotations

from ..devices.base import Device, Marks
from ..devices.cuda_marks import CudaMarks
from ..devices.marks import HostMarks, TimerChainMarks, marks_of


def new_marks(device: Device) -> Marks:
    """The cheapest exact marks the device offers (`Device.new_marks()`)."""
    return marks_of(device)


__all__ = ["CudaMarks", "HostMarks", "Marks", "TimerChainMarks", "new_marks"]
