"""Does an interleaved comparison's ratio CI hold on a host that drifts? Simulated, no GPU.

Two configurations on the FakeDevice (scripted call costs, no sleeps), timed by the project's
own interleaving engine (engine/interleave.py) with the default ComparePolicy, on hosts whose
slowness is shared by whatever runs at the moment: independent noise, an AR(1) drift, and a
two-state host whose slow spells outlast many slots. For each host:
- A/A: identical configurations. A false alarm is a CI that excludes 1; the gate
  (--fail-if-slower 5 %) must never fail;
- A/B: the second configuration 5 % slower. Detected when the CI lies above 1; covered when
  the CI holds 1.05.
Writes compare_simulation.md and .json to --out.

    PYTHONPATH=src python benchmarks/compare_simulation.py --reps 200 --out docs
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from infertime.comparison.ratios import gate_fails, interleaved_half_width, paired_ratio
from infertime.devices import fake
from infertime.devices.fake import CallCost, CostModel, FakeDevice
from infertime.engine.interleave import interleave, per_round
from infertime.policies import ComparePolicy, TimingPolicy, WarmupPolicy

# name -> host model wrapped around a base cost model, given a seed
Host = Callable[[CostModel, int], CostModel]
HOSTS: dict[str, Host] = {
    "iid noise, CV 5 %": lambda base, s: fake.noisy(base, 0.05, s),
    "AR(1) drift phi 0.99, CV 10 %": lambda base, s: fake.autocorrelated(base, 0.99, 0.10, s),
    "two-state host, 1.5x slow spells of ~300 calls": lambda base, s: fake.two_state(
        base, 1.5, 1 / 700, 1 / 300, 0.03, s
    ),
    "two-state host, 2x slow spells of ~10 calls (shorter than a slot)": lambda base, s: (
        fake.two_state(base, 2.0, 1 / 30, 1 / 10, 0.03, s)
    ),
}
REGIMES = {"launch-bound, 6 ms": (6e-3, 0.7e-3), "GPU-bound, 1 ms": (20e-6, 1e-3)}


def arms(host_s: float, device_s: float, factor: float) -> CostModel:
    """Batch 1 is the baseline, batch 2 the other configuration (`factor` times its cost)."""

    def model(i: int, b: int) -> CallCost:
        f = factor if b == 2 else 1.0
        return CallCost(host_s * f, device_s * f)

    return model


def one(host: Host, regime: tuple[float, float], factor: float, seed: int) -> dict[str, Any]:
    dev = FakeDevice(host(arms(*regime, factor), seed), event_cost_s=1e-6, sync_cost_s=5e-6)
    policy = ComparePolicy(seed=seed)
    run = interleave(
        [dev.make_call(1), dev.make_call(2)],
        dev,
        policy,
        WarmupPolicy(),
        TimingPolicy(),
        interleaved_half_width,
    )
    r = paired_ratio(per_round(run.samples[0]), per_round(run.samples[1]))
    return {
        "ratio": r.value,
        "ci": r.ci,
        "rounds": len(run.orders),
        "seconds": run.stop.elapsed_s,
        "stopped_on_precision": run.stop.reason == "precision",
        "gate_fails": gate_fails(r, 0.05),
    }


def cell(host: Host, regime: tuple[float, float], factor: float, reps: int) -> dict[str, Any]:
    runs = [one(host, regime, factor, seed) for seed in range(reps)]
    with_ci = [r for r in runs if r["ci"] is not None]
    halves = sorted(
        max(r["ratio"] - r["ci"][0], r["ci"][1] - r["ratio"]) / r["ratio"] for r in with_ci
    )
    out: dict[str, Any] = {
        "reps": reps,
        "no_ci": reps - len(with_ci),
        "median_half_width": halves[len(halves) // 2] if halves else None,
        "median_rounds": sorted(r["rounds"] for r in runs)[reps // 2],
        "median_seconds": sorted(r["seconds"] for r in runs)[reps // 2],
        "precision_stops": sum(r["stopped_on_precision"] for r in runs) / reps,
        "gate_fails": sum(r["gate_fails"] for r in runs) / reps,
    }
    if factor == 1.0:
        out["false_alarms"] = sum(r["ci"][0] > 1 or r["ci"][1] < 1 for r in with_ci) / reps
    else:
        out["detected"] = sum(r["ci"][0] > 1 for r in with_ci) / reps
        out["covered"] = sum(r["ci"][0] <= factor <= r["ci"][1] for r in with_ci) / reps
    return out


def report(data: dict[str, Any]) -> str:
    lines = [
        "# Comparison simulation",
        "",
        f"- date: {data['date']}; {data['reps']} comparisons per cell; "
        "`benchmarks/compare_simulation.py`",
        "- two configurations interleaved by the project's own engine on the FakeDevice, default "
        "policy (±1 % target, 20 s budget, slots of ≥ 5 samples and ≥ 20 ms, ABBA-type rounds); "
        "the host's state is shared by whatever runs at the moment",
        "- targets (issue 11): A/A false alarms ≤ 5 %, a true 5 % change detected in ≥ 90 %, the "
        "gate (`--fail-if-slower 5%`) never fails A/A",
        "",
        "| host | regime | A/A false alarms | A/A gate fails | A/A median ±CI | A/B 5 % detected "
        "| A/B CI covers 1.05 | A/B median ±CI | median rounds, simulated s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for (host, regime), c in data["cells"].items():
        aa, ab = c["aa"], c["ab"]
        lines.append(
            f"| {host} | {regime} | **{aa['false_alarms']:.3f}** | {aa['gate_fails']:.3f} "
            f"| ±{aa['median_half_width']:.2%} | **{ab['detected']:.3f}** | {ab['covered']:.3f} "
            f"| ±{ab['median_half_width']:.2%} | {aa['median_rounds']}, "
            f"{aa['median_seconds']:.1f} s |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    t0 = time.perf_counter()
    cells: dict[tuple[str, str], dict[str, Any]] = {}
    for host_name, host in HOSTS.items():
        for regime_name, regime in REGIMES.items():
            cells[(host_name, regime_name)] = {
                "aa": cell(host, regime, 1.0, args.reps),
                "ab": cell(host, regime, 1.05, args.reps),
            }
            print(host_name, regime_name, cells[(host_name, regime_name)], flush=True)
            print(f"{time.perf_counter() - t0:.0f} s", flush=True)
    data = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "reps": args.reps,
        "cells": cells,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    flat = {**data, "cells": {f"{h} | {r}": c for (h, r), c in cells.items()}}
    (args.out / "compare_simulation.json").write_text(json.dumps(flat, indent=1))
    text = report(data)
    (args.out / "compare_simulation.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
