"""GPU tests: run on the lent H100 (`pytest -m cuda`); skipped where there is no CUDA."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import infertime
from infertime.cli.app import main
from infertime.devices import resolve_device
from infertime.engine.timing import time_block
from infertime.errors import CaptureError, OutOfMemoryError
from infertime.policies import MeasureConfig, StopPolicy, WarmupPolicy
from infertime.telemetry.kernel_time import profile_kernel_time
from models_for_tests import TinyCnn

pytestmark = pytest.mark.cuda

QUICK = MeasureConfig(
    warmup=WarmupPolicy(min_time_s=0.05, max_time_s=2.0),
    stop=StopPolicy(precision=0.02, max_time_s=2.0),
)


class Matmul(nn.Module):
    """GPU-bound: one large matrix product per call."""

    def __init__(self, n: int = 4096) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(n, n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.w


class HostSync(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * float(x.sum().item())  # a host synchronisation: cannot be graph-captured


class Hog(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.empty(1 << 44, device=x.device, dtype=torch.uint8)  # 16 TiB


class Nan(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x / 0 * 0


def test_tiny_model_on_cuda_has_every_figure_and_diagnosis() -> None:
    r = infertime.measure_latency(
        TinyCnn(), torch.randn(8, 3, 16, 16), device="cuda:0", config=QUICK
    )
    assert r.settings.device == "cuda:0" and "CUDA events" in r.settings.timer
    assert r.latency.summary.n >= 10 and r.device_time.summary.median > 0
    launch = r.analysis.launch
    assert launch.kernels_per_call >= 3 and 0 < launch.busy_fraction <= 1.5
    assert launch.verdict == "launch-bound"  # a few µs of kernels, tens of µs of Python
    assert r.environment["device"]["name"] and r.environment["framework"]["cuda_runtime"]
    gpu = r.analysis.gpu_state
    if gpu and "error" not in gpu.before:
        assert gpu.readings, "the NVML monitor produced no readings"
        assert r.environment["gpu"]["driver_version"]


def test_gpu_bound_device_time_matches_cupti_kernel_time() -> None:
    r = infertime.measure_latency(Matmul(), torch.randn(4096, 4096), device="cuda:0", config=QUICK)
    kernel = r.analysis.launch.kernel_time_s
    assert r.device_time.summary.median == pytest.approx(kernel, rel=0.03)
    assert r.analysis.launch.verdict == "GPU-bound"


def test_events_measure_the_work_not_the_launch() -> None:
    dev = resolve_device("cuda:0")
    m = Matmul().cuda()
    x = torch.randn(4096, 4096, device="cuda")
    with torch.inference_mode():
        m(x)
        timer = dev.new_timer()
        one = min(time_block(lambda: m(x), dev, timer, 1, True) for _ in range(5))
        two = min(time_block(lambda: (m(x), m(x)), dev, timer, 1, True) for _ in range(5))
    assert two / one == pytest.approx(2.0, rel=0.05)


def test_cuda_graph_replay_is_its_own_figure() -> None:
    r = infertime.measure_latency(
        TinyCnn(), torch.randn(8, 3, 16, 16), device="cuda:0", config=QUICK, graph_replay=True
    )
    graph = r.figures["graph_latency"].summary.median
    assert 0 < graph < r.latency.summary.median  # launch overhead removed


def test_uncapturable_model_gets_a_clear_error_and_the_process_goes_on() -> None:
    with pytest.raises(CaptureError, match="cannot be captured"):
        infertime.measure_latency(
            HostSync(), torch.randn(4, 4), device="cuda:0", config=QUICK, graph_replay=True
        )
    r = infertime.measure_latency(
        TinyCnn(), torch.randn(2, 3, 16, 16), device="cuda:0", config=QUICK
    )
    assert r.latency.summary.n > 0


def test_out_of_memory_at_batch_1_is_one_error_and_memory_is_released() -> None:
    with pytest.raises(OutOfMemoryError, match="out of memory at batch 1 on cuda:0"):
        infertime.measure_latency(Hog(), torch.randn(1, 4), device="cuda:0", config=QUICK)
    torch.cuda.empty_cache()
    assert torch.cuda.memory_allocated(0) < (1 << 30)


def test_cli_on_cuda(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.json"
    code = main(
        [
            "run",
            "models_for_tests:tiny_cnn",
            "--device",
            "cuda",
            "--preset",
            "quick",
            "--graph-replay",
            "--details",
            "--json",
            str(path),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    headline = out.split("\n\n")[0]
    assert "graph replay" in headline  # a measured figure: in the headline
    assert "kernel time (CUPTI)" in out  # a diagnosis pass: behind --details
    data = json.loads(path.read_text())
    assert data["settings"]["workload"]["device"].startswith("cuda:")
    assert data["environment"]["gpu"].get("uuid") or "error" in data["environment"]["gpu"]
    code = main(
        ["run", "models_for_tests:tiny_cnn", "--device", f"cuda:{torch.cuda.device_count()}"]
    )
    _, err = capsys.readouterr()
    assert code == 3 and "visible GPU" in err


def test_nan_output_on_gpu(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(infertime.NonFiniteOutputError):
        infertime.measure_latency(Nan(), torch.randn(2, 4), device="cuda:0", config=QUICK)


def test_kernel_time_counts_every_kernel() -> None:
    dev = resolve_device("cuda:0")
    m = Matmul(2048).cuda()
    x = torch.randn(2048, 2048, device="cuda")
    with torch.inference_mode():
        kt = profile_kernel_time(lambda: m(m(x)), dev, calls=10)
    assert kt.kernels_per_call == pytest.approx(2, abs=0.5)


@pytest.mark.multigpu
def test_cuda_1_figures_match_cuda_0() -> None:
    meds = []
    for index in (0, 1):
        r = infertime.measure_latency(
            Matmul(), torch.randn(4096, 4096), device=f"cuda:{index}", config=QUICK
        )
        assert r.settings.device == f"cuda:{index}"
        meds.append(r.device_time.summary.median)
        assert r.device_time.summary.median == pytest.approx(
            r.analysis.launch.kernel_time_s, rel=0.03
        )
    assert meds[1] == pytest.approx(meds[0], rel=0.05)


class Wide(nn.Module):
    """256 KiB of activations per item: a search over a few GiB has real OOMs in it."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(256, 65536)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).relu().sum(dim=1)


def test_search_survives_ooms_and_finds_the_same_max_fit_twice() -> None:
    from infertime.engine.batch_search import SearchLimits, find_max_fit, in_process_prober
    from infertime.engine.throughput import run_throughput
    from infertime.policies import ThroughputPolicy

    dev = resolve_device("cuda:0")
    model = Wide().cuda().eval()
    with torch.inference_mode():
        make = lambda b: (lambda x: lambda: model(x))(torch.randn(b, 256, device="cuda"))  # noqa: E731
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated(0)
        dev.limit_memory(0.05)
        try:
            first = find_max_fit(in_process_prober(make, dev), SearchLimits(), dev)
            after_first = torch.cuda.memory_allocated(0)
            second = find_max_fit(in_process_prober(make, dev), SearchLimits(), dev)
        finally:
            dev.limit_memory(None)
        assert any(not p.fit for p in first.probes), "the search met no OOM"
        assert first.max_fit == second.max_fit
        assert after_first - before < (64 << 20)  # nothing the failed probes held is kept
        run = run_throughput(make, dev, QUICK, ThroughputPolicy(memory_fraction=0.05))
        assert run.search.max_fit == first.max_fit
        assert all(p.status == "ok" for p in run.points)


def _throughput_in_own_process(tmp_path: Path, name: str, *flags: str) -> dict[str, Any]:
    """`infertime throughput` in a fresh process, as users run it: no other test's memory."""
    path = tmp_path / f"{name}.json"
    paths = [str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    command = [sys.executable, "-m", "infertime", "throughput", "models_for_tests:big_activations"]
    command += ["--device", "cuda:0", "--memory-fraction", "0.02", "--preset", "quick"]
    done = subprocess.run(
        [*command, *flags, "--json", str(path)], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_isolated_search_on_cuda_meets_ooms_in_fresh_processes(tmp_path: Path) -> None:
    isolated = _throughput_in_own_process(tmp_path, "isolated", "--isolate")
    in_process = _throughput_in_own_process(tmp_path, "in_process")
    assert isolated["policy"]["isolate"]
    assert any(not p["fit"] for p in isolated["search"]["probes"]), "no probe ran out of memory"
    assert all(p["status"] == "ok" for p in isolated["points"])
    # The same limit in fresh processes and in one process after its own OOMs: the same
    # boundary, give or take allocator state.
    mf_isolated, mf_in_process = isolated["search"]["max_fit"], in_process["search"]["max_fit"]
    assert mf_isolated == pytest.approx(mf_in_process, rel=0.1)


def test_cli_throughput_on_cuda(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tp.json"
    code = main(
        [
            "throughput",
            "models_for_tests:tiny_cnn",
            "--device",
            "cuda:0",
            "--preset",
            "quick",
            "--max-batch",
            "256",
            "--json",
            str(path),
        ]
    )
    _, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(path.read_text())
    assert data["search"]["max_fit"] == 256
    assert data["points"][-1]["memory"]["peak_allocated_bytes"] > 0


def test_pitfalls_on_cuda_show_the_copy_and_no_sync_errors() -> None:
    r = infertime.measure_pitfalls(Matmul(), torch.randn(4096, 4096), device="cuda:0", samples=30)
    assert r.row("copy_pageable").applies and r.row("no_sync").applies
    assert r.error("copy_pageable") > 0.05  # 64 MiB from pageable memory adds milliseconds
    assert r.error("no_sync") < -0.5  # the host returns once the product is queued


def test_compare_on_cuda_interleaves_two_copies_of_each() -> None:
    """Live comparison on the GPU: copies built A B B A, each copy timed, a CI on the ratio."""
    tiny = "models_for_tests:tiny_cnn -b 8"
    r = infertime.compare(
        tiny, f"{tiny} --dtype bf16", tiny, device="cuda", max_time_s=3.0, copies=2
    )
    assert r.mode == "interleaved" and r.policy.copies == 2
    assert [a.name for a in r.arms] == [tiny, f"{tiny} --dtype bf16", f"{tiny} #2"]
    assert all(len(o) == 6 for o in r.orders)  # three configurations, each twice a round
    assert {c.name for c in r.analysis.copies} == {a.name for a in r.arms}
    assert r.ratio(1).ci is not None and r.ratio(2).ci is not None
    assert r.settings.device.startswith("cuda")
    # The kernel pass after timing: each configuration's launch analysis, the arms' verdicts.
    assert [x.name for x in r.analysis.launch] == [a.name for a in r.arms]
    assert all(a.verdict in ("launch-bound", "mixed", "GPU-bound") for a in r.arms)


def test_compiled_model_on_cuda_reports_compile_apart() -> None:
    """torch.compile on the GPU: the compile is its own figure; samples follow it."""
    r = infertime.measure_latency(
        "models_for_tests:tiny_cnn", device="cuda", backend="compile", config=QUICK
    )
    built = r.analysis.backend
    assert built.backend == "compile" and built.compile_s > 0
    assert r.figures["device_time"].summary.median > 0


def test_compile_reduce_overhead_on_cuda_replays_and_compares_with_eager() -> None:
    """reduce-overhead replays CUDA graphs (cudagraph trees) whose outputs a later replay
    overwrites: the samples, the NaN check after timing and an interleaved comparison with
    eager must all work with that."""
    r = infertime.measure_latency(
        "models_for_tests:tiny_cnn",
        device="cuda",
        backend="compile",
        compile_mode="reduce-overhead",
        config=QUICK,
    )
    assert r.analysis.backend.mode == "reduce-overhead"
    assert r.figures["latency"].summary.median > 0
    tiny = "models_for_tests:tiny_cnn -b 4"
    c = infertime.compare(tiny, f"{tiny} --backend compile", device="cuda", max_time_s=3.0)
    assert c.ratio(1).ci is not None and len(c.analysis.backend_builds) == 4
    assert c.analysis.ballast.built is True


def test_a_host_sync_inside_the_call_is_counted_and_explained() -> None:
    from infertime.devices import resolve_device
    from infertime.telemetry.host_sync import count_host_syncs

    dev = resolve_device("cuda")
    x = torch.randn(8, 8, device="cuda")
    assert count_host_syncs(lambda: HostSync()(x), dev) == 1
    assert count_host_syncs(lambda: x @ x, dev) == 0
    r = infertime.measure_latency(HostSync(), torch.randn(4, 64), device="cuda", config=QUICK)
    assert r.analysis.launch.host_syncs_per_call == 1
    assert "host_sync" in {d.code for d in r.diagnostics}


def test_onnxruntime_is_refused_on_cuda() -> None:
    with pytest.raises(infertime.ConfigError, match="onnxruntime-gpu"):
        infertime.measure_latency("models_for_tests:tiny_cnn", device="cuda", backend="onnxruntime")
