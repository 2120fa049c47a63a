"""Do the intervals of `run --processes` hold when processes differ? Simulated, no GPU.

Each simulated process is the project's own `run` measurement (engine/latency.py, default
policies) on a FakeDevice whose calls all cost `level × base`, with `level` drawn once per
process from a lognormal (between-process spread, as fresh processes on the H100 host showed)
and per-call noise on top. The truth is the typical figure, exp(E[log level]) × base = base.
For k processes: how often the typical CI holds the truth (target ≥ 93 % of 1000 repeats), and
how often the prediction interval holds one further process's median.
Writes processes_simulation.md and .json to --out.

    PYTHONPATH=src python benchmarks/processes_simulation.py --reps 1000 --out docs
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from infertime.devices import fake
from infertime.devices.fake import FakeDevice
from infertime.engine.latency import measure_figures
from infertime.policies import PRESETS
from infertime.repeats import across_processes

BASE_S = 10e-3  # 10 ms calls: few enough per process to simulate thousands of processes
CASES = {  # name -> (between-process SD of log level, per-call CV)
    "between 22 %, within 5 %": (0.22, 0.05),
    "between 5 %, within 5 %": (0.05, 0.05),
    "none between, within 5 %": (0.0, 0.05),
}


def one_process(sigma: float, cv: float, rng: random.Random) -> tuple[float, float | None]:
    level = math.exp(rng.gauss(0.0, sigma))
    seed = rng.randrange(1 << 30)
    dev = FakeDevice(fake.noisy(fake.constant(1e-6, BASE_S * level), cv, seed))
    run = measure_figures(dev.make_call(), dev, PRESETS["quick"])
    s = run.figures["latency"].summary
    return s.median, s.median_ci_rel


def cell(sigma: float, cv: float, k: int, reps: int) -> dict[str, Any]:
    rng = random.Random(k * 1000 + round(sigma * 100))
    covered = predicted = 0
    widths = []
    for _ in range(reps):
        runs = [one_process(sigma, cv, rng) for _ in range(k + 1)]
        over = across_processes([m for m, _ in runs[:k]], [h for _, h in runs[:k]])
        assert over.typical_ci is not None and over.prediction is not None
        covered += over.typical_ci[0] <= BASE_S <= over.typical_ci[1]
        predicted += over.prediction[0] <= runs[k][0] <= over.prediction[1]
        widths.append((over.typical_ci[1] - over.typical_ci[0]) / 2 / over.typical)
    widths.sort()
    return {
        "typical_covered": covered / reps,
        "prediction_holds_next": predicted / reps,
        "median_typical_half_width": widths[len(widths) // 2],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    t0 = time.perf_counter()
    cells = {}
    for name, (sigma, cv) in CASES.items():
        for k in (3, 5, 10) if sigma > 0.2 else (5,):
            # The target's row gets every repeat; the others a third (each process is a whole
            # simulated measurement).
            reps = args.reps if (sigma > 0.2 and k == 5) else max(args.reps // 3, 1)
            key = f"{name} | k {k}"
            cells[key] = {**cell(sigma, cv, k, reps), "reps": reps}
            print(key, cells[key], f"{time.perf_counter() - t0:.0f} s", flush=True)
    data = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "reps": args.reps,
        "cells": cells,
    }
    lines = [
        "# Fresh-process simulation (`run --processes`)",
        "",
        f"- date: {data['date']}; `benchmarks/processes_simulation.py`",
        "- each process: the project's `run` measurement (quick preset) on a FakeDevice whose "
        "level is drawn once per process (lognormal) with per-call noise on top; truth: the "
        "typical (geometric-mean) level",
        "- target (issue 11): the typical CI covers the truth in ≥ 93 % of repeats",
        "",
        "| processes differ by | k | repeats | typical CI covers the truth | prediction interval "
        "holds the next process | median ± of the typical CI |",
        "|---|---|---|---|---|---|",
    ]
    for key, c in cells.items():
        name, k = key.split(" | ")
        lines.append(
            f"| {name} | {k[2:]} | {c['reps']} | **{c['typical_covered']:.3f}** | "
            f"{c['prediction_holds_next']:.3f} | ±{c['median_typical_half_width']:.1%} |"
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "processes_simulation.json").write_text(json.dumps(data, indent=1))
    (args.out / "processes_simulation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
