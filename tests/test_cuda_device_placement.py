"""CudaDevice records events on, and synchronizes, the GPU it was given, never the default one.

Runs without a GPU: torch.cuda's event, stream, synchronize and device-context entry points are
replaced by recorders, and the real engine drives a CudaDevice for GPU 1 while GPU 0 is current.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import torch

from infertime.config import MeasureConfig, StopPolicy, WarmupPolicy
from infertime.devices.cuda import CudaDevice
from infertime.engine import measure_call


class Recorder:
    def __init__(self) -> None:
        self.streams: list[Any] = []  # device of the stream each event was recorded on
        self.syncs: list[Any] = []
        self.activated: list[Any] = []
        self.clock = 0.0


class FakeStream:
    def __init__(self, device: Any) -> None:
        self.device = device


def install(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    rec = Recorder()

    class FakeEvent:
        def __init__(self, enable_timing: bool = False) -> None:
            self.t = 0.0

        def record(self, stream: Any = None) -> None:
            rec.streams.append(None if stream is None else stream.device)
            rec.clock += 1e-3
            self.t = rec.clock

        def elapsed_time(self, end: FakeEvent) -> float:
            return (end.t - self.t) * 1e3

    def current_stream(device: Any = None) -> FakeStream:
        return FakeStream(device)

    def synchronize(device: Any = None) -> None:
        rec.syncs.append(device)

    @contextlib.contextmanager
    def device_ctx(device: Any) -> Iterator[None]:
        rec.activated.append(device)
        yield

    monkeypatch.setattr(torch.cuda, "Event", FakeEvent)
    monkeypatch.setattr(torch.cuda, "current_stream", current_stream)
    monkeypatch.setattr(torch.cuda, "synchronize", synchronize)
    monkeypatch.setattr(torch.cuda, "device", device_ctx)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda device=None: None)
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda device=None: 0)
    monkeypatch.setattr(torch.cuda, "max_memory_reserved", lambda device=None: 0)

    class Props:
        total_memory = 80 << 30

    monkeypatch.setattr(torch.cuda, "get_device_properties", lambda device=None: Props())
    return rec


def test_engine_on_cuda_1_never_touches_the_default_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = install(monkeypatch)
    dev = CudaDevice(1)
    cfg = MeasureConfig(
        warmup=WarmupPolicy(min_time_s=0.01, min_calls=3, window_time_s=0.003, max_time_s=0.5),
        stop=StopPolicy(min_samples=6, max_time_s=0.2),
    )
    run = measure_call(lambda: None, dev, cfg)
    assert run.figures["latency"].summary.n >= 6
    target = torch.device("cuda", 1)
    assert rec.streams and all(d == target for d in rec.streams)
    assert rec.syncs and all(d == target for d in rec.syncs)
    assert rec.activated == [target]


def test_cuda_device_reports_its_own_name_and_index() -> None:
    dev = CudaDevice(3)
    assert dev.name == "cuda:3" and dev.torch_device == torch.device("cuda", 3)
