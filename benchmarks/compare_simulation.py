"""Does an interleaved comparison's ratio CI hold on a host that drifts, with copies of a model
that differ? Simulated, no GPU.

Two configurations on the FakeDevice (scripted call costs, no sleeps), each built as `copies`
copies whose speed differs by a fixed random offset (what the process does to a copy: where
its memory lies; measured on the H100 up to 1.7 %, and 0.3-0.5 % for a 15 µs CPU model),
timed by the project's own interleaving engine (engine/interleave.py) with the default
ComparePolicy, on hosts whose slowness is shared by whatever runs at the moment: independent
noise, an AR(1) drift, a two-state host whose slow spells outlast many slots, and one whose
spells are shorter than a slot (the host changes faster than a round). For each host:
- A/A: identical configurations. A false alarm is a CI that excludes 1; a false claim is a
  verdict of faster or slower (comparison/ratios.py `decide`: undecided is not a claim); the
  gate (--fail-if-slower 5 %) must never fail (nor pass on a CI across 5 %);
- A/B: the second configuration 5 % slower. Detected when the verdict says slower; covered when
  the CI holds 1.05; a wrong claim says faster.
Writes compare_simulation.md and .json to --out.

    PYTHONPATH=src python benchmarks/compare_simulation.py --reps 200 --out docs
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from infertime.comparison.ratios import (
    copy_logs,
    decide,
    gate_state,
    interleaved_half_width,
    interleaved_ratio,
)
from infertime.devices import fake
from infertime.devices.fake import CallCost, CostModel, FakeDevice
from infertime.engine.interleave import build_order, interleave, per_round
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
# (copies of each model, SD of one copy's log offset)
COPIES = {"2 copies, offsets 0.5 %": (2, 0.005), "4 copies, offsets 0.5 %": (4, 0.005)}


def arms(
    host_s: float, device_s: float, factor: float, offsets: list[float], copies: int
) -> CostModel:
    """Call ids 1..copies are the baseline's copies, the next ones the other configuration's
    (`factor` times the cost); each copy has its fixed offset."""

    def model(i: int, b: int) -> CallCost:
        f = (factor if b > copies else 1.0) * offsets[b - 1]
        return CallCost(host_s * f, device_s * f)

    return model


def one(
    host: Host, regime: tuple[float, float], factor: float, copies: tuple[int, float], seed: int
) -> dict[str, Any]:
    k, sd = copies
    rng = random.Random(10_000 + seed)
    offsets = [math.exp(rng.gauss(0, sd)) for _ in range(2 * k)]
    cost = arms(*regime, factor, offsets, k)
    dev = FakeDevice(host(cost, seed), event_cost_s=1e-6, sync_cost_s=5e-6)
    policy = ComparePolicy(seed=seed, copies=k)
    order = build_order(2, k)
    ids = {0: iter(range(1, k + 1)), 1: iter(range(k + 1, 2 * k + 1))}
    calls = [dev.make_call(next(ids[owner])) for owner in order]
    run = interleave(
        calls,
        dev,
        policy,
        WarmupPolicy(),
        TimingPolicy(),
        interleaved_half_width,
        owners=order,
    )
    by_copy = [[run.copy_samples[j] for j, o in enumerate(order) if o == c] for c in (0, 1)]
    r = interleaved_ratio(
        per_round(run.samples[0]), per_round(run.samples[1]), copy_logs(by_copy), (k, k)
    )
    return {
        "ratio": r.value,
        "ci": r.ci,
        "rounds": len(run.orders),
        "seconds": run.stop.elapsed_s,
        "stopped_on_precision": run.stop.reason == "precision",
        "decision": decide(r, "B", "A", policy.precision).kind,
        "gate": gate_state(r, 0.05),
    }


def cell(
    host: Host, regime: tuple[float, float], factor: float, copies: tuple[int, float], reps: int
) -> dict[str, Any]:
    runs = [one(host, regime, factor, copies, seed) for seed in range(reps)]
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
        "undecided": sum(r["decision"] == "undecided" for r in runs) / reps,
        "gate_fails": sum(r["gate"] == "regression" for r in runs) / reps,
    }
    if factor == 1.0:
        out["false_alarms"] = sum(r["ci"][0] > 1 or r["ci"][1] < 1 for r in with_ci) / reps
        out["false_claims"] = sum(r["decision"] in ("faster", "slower") for r in runs) / reps
    else:
        out["detected"] = sum(r["decision"] == "slower" for r in runs) / reps
        out["wrong_claims"] = sum(r["decision"] == "faster" for r in runs) / reps
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
        "each model built as several copies with a fixed random offset each (log-normal, SD "
        "0.5 %); the host's state is shared by whatever runs at the moment",
        "- targets (issue 19): A/A false claims (a verdict of faster or slower) ≤ 5 %; the gate "
        "(`--fail-if-slower 5%`) never fails A/A; a true 5 % change never called faster",
        "- the ratio CI is the round-paired interval widened by the copies' spread as a random "
        "effect (comparison/ratios.py); a verdict needs the CI within ±1 %, else undecided",
        "",
        "| host | regime | copies | A/A false claims | A/A CI excludes 1 | A/A undecided | A/A "
        "gate fails | A/A median ±CI | A/B 5 % called slower | A/B called faster | A/B CI "
        "covers 1.05 | median rounds, simulated s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (host, regime, copies), c in data["cells"].items():
        aa, ab = c["aa"], c["ab"]
        lines.append(
            f"| {host} | {regime} | {copies} | **{aa['false_claims']:.3f}** "
            f"| {aa['false_alarms']:.3f} | {aa['undecided']:.3f} | {aa['gate_fails']:.3f} "
            f"| ±{aa['median_half_width']:.2%} | {ab['detected']:.3f} "
            f"| **{ab['wrong_claims']:.3f}** | {ab['covered']:.3f} "
            f"| {aa['median_rounds']}, {aa['median_seconds']:.1f} s |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--out", type=Path, default=Path("docs"))
    args = parser.parse_args()
    t0 = time.perf_counter()
    cells: dict[tuple[str, str, str], dict[str, Any]] = {}
    for host_name, host in HOSTS.items():
        for regime_name, regime in REGIMES.items():
            for copies_name, copies in COPIES.items():
                key = (host_name, regime_name, copies_name)
                cells[key] = {
                    "aa": cell(host, regime, 1.0, copies, args.reps),
                    "ab": cell(host, regime, 1.05, copies, args.reps),
                }
                print(key, cells[key], flush=True)
                print(f"{time.perf_counter() - t0:.0f} s", flush=True)
    data = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "reps": args.reps,
        "cells": cells,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    flat = {**data, "cells": {" | ".join(k): c for k, c in cells.items()}}
    (args.out / "compare_simulation.json").write_text(json.dumps(flat, indent=1))
    text = report(data)
    (args.out / "compare_simulation.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
