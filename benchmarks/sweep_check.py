"""Check a sweep's results folder against issue 22's targets and print what it holds.

    PYTHONPATH=src python benchmarks/sweep_check.py FOLDER --expect N [--workers W]
        [--wall-s S] [--failed K] [--out FILE.json]

Checks: every (point, round) of the manifest has exactly one point file and none is left to
do; N files in all; no two points held one GPU at once (each run's CUDA_VISIBLE_DEVICES and
start/end times); K failed runs kept with their reasons; with --wall-s, the sweep's wall time
against (sum of point wall times / W) + one start-up (the smallest point overhead).
Exit 1 when a check fails.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path
from typing import Any


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--expect", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--wall-s", type=float)
    parser.add_argument("--failed", type=int)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    manifest = json.loads((args.folder / "manifest.json").read_text())
    files = sorted((args.folder / "points").glob("*.json"))
    runs: list[dict[str, Any]] = [
        {"label": p["label"], "round": r, **run}
        for p in manifest["points"]
        for r, run in p["rounds"].items()
    ]
    problems = []
    if len(files) != args.expect:
        problems.append(f"{len(files)} point files, expected {args.expect}")
    pending = [r for r in runs if r["status"] not in ("ok", "failed")]
    if pending:
        problems.append(f"{len(pending)} runs not done: {pending[0]['label']}")
    named = [r.get("file") for r in runs if r.get("file")]
    if len(named) != len(set(named)) or len(named) != len(files):
        problems.append("the manifest's files and the folder's differ (a run stored twice?)")
    spans: dict[str, list[tuple[float, float, str]]] = {}
    for r in runs:
        t, place = r.get("timing"), r.get("placement") or {}
        gpu = place.get("cuda_visible_devices")
        if t and gpu:
            key = f"{place.get('node')}/{gpu}"
            spans.setdefault(key, []).append((t["started_unix"], t["ended_unix"], r["label"]))
    for gpu, items in spans.items():
        items.sort()
        for a, b in itertools.pairwise(items):
            if a[1] > b[0]:
                problems.append(f"two points on {gpu} at once: {a[2]} and {b[2]}")
    failed = [r for r in runs if r["status"] == "failed"]
    for r in failed:
        print(f"failed (kept): {r['label']} round {r['round']}: {r.get('reason')}: "
              f"{r.get('message')}")  # fmt: skip
    if args.failed is not None and len(failed) != args.failed:
        problems.append(f"{len(failed)} failed runs, expected {args.failed}")
    walls = [r["timing"]["wall_s"] for r in runs if r.get("timing")]
    overheads = [r["timing"]["overhead_s"] for r in runs if (r.get("timing") or {}).get(
        "overhead_s") is not None]  # fmt: skip
    summary = {
        "files": len(files),
        "runs": len(runs),
        "failed": len(failed),
        "gpus_used": sorted(spans),
        "sum_point_wall_s": sum(walls),
        "overhead_s_median": sorted(overheads)[len(overheads) // 2] if overheads else None,
    }
    if args.wall_s is not None and walls:
        start = min(overheads) if overheads else 0.0
        bound = 1.15 * sum(walls) / args.workers + start
        summary |= {"wall_s": args.wall_s, "bound_s": bound, "ratio_to_ideal":
                    args.wall_s / (sum(walls) / args.workers)}  # fmt: skip
        print(f"wall {args.wall_s:.1f} s against 1.15 × {sum(walls):.1f} s / {args.workers} + "
              f"{start:.1f} s = {bound:.1f} s")  # fmt: skip
        if args.wall_s > bound:
            problems.append(f"wall {args.wall_s:.1f} s over {bound:.1f} s")
    print(json.dumps(summary, indent=1))
    for line in problems:
        print(f"CHECK FAILED: {line}")
    if args.out:
        args.out.write_text(json.dumps({**summary, "problems": problems}, indent=1) + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
