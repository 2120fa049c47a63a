"""The pytest plugin's regression gate on a GPU (issue 26, item 5), through pytest as suites do.

EfficientNet-B0 (timm, random weights, fp32) at batch 1 (launch-bound: the host's launches set
the pace) and batch 256 (GPU-bound), each compared with itself by the `infertime` fixture:

    infertime.compare(baseline, candidate, x, fail_if_slower="5%", seed=run)

A/A: the candidate is a second wrapper around the same model, no added cost. Slowdown: the
candidate adds a known cost of `--slowdown` times the baseline's median latency, where the
configuration spends its time: a busy wait on the host at batch 1, a GPU sleep kernel
(`torch.cuda._sleep`, calibrated here in cycles per second) at batch 256. A test fails when the
gate says "regression" or "inconclusive".

Targets: the A/A gate fails in 0 of `--aa` runs per model; the slowdown fails every run. Also
the host synchronisations inside the timed region: a test counts `torch.cuda.synchronize` and
`Event.synchronize` calls against the model calls of one `infertime.device_time` (pipelined
blocks: one synchronize after each block, none between its calls) and of one
`infertime.latency` (the article's method: one after each call, after its end event).

    PYTHONPATH=src python benchmarks/pytest_gate_gpu.py --out docs/validation
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

COMMON = '''
import json
import os
import time

import pytest
import timm
import torch
from torch import nn

import infertime as api

BATCH = int(os.environ["GATE_BATCH"])
DEVICE = os.environ.get("GATE_DEVICE", "cuda")  # cpu: a smoke test of this script
torch.manual_seed(0)
MODEL = timm.create_model("efficientnet_b0", pretrained=False).to(DEVICE).eval()
X = torch.randn(BATCH, 3, 224, 224, device=DEVICE)


def sleep_cycles_per_s():
    """Cycles of torch.cuda._sleep per second on this GPU, from two lengths (the difference
    cancels the launch)."""
    if DEVICE == "cpu":
        return 0.0
    times = []
    for cycles in (1_000_000, 11_000_000):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        torch.cuda._sleep(cycles)
        torch.cuda.synchronize()
        start.record()
        torch.cuda._sleep(cycles)
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return 10_000_000 / (times[1] - times[0])


class Slower(nn.Module):
    """The model, then a known added cost: host busy wait or GPU sleep of `extra_s`."""

    def __init__(self, model, extra_s, where, cycles_per_s):
        super().__init__()
        self.model = model
        self.extra_s = extra_s
        self.where = where
        self.cycles = int(extra_s * cycles_per_s)

    def forward(self, x):
        y = self.model(x)
        if self.extra_s > 0 and self.where == "host":
            end = time.perf_counter() + self.extra_s
            while time.perf_counter() < end:
                pass
        elif self.cycles > 0:
            torch.cuda._sleep(self.cycles)
        return y
'''

GATE_TEST = (
    COMMON
    + """
RUNS = int(os.environ["GATE_RUNS"])
SLOWDOWN = float(os.environ["GATE_SLOWDOWN"])
WHERE = os.environ["GATE_WHERE"]
MAX_TIME_S = float(os.environ["GATE_MAX_TIME_S"])
with torch.inference_mode():
    BASE_S = api.measure_latency(MODEL, X, device=DEVICE, diagnose=False).latency.summary.median
CYCLES_PER_S = sleep_cycles_per_s()
EXTRA_S = SLOWDOWN * BASE_S


@pytest.mark.parametrize("run", range(RUNS))
def test_gate(infertime, run):
    infertime.compare(
        Slower(MODEL, 0.0, WHERE, CYCLES_PER_S), Slower(MODEL, EXTRA_S, WHERE, CYCLES_PER_S), X,
        names=("baseline", "candidate"), fail_if_slower="5%", device=DEVICE, seed=run,
        **({"max_time_s": MAX_TIME_S} if MAX_TIME_S > 0 else {}),
    )
"""
)

SYNC_TEST = (
    COMMON
    + '''
def counting(record):
    """Count synchronisations and model calls, in order, while the fixture measures."""
    log = []
    patched = [(torch.cuda, "synchronize"), (torch.cuda.Event, "synchronize")]
    originals = [getattr(owner, name) for owner, name in patched]

    def wrap(original):
        def synchronize(*a, **k):
            log.append("s")
            return original(*a, **k)
        return synchronize

    for (owner, name), original in zip(patched, originals):
        setattr(owner, name, wrap(original))
    handle = MODEL.register_forward_hook(lambda *a: log.append("c"))
    try:
        yield log
    finally:
        handle.remove()
        for (owner, name), original in zip(patched, originals):
            setattr(owner, name, original)


@pytest.mark.parametrize("figure", ["device_time", "latency"])
def test_syncs(infertime, figure):
    gen = counting(None)
    log = next(gen)
    getattr(infertime, figure)(MODEL, X, device=DEVICE)
    next(gen, None)
    runs, current = [], 0  # model calls between two synchronisations
    for item in log:
        if item == "c":
            current += 1
        elif current:
            runs.append(current)
            current = 0
    out = {
        "figure": figure,
        "calls": log.count("c"),
        "syncs": log.count("s"),
        "calls_between_syncs_min": min(runs) if runs else None,
        "calls_between_syncs_max": max(runs) if runs else None,
        "blocks": len(runs),
    }
    path = os.environ["SYNC_OUT"]
    with open(path, "a") as f:
        f.write(json.dumps(out) + "\\n")
'''
)


def plugin_args() -> list[str]:
    names = {ep.name for ep in metadata.entry_points(group="pytest11")}
    return [] if "infertime" in names else ["-p", "infertime.pytest_plugin"]


def pytest_in(folder: Path, text: str, env: dict[str, str], out: Path) -> tuple[int, str, float]:
    (folder / "test_it.py").write_text(text)
    paths = [str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(":") if p]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths), **env}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", *plugin_args(), "-q", "-p", "no:cacheprovider",
         "--rootdir", str(folder), "--infertime-json", str(out), str(folder)],
        capture_output=True, text=True, env=env, cwd=folder, check=False,
    )  # fmt: skip
    tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
    return proc.returncode, "\n".join(tail), time.perf_counter() - t0


def gate_cell(batch: int, runs: int, slowdown: float, where: str, max_time_s: float) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        folder, out = Path(tmp), Path(tmp) / "gate.json"
        env = {
            "GATE_BATCH": str(batch), "GATE_RUNS": str(runs), "GATE_SLOWDOWN": str(slowdown),
            "GATE_WHERE": where, "GATE_MAX_TIME_S": str(max_time_s),
        }  # fmt: skip
        code, tail, wall_s = pytest_in(folder, GATE_TEST, env, out)
        doc = json.loads(out.read_text()) if out.is_file() else {"measurements": []}
    tests = []
    for m in doc["measurements"]:
        ratio = m["result"]["ratios"][0]
        states = [c["state"] for c in m.get("checks", [])]
        tests.append(
            {
                "gate": states[0] if states else None,
                "time_ratio": ratio["time_ratio"],
                "ci": ratio["time_ratio_ci"],
                "rounds": len(m["result"]["orders"]),
            }
        )
    return {
        "batch": batch, "where": where, "runs": runs, "slowdown": slowdown,
        "max_time_s": max_time_s, "pytest_exit": code, "tail": tail, "wall_s": wall_s,
        "failed": sum(t["gate"] != "passed" for t in tests),
        "outcomes": {s: sum(t["gate"] == s for t in tests)
                     for s in ("passed", "regression", "inconclusive")},
        "tests": tests,
    }  # fmt: skip


def sync_cell(batch: int) -> Any:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sync_out = folder / "syncs.jsonl"
        env = {"GATE_BATCH": str(batch), "SYNC_OUT": str(sync_out)}
        code, tail, wall_s = pytest_in(folder, SYNC_TEST, env, folder / "r.json")
        rows = (
            [json.loads(x) for x in sync_out.read_text().splitlines()] if sync_out.is_file() else []
        )
    return {"batch": batch, "pytest_exit": code, "tail": tail, "wall_s": wall_s, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("."))
    parser.add_argument("--aa", type=int, default=20, help="A/A runs per batch (target: 0 fail)")
    parser.add_argument("--slow", type=int, default=3, help="slowdown runs per batch")
    parser.add_argument("--slowdown", type=float, default=0.10)
    parser.add_argument("--batches", default="1,256")
    parser.add_argument("--max-time-s", type=float, default=0.0, help="each compare's budget")
    parser.add_argument("--device", default="cuda", help="cpu: a smoke test of the script")
    ns = parser.parse_args()
    import torch

    os.environ["GATE_DEVICE"] = ns.device
    ns.out.mkdir(parents=True, exist_ok=True)
    store = ns.out / "pytest_gate_gpu.json"
    data: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "gpu": torch.cuda.get_device_name(0) if ns.device != "cpu" else "cpu",
        "torch": torch.__version__,
        "cells": [],
        "syncs": [],
    }
    for batch in map(int, ns.batches.split(",")):
        data["syncs"].append(sync_cell(batch))
        store.write_text(json.dumps(data, indent=1))
        where = "host" if batch == 1 else "gpu"
        for runs, slowdown in ((ns.aa, 0.0), (ns.slow, ns.slowdown)):
            cell = gate_cell(batch, runs, slowdown, where, ns.max_time_s)
            data["cells"].append(cell)
            store.write_text(json.dumps(data, indent=1))  # a time limit keeps what is done
            print(
                f"batch {batch} slowdown {slowdown:.0%} ({where}): {cell['outcomes']} "
                f"in {cell['wall_s']:.0f} s",
                flush=True,
            )
    for s in data["syncs"]:
        for row in s["rows"]:
            print(f"batch {s['batch']}: {row}")


if __name__ == "__main__":
    main()
