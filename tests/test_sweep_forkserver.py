"""Points forked from the fork server: what each child gets (its own environment, cores and
session, torch already imported), stop and timeout, and falling back to fresh interpreters when
the server cannot serve. Children are the stand-in of sweep_processes.py (no model)."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from infertime.sweep.cliargs import parse_grid_args
from infertime.sweep.driver import SweepSettings, run_sweep
from infertime.sweep.forkserver import ForkServerRunner
from infertime.sweep.local import LocalExecutor
from infertime.sweep.runner import PointTask, SubprocessRunner
from sweep_helpers import host
from sweep_processes import HERE, child_command, forkserver_command

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork server: Linux")


@pytest.fixture
def stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The stand-in children log to this file; the server finds them on PYTHONPATH."""
    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("SWEEP_FAKE_LOG", str(log))
    monkeypatch.setenv("SWEEP_FAKE_DELAY_S", "0.05")
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH")) if p)
    )
    return log


def task(batch: int, timeout_s: float = 60.0) -> PointTask:
    argv = ("run", "m:f", "--batch-size", str(batch), "--device", "cpu")
    return PointTask(f"k{batch}", 1, "run", argv, timeout_s)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1]
    except OSError:
        return False
    return state != "Z"


def test_a_sweep_forks_every_point_from_one_server(tmp_path: Path, stand_in: Path) -> None:
    runner = ForkServerRunner(forkserver_command())
    grid = parse_grid_args("run", ["m:f", "--batch-size", "1,2,3", "--device", "cpu"])
    report = run_sweep(
        grid, tmp_path / "s", SweepSettings(), executor=LocalExecutor(runner, host=host())
    )
    assert report.state == "complete"
    runs = list(report.runs.values())
    assert len(runs) == 3 and all(r["status"] == "ok" for r in runs)
    assert {r["timing"]["start"] for r in runs} == {"fork"}
    children = [json.loads(line) for line in stand_in.read_text().splitlines()]
    assert len(children) == 3
    # One server: every child is its child, forked with torch already imported.
    assert len({c["ppid"] for c in children}) == 1 and len({c["pid"] for c in children}) == 3
    assert all(c["torch_loaded"] for c in children)
    assert not alive(children[0]["ppid"])  # the sweep ended: so did its server


def test_a_child_gets_its_environment_cores_and_session(tmp_path: Path, stand_in: Path) -> None:
    runner = ForkServerRunner(forkserver_command())
    try:
        out = tmp_path / "p.json"
        cores = sorted(os.sched_getaffinity(0))[:1]
        env = {"CUDA_VISIBLE_DEVICES": "GPU-test", "OMP_NUM_THREADS": "1"}
        outcome = runner.run(task(1), env, out, threading.Event(), cores)
        assert outcome.status == "ok" and outcome.start == "fork", outcome.message
        assert outcome.cores == tuple(cores)
        assert outcome.document is not None and outcome.document["kind"] == "latency"
        logged = json.loads(stand_in.read_text().splitlines()[-1])
        assert logged["visible"] == "GPU-test" and logged["torch_loaded"]
        assert logged["threads"] == 1  # OpenMP's count as a fresh interpreter would read it
        assert logged["cores"] == cores
        assert logged["own_session"] and logged["sigint_default"]
    finally:
        runner.close()


def test_stop_and_timeout_end_the_forked_child(
    tmp_path: Path, stand_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWEEP_FAKE_DELAY_S", "60")
    runner = ForkServerRunner(forkserver_command())
    try:
        outcome = runner.run(task(1, timeout_s=1.0), {}, tmp_path / "a.json", threading.Event())
        assert outcome.status == "failed" and outcome.start == "fork"
        assert outcome.reason == "timeout" and "limit of 1 s" in outcome.message
        stop = threading.Event()
        threading.Timer(0.5, stop.set).start()
        outcome = runner.run(task(2), {}, tmp_path / "b.json", stop)
        assert outcome.status == "stopped"
        assert not (tmp_path / "a.json").exists() and not (tmp_path / "b.json").exists()
    finally:
        runner.close()


def test_a_failing_child_is_a_failed_point_with_its_stderr(tmp_path: Path, stand_in: Path) -> None:
    runner = ForkServerRunner(forkserver_command())
    try:
        oom = PointTask("k", 1, "run", ("run", "oom:x", "--device", "cpu"), 60.0)
        outcome = runner.run(oom, {}, tmp_path / "o.json", threading.Event())
        assert outcome.status == "failed" and outcome.exit_code == 4
        assert "out of memory" in outcome.stderr_tail
        crash = PointTask("k", 1, "run", ("run", "crash:x", "--device", "cpu"), 60.0)
        outcome = runner.run(crash, {}, tmp_path / "c.json", threading.Event())
        assert outcome.status == "failed" and outcome.exit_code == -9
    finally:
        runner.close()


@pytest.mark.parametrize(
    ("server", "why"),
    [
        ("import sys; sys.exit(3)", "the fork server ended"),
        (
            "import json; print(json.dumps({'ready': True, 'fork_safe': False, 'why': 'CUDA "
            "was initialised'}), flush=True); import sys; sys.stdin.read()",
            "CUDA was initialised",
        ),
    ],
)
def test_a_server_that_cannot_serve_means_fresh_interpreters(
    tmp_path: Path, stand_in: Path, server: str, why: str
) -> None:
    runner = ForkServerRunner([sys.executable, "-c", server], SubprocessRunner(child_command()))
    try:
        outcome = runner.run(task(1), {}, tmp_path / "p.json", threading.Event())
        assert outcome.status == "ok"
        assert outcome.start.startswith("fresh (") and why in outcome.start
        logged = json.loads(stand_in.read_text().splitlines()[-1])
        assert not logged["torch_loaded"]  # a fresh interpreter of the stand-in
    finally:
        runner.close()


def test_start_fork_is_refused_where_it_cannot_work() -> None:
    from infertime.errors import ConfigError

    with pytest.raises(ConfigError, match="local executor"):
        SweepSettings(start="fork", executor="ray")
    with pytest.raises(ConfigError, match="--start"):
        SweepSettings(start="spawn")
    assert SweepSettings(executor="ray").start_mode == "fresh"
    assert SweepSettings(start="fresh").start_mode == "fresh"


def test_points_that_differ_in_what_is_read_at_import_get_servers_of_their_own(
    tmp_path: Path, stand_in: Path
) -> None:
    runner = ForkServerRunner(forkserver_command(), SubprocessRunner(child_command()))
    try:
        for n, threads in enumerate(("1", "2", "1")):
            env = {"OMP_NUM_THREADS": threads, "CUDA_VISIBLE_DEVICES": f"GPU-{n}"}
            outcome = runner.run(task(n + 1), env, tmp_path / f"{n}.json", threading.Event())
            assert outcome.status == "ok" and outcome.start == "fork"
        logged = [json.loads(line) for line in stand_in.read_text().splitlines()]
        # torch read OMP_NUM_THREADS when the server imported it, as a fresh interpreter would
        assert [c["threads"] for c in logged] == [1, 2, 1]
        assert [c["visible"] for c in logged] == ["GPU-0", "GPU-1", "GPU-2"]
        assert logged[0]["ppid"] == logged[2]["ppid"] != logged[1]["ppid"]
    finally:
        runner.close()


def test_a_server_that_never_answers_is_ended_and_points_run_fresh(
    tmp_path: Path, stand_in: Path
) -> None:
    mute = (
        "import json, sys; print(json.dumps({'ready': True, 'fork_safe': True}), flush=True); "
        "sys.stdin.read()"
    )
    runner = ForkServerRunner(
        [sys.executable, "-c", mute], SubprocessRunner(child_command()), pid_timeout_s=0.5
    )
    try:
        outcome = runner.run(task(1), {}, tmp_path / "p.json", threading.Event())
        assert outcome.status == "ok" and "did not answer" in outcome.start
        assert runner._servers == {}  # ended, not left beside the fresh points
        again = runner.run(task(2), {}, tmp_path / "q.json", threading.Event())
        assert again.status == "ok" and again.start.startswith("fresh (")
    finally:
        runner.close()


def test_a_server_dying_mid_point_means_the_point_runs_again_fresh(
    tmp_path: Path, stand_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SWEEP_FAKE_FORK_DELAY_S", "60")  # forked: runs until the server dies
    runner = ForkServerRunner(forkserver_command(), SubprocessRunner(child_command()))
    outcomes: list[Any] = []
    worker = threading.Thread(
        target=lambda: outcomes.append(
            runner.run(task(1), {}, tmp_path / "p.json", threading.Event())
        )
    )
    worker.start()
    try:
        deadline = time.monotonic() + 300  # the server imports torch first
        child_pid = None
        while child_pid is None and time.monotonic() < deadline and worker.is_alive():
            server = next(iter(runner._servers.values()), None)
            pids = [r.pid for r in server.requests.values() if r.pid] if server else []
            child_pid = pids[0] if pids else None
            time.sleep(0.05)
        assert server is not None and child_pid is not None
        os.kill(server.proc.pid, signal.SIGKILL)
        worker.join(timeout=120)
        (outcome,) = outcomes
        assert outcome.status == "ok" and outcome.start == "fresh (the fork server died)"
        deadline = time.monotonic() + 30
        while alive(child_pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(child_pid)  # the forked child died with its server
    finally:
        runner.close()
        worker.join(timeout=120)


def test_the_server_imports_only_the_model_libraries_the_grid_uses() -> None:
    from infertime.sweep.driver import preload_libraries

    grid = parse_grid_args("run", ["timm:resnet18", "--model", "m:f", "--device", "cpu"])
    assert preload_libraries(grid) == ["timm"]
    assert preload_libraries(parse_grid_args("run", ["m:f", "--device", "cpu"])) == []
    runner = ForkServerRunner(libraries=["timm"])
    assert runner.command[-2:] == ("--preload", "timm")


def test_no_point_is_forked_beside_a_server_still_importing(tmp_path: Path, stand_in: Path) -> None:
    waited: list[bool] = []

    class Importing:  # another slot's server, warmed and not ready yet
        def wait_ready(self, stop: threading.Event, timeout_s: float) -> bool:
            waited.append(True)
            return True

        def close(self) -> None:
            pass

    runner = ForkServerRunner(forkserver_command())
    runner._servers[((0,), (("OMP_NUM_THREADS", "1"),))] = Importing()  # type: ignore[assignment]
    try:
        outcome = runner.run(task(1), {}, tmp_path / "p.json", threading.Event())
        assert outcome.status == "ok" and outcome.start == "fork" and waited == [True]
    finally:
        runner.close()
