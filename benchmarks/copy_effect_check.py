"""Do two copies of one model time alike in one process? Which copy is slower, and why?

A/A comparisons of batch-1 EfficientNet-B0 on an H100 gave time ratios (second / first) of
0.984-0.988 in 5 of 5 fresh processes. This separates the possible causes, each experiment in
fresh processes:
  xy    build X then Y, interleave [X, Y]; ratio Y/X
  yx    build X then Y, interleave [Y, X]; ratio X/Y (the slot order swapped, not the build)
  txy   build and drop a throwaway copy T first, then X, Y; ratio Y/X
  kxy   build a copy K and keep it (never timed), then X, Y; ratio Y/X
  xyz   build X, Y, Z, interleave [X, Y, Z]; ratios Y/X and Z/X (first-only or a trend?)
If the first-built copy is the slow one, xy < 1, yx > 1; if the first build alone is to blame
(one-time initialisation whose objects interleave with the first model's), txy ≈ 1. If the
first build's memory (holes among the imports' objects, reused when T is dropped) is to blame,
txy < 1 but kxy ≈ 1.

    PYTHONPATH=src:benchmarks python benchmarks/copy_effect_check.py --model timm:efficientnet_b0
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
from contextlib import ExitStack

EXPERIMENTS = ("xy", "yx", "txy", "kxy", "xyz")


def one(
    experiment: str, model: str, max_time_s: float, device: str
) -> dict[str, float | list[float]]:
    from infertime.comparison.ratios import paired_ratio
    from infertime.devices import resolve_device
    from infertime.engine.interleave import interleave, per_round
    from infertime.policies import ComparePolicy, preset
    from infertime.workload.backends import opened
    from infertime.workload.backends.eager import EAGER
    from infertime.workload.context import measurement_context
    from infertime.workload.prepare import prepare
    from infertime.workload.spec import WorkloadSpec

    dev = resolve_device(device)
    spec = WorkloadSpec(model=model, batch_size=1, device=dev.name)
    kept = None
    if experiment in ("txy", "kxy"):
        kept = prepare(spec, dev)
    if experiment == "txy":
        kept = None
        gc.collect()
    x, y = prepare(spec, dev), prepare(spec, dev)
    order = [y, x] if experiment == "yx" else [x, y]
    if experiment == "xyz":
        order.append(prepare(spec, dev))
    config = preset("default")
    policy = ComparePolicy(max_time_s=max_time_s)
    with ExitStack() as stack:
        for p in order:
            stack.enter_context(measurement_context(p, pause_gc=True))
        calls = [stack.enter_context(opened(EAGER, p, 1)) for p in order]
        run = interleave(
            calls,
            dev,
            policy,
            config.warmup,
            config.timing,
            lambda b, o: paired_ratio(b, o).half_width,
        )
    del kept
    out: dict[str, float | list[float]] = {}
    for k in range(1, len(order)):
        r = paired_ratio(per_round(run.samples[0]), per_round(run.samples[k]))
        tag = "" if k == 1 else str(k + 1)
        out[f"ratio{tag}"] = r.value
        out[f"ci{tag}"] = list(r.ci or (float("nan"), float("nan")))
        out["rounds"] = r.n
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="timm:efficientnet_b0")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--max-time", type=float, default=10.0)
    parser.add_argument("--one", choices=EXPERIMENTS)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--experiments", default=",".join(EXPERIMENTS))
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one, args.model, args.max_time, args.device)))
        return
    chosen = args.experiments.split(",")
    results: dict[str, list[dict[str, float]]] = {e: [] for e in chosen}
    for _ in range(args.repeats):
        for e in chosen:
            cmd = [sys.executable, __file__, "--one", e, "--model", args.model]
            cmd += ["--max-time", str(args.max_time), "--device", args.device]
            proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
            line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}"
            results[e].append(json.loads(line) if proc.returncode == 0 else {"error": 1})
            print(e, line or proc.stderr[-300:], flush=True)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
