"""`kill -9` of the driver at a random moment, then `--resume`: no point lost, none measured
twice (the issue's target, on the CPU with stand-in children that load no model)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sweep_processes import HERE

ARGS = ["run", "m:f", "--batch-size", "1,2,3", "--dtype", "fp32,bf16", "--device", "cpu"]


def env(log: Path) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "SWEEP_FAKE_LOG": str(log), "SWEEP_FAKE_DELAY_S": "0.3",
            "PYTHONPATH": path}  # fmt: skip


def driver(folder: Path, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    script = str(HERE / "sweep_processes.py")
    return subprocess.Popen([sys.executable, script, "driver", str(folder), *ARGS, *extra],
                            env=env(log), stderr=subprocess.PIPE)  # fmt: skip


@pytest.mark.parametrize(("seed", "start"), [(1, "fresh"), (2, "fresh"), (3, "fork")])
def test_kill_9_then_resume_loses_none_and_measures_none_twice(
    tmp_path: Path, seed: int, start: str
) -> None:
    folder, log = tmp_path / "s", tmp_path / "log.jsonl"
    fork = ["--fork"] if start == "fork" else []
    first = driver(folder, log, *fork)
    if fork:  # wait for the fork server's first child: the kill comes while points run
        deadline = time.monotonic() + 120
        while not (log.exists() and log.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
    deadline = time.monotonic() + 60
    while not (folder / "manifest.json").exists() and time.monotonic() < deadline:
        time.sleep(0.02)  # the driver is up (torch-free imports are slow on a loaded CI)
    time.sleep(random.Random(seed).uniform(0.1, 1.5))  # somewhere in the middle of the sweep
    first.send_signal(signal.SIGKILL)
    first.wait()
    assert json.loads((folder / "manifest.json").read_text())["state"] == "running"
    deadline = time.monotonic() + 30  # children die with their parent (PR_SET_PDEATHSIG)
    while survivors(log) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert survivors(log) == []  # nor the fork server, nor its children
    second = driver(folder, log, "--resume", *fork)
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["state"] == "complete"
    runs = [p["rounds"]["1"] for p in manifest["points"]]
    assert len(runs) == 6 and all(r["status"] == "ok" for r in runs)
    assert {r["timing"]["start"] for r in runs if r.get("timing")} == {start}
    files = sorted((folder / "points").glob("*.json"))
    assert len(files) == 6 and len({f.name.split("-")[0] for f in files}) == 6
    finished = [tuple(json.loads(line)["argv"]) for line in log.read_text().splitlines()]
    assert len(finished) == len(set(finished)) <= 6  # no point measured to the end twice
    assert not [p for p in (folder / "staging").iterdir()]


def survivors(log: Path) -> list[int]:
    """Processes still running with this test's environment (the driver's descendants)."""
    mark = f"SWEEP_FAKE_LOG={log}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().split(") ")[-1][:1]
        except OSError:
            continue
        if mark in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found
