"""Does the pytest plugin's regression gate cry wolf, and does it catch a real slowdown?

A tiny CPU model (Linear 256-ReLU-Linear 256, batch 16, one thread) is compared with itself
through the plugin exactly as a test suite would: a generated test file, run by pytest in a
fresh process, each test calling

    infertime.compare(baseline, candidate, x, fail_if_slower="5%", threads=1, seed=run)

(live, interleaved, copies of each model as a random effect: 4 copies by default). The
baseline and the candidate are the same wrapper around the same model; the candidate adds a
known cost after each call, a busy wait of `slowdown` times the baseline's median latency
(measured first, in the same pytest process). A test fails when the gate says "regression"
or "inconclusive" (a gate that cannot judge does not pass).

Targets (issue 24): A/A (no added cost) fails in 0 of 50 runs; a 20 % slowdown fails in at
least 95 % of 20 runs. `--load-threads N` runs another process doing torch matmuls on N
threads for the whole run (a loaded machine).

    PYTHONPATH=src python benchmarks/pytest_gate.py --aa 50 --slow 20 \
        --out docs/validation/raw/pytest_gate.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

LOAD = (
    "import torch\n"
    "torch.set_num_threads({threads})\n"
    "a = torch.randn(512, 512)\n"
    "while True:\n"
    "    a = (a @ a).clamp_(-1, 1)\n"
)

TEST_FILE = '''
import os
import time

import pytest
import torch
from torch import nn

import infertime as api

RUNS = int(os.environ["GATE_RUNS"])
SLOWDOWN = float(os.environ["GATE_SLOWDOWN"])
THRESHOLD = os.environ["GATE_THRESHOLD"]
MAX_TIME_S = float(os.environ["GATE_MAX_TIME_S"])


class Spin(nn.Module):
    """The model, then a busy wait of `extra_s` (the known added cost)."""

    def __init__(self, model, extra_s):
        super().__init__()
        self.model = model
        self.extra_s = extra_s

    def forward(self, x):
        y = self.model(x)
        if self.extra_s > 0:
            end = time.perf_counter() + self.extra_s
            while time.perf_counter() < end:
                pass
        return y


torch.manual_seed(0)
MODEL = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 256))
X = torch.randn(16, 256)
BASE_S = api.measure_latency(Spin(MODEL, 0.0), X, threads=1, diagnose=False).latency.summary.median
EXTRA_S = SLOWDOWN * BASE_S


@pytest.mark.parametrize("run", range(RUNS))
def test_gate(infertime, run):
    infertime.compare(
        Spin(MODEL, 0.0), Spin(MODEL, EXTRA_S), X, names=("baseline", "candidate"),
        fail_if_slower=THRESHOLD, threads=1, seed=run,
        **({"max_time_s": MAX_TIME_S} if MAX_TIME_S > 0 else {}),
    )
'''


def plugin_args() -> list[str]:
    """`-p infertime.pytest_plugin` where the entry point is not installed (a source tree)."""
    names = {ep.name for ep in metadata.entry_points(group="pytest11")}
    return [] if "infertime" in names else ["-p", "infertime.pytest_plugin"]


def load() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


def run_cell(runs: int, slowdown: float, threshold: str, max_time_s: float) -> dict[str, Any]:
    """One pytest process of `runs` gated comparisons; what each test's gate said."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_gate.py").write_text(TEST_FILE)
        out = folder / "gate.json"
        # pytest runs in the temporary folder: a relative PYTHONPATH (src) made absolute.
        paths = [str(Path(p).resolve()) for p in os.environ.get("PYTHONPATH", "").split(":") if p]
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(paths),
            "GATE_RUNS": str(runs),
            "GATE_SLOWDOWN": str(slowdown),
            "GATE_THRESHOLD": threshold,
            "GATE_MAX_TIME_S": str(max_time_s),
        }
        load_before, t0 = load(), time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", *plugin_args(), "-q", "-p", "no:cacheprovider",
             "--rootdir", str(folder), "--infertime-json", str(out), str(folder)],
            capture_output=True, text=True, env=env, cwd=folder, check=False,
        )  # fmt: skip
        wall_s = time.perf_counter() - t0
        if not out.is_file():
            raise SystemExit(
                f"pytest wrote no results (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}"
            )
        doc = json.loads(out.read_text())
    tests = []
    for m in doc["measurements"]:
        ratio = m["result"]["ratios"][0]
        states = [c["state"] for c in m.get("checks", [])]
        tests.append(
            {
                "nodeid": m["nodeid"],
                "gate": states[0] if states else None,
                "time_ratio": ratio["time_ratio"],
                "ci": ratio["time_ratio_ci"],
                "rounds": len(m["result"]["orders"]),
                "copies": m["result"]["policy"]["copies"],
                "load_at_start": m["result"]["environment"]["host"].get("load_at_start"),
            }
        )
    return {
        "runs": runs,
        "slowdown": slowdown,
        "threshold": threshold,
        "max_time_s": max_time_s,
        "failed": sum(t["gate"] != "passed" for t in tests),
        "outcomes": {s: sum(t["gate"] == s for t in tests) for s in ("passed", "regression",
                                                                      "inconclusive")},
        "pytest_exit": proc.returncode,
        "pytest_last_line": proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "",
        "wall_s": wall_s,
        "load_before": load_before,
        "load_after": load(),
        "tests": tests,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--aa", type=int, default=50, help="A/A runs (target: 0 fail)")
    parser.add_argument("--slow", type=int, default=20, help="slowdown runs (target: ≥ 95 %%)")
    parser.add_argument("--slowdown", type=float, default=0.20)
    parser.add_argument("--threshold", default="5%")
    parser.add_argument(
        "--max-time", type=float, default=0.0, help="compare's max_time_s (0: its default)"
    )
    parser.add_argument("--load-threads", type=int, default=0, help="a busy process's threads")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    slower = f"+{args.slowdown:.0%}"
    busy = None
    if args.load_threads:
        code = LOAD.format(threads=args.load_threads)
        busy = subprocess.Popen([sys.executable, "-c", code])
        time.sleep(5)  # the load average catches up
    try:
        cells = [
            ("A/A", run_cell(args.aa, 0.0, args.threshold, args.max_time)),
            (slower, run_cell(args.slow, args.slowdown, args.threshold, args.max_time)),
        ]
    finally:
        if busy is not None:
            busy.kill()
    print(f"{'cell':<6} {'runs':>4} {'failed':>6} {'regr.':>5} {'inconcl.':>8} "
          f"{'ratio range':<13} {'wall':>6} load before-after")  # fmt: skip
    for name, c in cells:
        ratios = [t["time_ratio"] for t in c["tests"]]
        print(
            f"{name:<6} {c['runs']:>4} {c['failed']:>6} {c['outcomes']['regression']:>5} "
            f"{c['outcomes']['inconclusive']:>8} {min(ratios):.3f}–{max(ratios):.3f}   "
            f"{c['wall_s']:>5.0f}s {c['load_before']:.2f}–{c['load_after']:.2f}"
        )
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "machine": {"node": platform.node(), "cpu": _cpu(), "cores": os.cpu_count()},
            "load_threads": args.load_threads,
            "cells": dict(cells),
        }
        args.out.write_text(json.dumps(doc, indent=1) + "\n")


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
