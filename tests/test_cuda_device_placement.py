"""Work on cuda:1 while cuda:0 is current: every event, stream, synchronize, graph capture and
profiler pass goes to GPU 1, and the model is only called with GPU 1 made current.

Runs without a GPU: torch.cuda's event, stream, graph, synchronize and device-context entry
points are replaced by recorders that track which device is current. The real engine and the
real measure_latency drive a CudaDevice for GPU 1; only tensors stay on the CPU (a prepared
model whose inputs are CPU tensors), since there is no GPU to hold them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
import torch

import infertime
from infertime.devices.cuda import CudaDevice
from infertime.engine.latency import measure_figures
from infertime.pipeline import measurement as measurement_module
from infertime.policies import MeasureConfig, StopPolicy, WarmupPolicy
from infertime.telemetry.kernel_time import KernelTime
from infertime.workload import prepare as prepare_module
from infertime.workload.inputs import make_inputs
from models_for_tests import TinyCnn

GPU1 = torch.device("cuda", 1)
CFG = MeasureConfig(
    warmup=WarmupPolicy(min_time_s=0.01, min_calls=3, window_time_s=0.003, max_time_s=0.5),
    stop=StopPolicy(min_samples=6, max_time_s=0.2),
)


class Recorder:
    def __init__(self) -> None:
        self.streams: list[Any] = []  # device of the stream each event was recorded on
        self.syncs: list[Any] = []
        self.activated: list[Any] = []
        self.current: list[int] = [0]  # torch.cuda.current_device(), GPU 0 to start with
        self.model_calls_on: list[int] = []  # current device at each call of the model
        self.captures: list[tuple[Any, int]] = []  # (capture stream's device, current device)
        self.replays_on: list[int] = []
        self.side_streams: list[Any] = []
        self.profiled_on: list[int] = []
        self.clock = 0.0


class FakeStream:
    def __init__(self, device: Any = None) -> None:
        self.device = device

    def wait_stream(self, other: FakeStream) -> None:
        return None


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

        def synchronize(self) -> None:
            return None  # an event's own device: no current device is needed

    class FakeGraph:
        def replay(self) -> None:
            rec.replays_on.append(rec.current[-1])

    def current_stream(device: Any = None) -> FakeStream:
        return FakeStream(device)

    def new_stream(device: Any = None) -> FakeStream:
        stream = FakeStream(device)
        rec.side_streams.append(device)
        return stream

    def synchronize(device: Any = None) -> None:
        rec.syncs.append(device)

    @contextlib.contextmanager
    def device_ctx(device: Any) -> Iterator[None]:
        rec.activated.append(device)
        rec.current.append(torch.device(device).index)
        try:
            yield
        finally:
            rec.current.pop()

    @contextlib.contextmanager
    def stream_ctx(stream: FakeStream) -> Iterator[None]:
        yield

    @contextlib.contextmanager
    def graph_ctx(graph: FakeGraph, pool: Any = None, stream: Any = None) -> Iterator[None]:
        rec.captures.append((None if stream is None else stream.device, rec.current[-1]))
        yield

    class Props:
        name = "recorded GPU"
        major, minor = 9, 0
        multi_processor_count = 132
        total_memory = 80 << 30

    for name, value in {
        "Event": FakeEvent,
        "Stream": new_stream,
        "CUDAGraph": FakeGraph,
        "current_stream": current_stream,
        "stream": stream_ctx,
        "graph": graph_ctx,
        "synchronize": synchronize,
        "device": device_ctx,
        "current_device": lambda: rec.current[-1],
        "empty_cache": lambda: None,
        "reset_peak_memory_stats": lambda device=None: None,
        "max_memory_allocated": lambda device=None: 0,
        "max_memory_reserved": lambda device=None: 0,
        "get_device_properties": lambda device=None: Props(),
    }.items():
        monkeypatch.setattr(torch.cuda, name, value)
    return rec


def test_engine_on_cuda_1_never_touches_the_default_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    rec = install(monkeypatch)
    run = measure_figures(lambda: None, CudaDevice(1), CFG)
    assert run.figures["latency"].summary.n >= 6
    assert rec.streams and all(d == GPU1 for d in rec.streams)
    assert rec.syncs and all(d == GPU1 for d in rec.syncs)
    assert rec.activated == [GPU1]


class CpuTensorsModel(prepare_module.PreparedModel):
    """A prepared model for a CudaDevice whose module and inputs stay on the CPU."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.module = self.loaded.module  # not moved: there is no GPU here

    def inputs(self, batch: int) -> Any:
        cpu = torch.device("cpu")
        return make_inputs(self.loaded.inputs, batch, cpu, self.float_dtype, False, self.spec.seed)


def test_measure_latency_with_graph_and_kernel_pass_on_cuda_1(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rec = install(monkeypatch)
    monkeypatch.setattr(prepare_module, "PreparedModel", CpuTensorsModel)
    monkeypatch.setattr(torch.nn.Module, "to", lambda self, *a, **k: self)

    def profile(call: Any, device: Any, calls: int) -> KernelTime:
        rec.profiled_on.append(rec.current[-1])
        call()
        return KernelTime(1e-4, 3.0, calls)

    monkeypatch.setattr(measurement_module, "profile_kernel_time", profile)
    model = TinyCnn()
    model.register_forward_pre_hook(lambda m, args: rec.model_calls_on.append(rec.current[-1]))

    r = infertime.measure_latency(
        model, torch.randn(2, 3, 8, 8), device=CudaDevice(1), graph_replay=True, config=CFG
    )
    assert r.settings.device == "cuda:1" and r.settings.context.current_device == "cuda:1"
    assert rec.current == [0]  # GPU 0 is current again afterwards
    # The model ran only with GPU 1 current: measurement, graph warm-up and capture, kernel pass.
    assert rec.model_calls_on and set(rec.model_calls_on) == {1}
    # Capture ran on an explicit side stream of GPU 1, with GPU 1 current; so did every replay.
    assert rec.captures == [(GPU1, 1)] and rec.side_streams == [GPU1]
    assert rec.replays_on and set(rec.replays_on) == {1}
    assert r.figures["graph_latency"].summary.n >= 6
    launch = r.analysis.launch
    assert rec.profiled_on == [1] and launch is not None and launch.profiled_calls > 0
    assert all(d == GPU1 for d in rec.streams) and all(d == GPU1 for d in rec.syncs)


def test_cuda_device_reports_its_own_name_and_index() -> None:
    dev = CudaDevice(3)
    assert dev.name == "cuda:3" and dev.torch_device == torch.device("cuda", 3)
