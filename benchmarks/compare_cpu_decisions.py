"""Does `infertime compare` cry wolf on this CPU? A/A and known-ratio comparisons, quiet and
loaded, each in a fresh `infertime compare` process (as a user runs it).

Models (benchmarks/bench_models.py): `tiny` (Linear 64-ReLU-Linear 64, about 15 µs a call) and
`convnet` (a few ms a call), and `twice` versions of each that run the same module twice in one
call (the known ratio: 2.00). Per cell, `--runs` invocations of
    infertime compare MODEL MODEL            (A/A: a claim of faster or slower is false)
    infertime compare MODEL MODEL_twice      (known: the CI should hold 2.00; wrong: "faster")
"loaded" runs another process doing torch matmuls on every core for the whole cell.
Targets (issue 19): A/A false claims ≤ 1 of 20 per model, quiet and loaded; the known ratio in
the CI in ≥ 19 of 20 quiet invocations; loaded, right or undecided, never wrong. For the µs-scale
model the twice/once ratio is not 2.00 (the wrapper's dispatch is part of the call: 2.19 here),
so its coverage is also counted against the median ratio of all the cell's invocations.

    PYTHONPATH=src python benchmarks/compare_cpu_decisions.py --runs 20 --max-time 10 \
        --out docs/validation/raw/compare_cpu_decisions.json
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
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
LOAD = (
    "import torch, time\n"
    "torch.set_num_threads({threads})\n"
    "a = torch.randn(512, 512)\n"
    "while True:\n"
    "    a = (a @ a).clamp_(-1, 1)\n"
)


def compare(a: str, b: str, max_time: float, out: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "infertime", "compare", a, b, "--device", "cpu",
         "--max-time", str(max_time), "-q", "--json", str(out)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:], "wall_s": wall}
    doc = json.loads(out.read_text())
    ratio = doc["ratios"][0]
    return {
        "ratio": ratio["time_ratio"],
        "ci": ratio["time_ratio_ci"],
        "decision": ratio["decision"],
        "verdict": ratio["verdict"],
        "rounds": len(doc["orders"]),
        "wall_s": wall,
        "load_at_start": doc["environment"]["host"].get("load_at_start"),
    }


def cell(a: str, b: str, runs: int, max_time: float, known: float | None) -> dict[str, Any]:
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(runs):
            results.append(compare(a, b, max_time, Path(tmp) / f"{k}.json"))
            print(" ", results[-1], flush=True)
    ok = [r for r in results if "error" not in r]
    out: dict[str, Any] = {"runs": results, "errors": len(results) - len(ok)}
    if known is None:
        out["false_claims"] = sum(r["decision"] in ("faster", "slower") for r in ok)
    else:
        out["covered"] = sum(r["ci"] is not None and r["ci"][0] <= known <= r["ci"][1] for r in ok)
        # For a µs-scale model "twice" is not exactly 2.00: the wrapper's own dispatch (a few µs)
        # is part of its call. The median ratio over all the cell's invocations stands in for
        # the true ratio there (it is 2.00 within 0.5 % for the ms-scale model).
        pooled = sorted(r["ratio"] for r in ok)
        if pooled:
            out["pooled_ratio"] = pooled[len(pooled) // 2]
            out["covered_pooled"] = sum(
                r["ci"] is not None and r["ci"][0] <= out["pooled_ratio"] <= r["ci"][1] for r in ok
            )
        out["with_ci"] = sum(r["ci"] is not None for r in ok)
        out["wrong"] = sum(r["decision"] == "faster" for r in ok)
        out["called_slower"] = sum(r["decision"] == "slower" for r in ok)
    out["undecided"] = sum(r["decision"] == "undecided" for r in ok)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--max-time", type=float, default=10.0)
    parser.add_argument("--models", default="tiny,convnet")
    parser.add_argument("--conditions", default="quiet,loaded")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    cells: dict[str, Any] = {}
    for condition in args.conditions.split(","):
        load = None
        if condition == "loaded":
            code = LOAD.format(threads=os.cpu_count() or 1)
            load = subprocess.Popen([sys.executable, "-c", code])
            time.sleep(5)  # let the load settle
        try:
            for model in args.models.split(","):
                ref = f"bench_models:{model}"
                for name, b, known in (("A/A", ref, None), ("known 2x", f"{ref}_twice", 2.0)):
                    key = f"{condition} | {model} | {name}"
                    print(key, flush=True)
                    cells[key] = cell(ref, b, args.runs, args.max_time, known)
                    summary = {k: v for k, v in cells[key].items() if k != "runs"}
                    print(key, summary, flush=True)
        finally:
            if load is not None:
                load.kill()
                load.wait()
    data = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "host": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "max_time_s": args.max_time,
        "cells": cells,
    }
    head = f"{'cell':<34} {'false/wrong':>11} {'covered':>8} {'pooled':>13} {'undecided':>9}"
    print(f"{head} {'errors':>6}")
    for key, c in cells.items():
        bad = c.get("false_claims", c.get("wrong"))
        covered = c.get("covered", "")
        pooled = f"{c['covered_pooled']} @{c['pooled_ratio']:.3f}" if "pooled_ratio" in c else ""
        row = f"{key:<34} {bad:>11} {covered!s:>8} {pooled:>13} {c['undecided']:>9}"
        print(f"{row} {c['errors']:>6}")
    if args.out:
        args.out.write_text(json.dumps(data, indent=1))


if __name__ == "__main__":
    main()
