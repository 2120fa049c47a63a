"""Test doubles for sweeps: a point runner that answers with hand-built result documents (no
process, no model), a host probe with chosen versions, and the shape of a results folder."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from infertime.devices.base import MemoryReading
from infertime.latency.result import LatencyAnalysis, LatencyResult
from infertime.records import Series, WarmupRecord
from infertime.resultfile import to_document
from infertime.sections import WallTimes
from infertime.sweep.cliargs import parse_grid_args
from infertime.sweep.fingerprint import Gpu, HostProbe
from infertime.sweep.runner import PointOutcome, PointTask
from infertime.workload.spec import WorkloadSpec
from result_parts import fake_settings


def host(torch: str = "2.13.0+cpu", gpus: tuple[Gpu, ...] = (), node: str = "test") -> HostProbe:
    software = {"infertime": "0", "python": "3", "torch": torch, "cuda_runtime": None,
                "libraries": {}}  # fmt: skip
    return HostProbe(node, software, "Test CPU", "555.1" if gpus else None, gpus, "test")


def latency_document(
    values: Mapping[str, Any], median_s: float, seed: int = 0, device: str = "cpu"
) -> dict[str, Any]:
    """A valid latency result for the workload `values` (batch, dtype ...) on `device`."""
    workload = {k: v for k, v in values.items() if k in WorkloadSpec.__dataclass_fields__}
    batch = values.get("batch_size", 1)
    spec = WorkloadSpec(**{**workload, "device": device, "batch_size": batch})
    rng = random.Random(seed)
    samples = tuple(median_s * (1 + rng.uniform(-0.02, 0.02)) for _ in range(60))
    device_s = tuple(median_s * 0.8 * (1 + rng.uniform(-0.02, 0.02)) for _ in range(30))
    settings = fake_settings(batch_size=spec.batch_size, device=device)
    from dataclasses import replace

    settings = replace(settings, workload=spec)
    result = LatencyResult(
        settings=settings,
        environment={"device": {"name": device}, "host": {"cpu_model": "Test CPU"}},
        warmup=WarmupRecord(10, 0.01, True, "steady", median_s),
        figures={
            "latency": Series("latency", samples, 1, start_ns=time.perf_counter_ns()),
            "device_time": Series("device_time", device_s, 1),
        },
        timer_overhead_s=1e-7,
        memory=MemoryReading(None, None, None, "test"),
        analysis=LatencyAnalysis(wall_s=WallTimes(total_s=0.05)),
    )
    return to_document(result)


class FakeRunner:
    """Answers each run with a latency document (median from `median_s(values, round)`), or
    fails points whose label contains a key of `fail` with (exit code, stderr). Every run is
    logged in `runs` as (key, round); `delay_s` makes runs last (and stoppable)."""

    def __init__(
        self,
        median_s: Callable[[dict[str, Any], int], float] | None = None,
        fail: Mapping[str, tuple[int, str]] | None = None,
        delay_s: float = 0.0,
    ) -> None:
        self.median_s = median_s or (lambda values, r: 1e-3 * values.get("batch_size", 1))
        self.fail = dict(fail or {})
        self.delay_s = delay_s
        self.runs: list[tuple[str, int]] = []
        self.envs: list[dict[str, str]] = []
        self.lock = threading.Lock()

    def run(
        self,
        task: PointTask,
        env: Mapping[str, str],
        out_path: Path,
        stop: threading.Event,
        cores: Sequence[int] | None = None,
    ) -> PointOutcome:
        started = time.time()
        if stop.wait(self.delay_s):
            return PointOutcome("stopped", None, None, "stopped", None, "", started, time.time(),
                                time.time() - started, None, None)  # fmt: skip
        with self.lock:
            self.runs.append((task.key, task.round))
            self.envs.append(dict(env))
        grid = parse_grid_args(task.argv[0], list(task.argv[1:]))
        values = grid.fixed
        label = " ".join(task.argv)
        for needle, (code, stderr) in self.fail.items():
            if needle in label:
                return PointOutcome("failed", None, "out-of-memory" if code == 4 else "error",
                                    stderr.splitlines()[-1], code, stderr, started, time.time(),
                                    time.time() - started, None, None)  # fmt: skip
        device = "cuda:0" if env.get("CUDA_VISIBLE_DEVICES") else "cpu"
        median = self.median_s(values, task.round)
        document = latency_document(values, median, task.round, device)
        out_path.write_text(json.dumps(document))
        wall = time.time() - started
        return PointOutcome("ok", document, None, "", 0, "", started, started + wall, wall, None,
                            tuple(cores) if cores else None)  # fmt: skip


def folder_shape(root: Path) -> dict[str, Any]:
    """The shape of a results folder: files by role, manifest keys, the keys of one point's
    sweep record and of its placement and timing (values left out)."""
    manifest = json.loads((root / "manifest.json").read_text())
    point_files = sorted((root / "points").glob("*.json"))
    sweep = json.loads(point_files[0].read_text())["analysis"]["sweep"]
    run = next(iter(manifest["points"][0]["rounds"].values()))
    return {
        "top": sorted(p.name for p in root.iterdir() if p.name != ".lock"),
        "manifest": sorted(manifest),
        "manifest_point": sorted(manifest["points"][0]),
        "manifest_run": sorted(run),
        "sweep_record": sorted(sweep),
        "placement": sorted(sweep["placement"]),
        "timing": sorted(sweep["timing"]),
        "fingerprint": sorted(sweep["fingerprint"]),
        "point_kind": json.loads(point_files[0].read_text())["kind"],
    }
