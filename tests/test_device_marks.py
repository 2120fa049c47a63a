"""Device.new_marks(): one event or reading per point on the device's own timeline; each
device's kind, and the timer chain for a Device written without it."""

from __future__ import annotations

from typing import Any

import pytest

from infertime.devices import CpuDevice
from infertime.devices.base import Device
from infertime.devices.fake import FakeDevice, constant
from infertime.devices.marks import HostMarks, TimerChainMarks, marks_of
from infertime.generation.marks import new_marks


def test_each_device_gives_its_own_marks() -> None:
    assert isinstance(CpuDevice().new_marks(), HostMarks)
    fake = FakeDevice()
    assert isinstance(fake, Device) and isinstance(fake.new_marks(), TimerChainMarks)
    assert isinstance(new_marks(CpuDevice()), HostMarks)  # the generation's name, kept


def test_a_device_without_new_marks_gets_a_timer_chain() -> None:
    class Plain:
        """A Device written before new_marks: its timer pairs make the chain."""

        def __init__(self) -> None:
            self.inner = FakeDevice(constant(0.0, 1e-3))

        def __getattr__(self, name: str) -> Any:
            if name == "new_marks":
                raise AttributeError(name)
            return getattr(self.inner, name)

    marks = marks_of(Plain())  # type: ignore[arg-type]
    assert isinstance(marks, TimerChainMarks)


def test_host_marks_read_intervals_and_span_from_the_same_points() -> None:
    marks = CpuDevice().new_marks()
    marks.reset(4)
    for _ in range(4):
        marks.mark()
    iv = marks.intervals_s()
    assert len(iv) == 3 and all(x >= 0 for x in iv)
    assert marks.span_s() == pytest.approx(sum(iv), abs=1e-12)
