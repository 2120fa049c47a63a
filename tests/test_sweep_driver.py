"""The sweep driver and its results folder, with a point runner that needs no process: rounds
in recorded orders, resume of exactly the valid points, failures kept and not retried, other
sweeps refused, Ctrl-C, a full disk, children's files adopted, and GPUs never shared."""

from __future__ import annotations

import errno
import itertools
import json
import os
from pathlib import Path
from typing import Any

import pytest

from infertime.errors import ConfigError, Interrupted, ResultFileError
from infertime.sweep.cliargs import parse_grid_args
from infertime.sweep.driver import SweepReport, SweepSettings, run_sweep
from infertime.sweep.fingerprint import Gpu, HostProbe
from infertime.sweep.identity import file_name, plan_point
from infertime.sweep.local import LocalExecutor
from infertime.sweep.progress import SweepProgress
from infertime.sweep.rounds import round_order
from sweep_helpers import FakeRunner, host, latency_document

ARGS = ["m:f", "--batch-size", "1,2,4", "--dtype", "fp32,bf16", "--device", "cpu"]


def sweep(
    folder: Path,
    runner: FakeRunner,
    args: list[str] = ARGS,
    probe: HostProbe | None = None,
    progress: SweepProgress | None = None,
    **settings: Any,
) -> SweepReport:
    grid = parse_grid_args("run", args)
    executor = LocalExecutor(runner, host=probe or host())
    return run_sweep(grid, folder, SweepSettings(**settings), executor=executor,
                     progress=progress)  # fmt: skip


def manifest(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "manifest.json").read_text())
    return data


def test_rounds_run_every_point_once_in_recorded_orders(tmp_path: Path) -> None:
    runner = FakeRunner()
    report = sweep(tmp_path / "s", runner, rounds=2, order_seed=7)
    keys = [p.key for p in report.points]
    assert sorted(runner.runs) == sorted((k, r) for k in keys for r in (1, 2))
    assert [k for k, r in runner.runs if r == 1] == round_order(keys, 7, 1)
    assert [k for k, r in runner.runs if r == 2] == round_order(keys, 7, 2)
    m = manifest(tmp_path / "s")
    assert m["state"] == "complete" and m["order_seed"] == 7
    assert m["order"]["1"] == round_order(keys, 7, 1)
    assert all(run["status"] == "ok" for p in m["points"] for run in p["rounds"].values())
    assert len(list((tmp_path / "s" / "points").glob("*.json"))) == 12
    assert not list((tmp_path / "s" / "staging").iterdir())  # children's files taken


def test_resume_skips_exactly_the_valid_points(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    sweep(folder, FakeRunner())
    again = FakeRunner()
    report = sweep(folder, again, resume=True)
    assert again.runs == [] and report.reused == 6 and report.measured_now == 0
    # A damaged file, and a file of another configuration renamed to its name, are redone.
    files = sorted((folder / "points").glob("*.json"))
    files[0].write_text("{")
    files[1].write_text(files[2].read_text())
    third = FakeRunner()
    sweep(folder, third, resume=True)
    assert len(third.runs) == 2


def test_a_changed_environment_reruns_the_points(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    sweep(folder, FakeRunner(), probe=host("2.13.0"))
    newer = FakeRunner()
    sweep(folder, newer, probe=host("2.14.0"), resume=True)
    assert len(newer.runs) == 6
    # Both environments' files are kept; the table reads the current ones.
    assert len(list((folder / "points").glob("*.json"))) == 12
    back = FakeRunner()
    sweep(folder, back, probe=host("2.13.0"), resume=True)
    assert back.runs == []


def test_a_failed_point_is_a_result_and_is_not_retried(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    oom = "\n".join(["loading", "infertime: error: out of memory at batch 4 (bf16)"])
    report = sweep(folder, FakeRunner(fail={"--batch-size 4 --dtype bf16": (4, oom)}))
    failed = [r for r in report.runs.values() if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["reason"] == "out-of-memory"
    path = folder / "points" / failed[0]["file"]
    document = json.loads(path.read_text())
    assert document["kind"] == "failed-point" and document["exit_code"] == 4
    assert document["message"] == "infertime: error: out of memory at batch 4 (bf16)"
    assert "loading" in document["stderr_tail"]
    again = FakeRunner()
    sweep(folder, again, resume=True)
    assert again.runs == []
    retry = FakeRunner()
    report = sweep(folder, retry, resume=True, retry_failed=True)
    assert len(retry.runs) == 1
    assert all(r["status"] == "ok" for r in report.runs.values())


def test_another_sweep_is_refused_unless_forced(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    sweep(folder, FakeRunner())
    with pytest.raises(ConfigError, match="already holds a sweep"):
        sweep(folder, FakeRunner())
    bigger = [*ARGS[:2], "1,2,4,8", *ARGS[3:]]
    with pytest.raises(ConfigError, match="holds another sweep") as caught:
        sweep(folder, FakeRunner(), args=bigger, resume=True)
    assert caught.value.exit_code == 2
    forced = FakeRunner()
    sweep(folder, forced, args=bigger, resume=True, force=True)
    assert len(forced.runs) == 2  # only batch 8's points are new
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="not empty"):
        sweep(tmp_path / "other", FakeRunner())


class StopAfter(SweepProgress):
    """Ctrl-C in the driver after `n` points have finished."""

    def __init__(self, n: int) -> None:
        super().__init__(write=lambda line: None)
        self.n = n

    def finished(self, *args: Any) -> None:
        super().finished(*args)
        if self.done == self.n:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_what_finished_and_resume_does_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    first = FakeRunner(delay_s=0.01)
    with pytest.raises(Interrupted) as caught:
        sweep(folder, first, progress=StopAfter(2))
    assert caught.value.exit_code == 130
    m = manifest(folder)
    statuses = [run["status"] for p in m["points"] for run in p["rounds"].values()]
    assert m["state"] == "interrupted" and sorted(statuses) == ["ok"] * 2 + ["pending"] * 4
    rest = FakeRunner()
    sweep(folder, rest, resume=True)
    assert len(rest.runs) == 4 and not set(rest.runs) & set(first.runs)


def test_a_full_disk_stops_with_one_line_and_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import infertime.resultfile as resultfile

    folder = tmp_path / "s"
    calls = {"n": 0}
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # the manifest, the first point, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(resultfile.os, "fsync", fsync)
    with pytest.raises(ResultFileError) as caught:
        sweep(folder, FakeRunner())
    assert caught.value.exit_code == 7
    assert "No space left on device" in caught.value.one_line()
    leftovers = [p for p in folder.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    for path in (folder / "points").glob("*.json"):
        json.loads(path.read_text())  # whole files only
    with pytest.raises(ResultFileError, match="cannot create the results folder"):
        (tmp_path / "file").write_text("")
        sweep(tmp_path / "file" / "s", FakeRunner())


def test_a_childs_finished_file_is_adopted_on_resume(tmp_path: Path) -> None:
    """The driver died after a child wrote its result and before storing it."""
    folder = tmp_path / "s"
    with pytest.raises(Interrupted):
        sweep(folder, FakeRunner(), progress=StopAfter(1))
    grid = parse_grid_args("run", ARGS)
    pending = [plan_point(p, False) for p in grid.points()]
    done = {p["key"] for p in manifest(folder)["points"]
            if p["rounds"]["1"]["status"] == "ok"}  # fmt: skip
    point = next(p for p in pending if p.key not in done)
    name = file_name(point.config_hash, host().for_cpu().hash, 1)[: -len(".json")]
    staged = folder / "staging" / f".{name}.child.json"
    staged.write_text(json.dumps(latency_document(point.point.values, 2e-3)))
    (folder / "staging" / ".half.json.x1y2.tmp").write_text("{partial")
    rest = FakeRunner()
    report = sweep(folder, rest, resume=True)
    assert (point.key, 1) not in rest.runs and len(rest.runs) == 4
    assert report.runs[(point.key, 1)]["adopted"] is True
    assert not list((folder / "staging").iterdir())


def test_gpus_are_never_shared_and_cpu_points_run_alone(tmp_path: Path) -> None:
    gpus = (Gpu(0, "NVIDIA H200", "GPU-aaaa"), Gpu(1, "NVIDIA H200", "GPU-bbbb"))
    runner = FakeRunner(delay_s=0.05)
    args = ["m:f", "--batch-size", "1,2,4,8", "--device", "cuda"]
    report = sweep(tmp_path / "g", runner, args=args, probe=host(gpus=gpus))
    spans: dict[str, list[tuple[float, float]]] = {}
    for run in report.runs.values():
        placement, timing = run["placement"], run["timing"]
        spans.setdefault(placement["cuda_visible_devices"], []).append(
            (timing["started_unix"], timing["ended_unix"])
        )
        assert placement["omp_num_threads"] == str(len(placement["cores"]))
    assert set(spans) <= {"GPU-aaaa", "GPU-bbbb"}
    for intervals in spans.values():
        intervals.sort()
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(intervals))
    assert {e["CUDA_DEVICE_ORDER"] for e in runner.envs} == {"PCI_BUS_ID"}


def test_local_executor_places_cpu_points_alone() -> None:
    from infertime.sweep.executor import Job
    from infertime.sweep.runner import PointTask

    gpus = (Gpu(0, "A", "GPU-a"), Gpu(1, "A", "GPU-b"))
    executor = LocalExecutor(FakeRunner(delay_s=5), host=host(gpus=gpus))
    executor.open(Path("/nonexistent"))

    def job(kind: str) -> Job:
        return Job(PointTask("k", 1, "run", ("run", "m:f"), 60), kind)

    try:
        assert executor.try_start(job("cuda"))
        assert not executor.try_start(job("cpu"))  # waits for the GPU point
        assert executor.try_start(job("cuda"))
        assert not executor.try_start(job("cuda"))  # both GPUs busy
    finally:
        executor.stop()
        executor.close()
