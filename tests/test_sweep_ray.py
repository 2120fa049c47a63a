"""Ray on one machine: a local cluster declaring 2 GPUs runs a 6-point sweep of stand-in
children; no two points ever hold one GPU at once (from each point's recorded
CUDA_VISIBLE_DEVICES and times), and the results folder has the local executor's shape."""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest

from infertime.sweep.cliargs import parse_grid_args
from infertime.sweep.driver import SweepSettings, run_sweep
from infertime.sweep.fingerprint import Gpu
from infertime.sweep.local import LocalExecutor
from infertime.sweep.runner import SubprocessRunner
from sweep_helpers import folder_shape, host
from sweep_processes import child_command

ARGS = ["m:f", "--batch-size", "1,2,3", "--dtype", "fp32,bf16"]
GOLDEN = Path(__file__).parent / "golden" / "sweep_folder_shape.json"
GPUS = (Gpu(0, "Fake GPU", "GPU-aaaa0000"), Gpu(1, "Fake GPU", "GPU-bbbb1111"))


def no_gpu_shared(folder: Path) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    spans: dict[str, list[tuple[float, float]]] = {}
    for point in manifest["points"]:
        run = point["rounds"]["1"]
        assert run["status"] == "ok"
        visible = run["placement"]["cuda_visible_devices"]
        assert visible and "," not in visible  # one GPU each
        spans.setdefault(visible, []).append(
            (run["timing"]["started_unix"], run["timing"]["ended_unix"])
        )
    assert len(spans) == 2  # both GPUs used
    for intervals in spans.values():
        intervals.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(intervals))


def test_local_ray_cluster_with_two_gpus(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    from infertime.sweep.ray_executor import RayExecutor

    os.environ.setdefault("RAY_DISABLE_USAGE_STATS", "1")
    runner = SubprocessRunner(child_command())
    executor = RayExecutor(None, runner, init={"num_cpus": 2, "num_gpus": 2})
    ray_folder = tmp_path / "ray"
    report = run_sweep(parse_grid_args("run", ARGS), ray_folder, executor=executor)
    assert report.state == "complete" and report.measured_now == 6
    no_gpu_shared(ray_folder)
    local = LocalExecutor(runner, host=host(gpus=GPUS))
    local_folder = tmp_path / "local"
    run_sweep(parse_grid_args("run", ARGS), local_folder, SweepSettings(), executor=local)
    no_gpu_shared(local_folder)
    shape = folder_shape(ray_folder)
    assert shape == folder_shape(local_folder)
    assert shape == json.loads(GOLDEN.read_text())  # a change of the folder's schema shows here
