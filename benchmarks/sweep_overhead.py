"""A sweep's overhead on the CPU, and an A/A of `sweep` against `run` (issue 22's targets).

1. Start-up: a fresh interpreter importing what a point's child imports (torch, the model's
   library when it is timm or torchvision, infertime's latency measurement), the median over
   `--startups` processes.
2. A real sweep of a tiny CNN over batches, once with `--start fresh` (each point a new
   interpreter) and once with `--start fork` (each point forked from the fork server); per
   point, overhead = the child's wall time (request to exit) minus its measurement's own time
   (analysis.wall_s.total_s). Target: overhead ≤ start-up + 1 s; the whole sweep ≤ 1.15 ×
   (sum of point wall times / workers) + one start-up.
3. A/A: the batch-1 point forked by `sweep --start fork`, in a fresh interpreter by `sweep
   --start fresh`, and by `infertime run`, `--aa` processes each, in rotating order against
   host drift. One process's median CI is narrower than the spread between processes, so each
   arm's figure is its processes' typical median with its 95 % CI
   (infertime.repeats.across_processes, as `--processes` reports it); the CIs must overlap.

    PYTHONPATH=src python benchmarks/sweep_overhead.py \
        [--out docs/validation/raw/issue22/sweep_overhead_cpu.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODEL = "models_for_tests:tiny_cnn"
POINT = ["--device", "cpu", "--threads", "1", "--preset", "quick", "--max-time", "2"]


def child_env() -> dict[str, str]:
    paths = [str(ROOT / "src"), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def startup_s(runs: int, model: str) -> list[float]:
    """A fresh interpreter importing what a point of `model` imports before it measures."""
    library = model.split(":", 1)[0]
    extra = f", {library}" if library in ("timm", "torchvision") else ""
    code = f"import torch{extra}, infertime.latency.measure"
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=child_env())
        out.append(time.perf_counter() - t0)
    return out


def run_sweep_cli(folder: Path, batches: str, start: str) -> float:
    argv = [sys.executable, "-m", "infertime", "sweep", "run", MODEL, "--batch-size", batches,
            *POINT, "-o", str(folder), "--quiet", "--format", "json", "--start", start]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, env=child_env(), stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def run_cli(path: Path, batch: str) -> None:
    argv = [sys.executable, "-m", "infertime", "run", MODEL, "--batch-size", batch, *POINT,
            "--json", str(path), "--quiet"]  # fmt: skip
    subprocess.run(argv, check=True, env=child_env(), stdout=subprocess.DEVNULL)


def sweep_points(folder: Path) -> list[dict[str, Any]]:
    manifest = json.loads((folder / "manifest.json").read_text())
    points = []
    for p in manifest["points"]:
        run = p["rounds"]["1"]
        points.append({"label": p["label"], "status": run["status"], **run["timing"]})
    return points


def main() -> None:
    global MODEL, POINT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--startups", type=int, default=5)
    parser.add_argument("--batches", default="1,2,4,8")
    parser.add_argument("--aa", type=int, default=4, help="A/A processes per arm")
    parser.add_argument("--aa-batch", default="1", help="the A/A point's batch size")
    parser.add_argument("--model", default=MODEL)
    parser.add_argument("--point-args", default=" ".join(POINT), help="each point's options")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    MODEL, POINT = args.model, args.point_args.split()
    sys.path[:0] = [str(ROOT / "src")]
    from infertime.sweep.figures import read_figures

    starts = startup_s(args.startups, MODEL)
    start = statistics.median(starts)
    sweeps: dict[str, dict[str, Any]] = {}
    arms: dict[str, list[dict[str, Any]]] = {"fork": [], "fresh": [], "run": []}
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("fresh", "fork"):
            folder = Path(tmp) / f"sweep-{mode}"
            wall = run_sweep_cli(folder, args.batches, mode)
            executor = json.loads((folder / "manifest.json").read_text())["executor"]
            server_s = executor.get("fork_server_import_s")
            sweeps[mode] = {"wall_s": wall, "points": sweep_points(folder),
                            "fork_server_import_s": server_s}  # fmt: skip
        # The A/A: one batch-1 point forked from the fork server, in a fresh interpreter by
        # `sweep --start fresh`, and by `infertime run`, each arm's processes interleaved in
        # rotating order against host drift.
        names = list(arms)
        for i in range(args.aa):
            for arm in names[i % 3 :] + names[: i % 3]:
                if arm == "run":
                    path = Path(tmp) / f"run{i}.json"
                    run_cli(path, args.aa_batch)
                    arms["run"].append(json.loads(path.read_text()))
                else:
                    one = Path(tmp) / f"aa-{arm}{i}"
                    run_sweep_cli(one, args.aa_batch, arm)
                    arms[arm].append(_only_point(one))
    across = {k: _across([read_figures(d) for d in docs]) for k, docs in arms.items()}
    report: dict[str, Any] = {
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "versions": _versions(),
        "startup_s": {"median": start, "runs": starts},
        "target_overhead_max_s": start + 1.0,
        "sweeps": {},
        "model": MODEL,
        "point_args": POINT,
        "aa": {"processes_each": args.aa, "batch": args.aa_batch},
    }
    print(f"start-up (interpreter, torch, the model's library, infertime): median {start:.2f} s "
          f"over {len(starts)}")  # fmt: skip
    for mode, sweep in sweeps.items():
        points = sweep["points"]
        walls = [p["wall_s"] for p in points]
        overheads = [p["overhead_s"] for p in points if p["overhead_s"] is not None]
        bound = 1.15 * sum(walls) / 1 + start
        report["sweeps"][mode] = {
            "points": points,
            "starts": sorted({p.get("start") for p in points}),
            "overhead_s": {"median": statistics.median(overheads), "max": max(overheads)},
            "sweep_wall_s": sweep["wall_s"],
            "fork_server_import_s": sweep["fork_server_import_s"],
            "sweep_target_s": bound,
        }
        server = sweep["fork_server_import_s"]
        print(f"--start {mode} (points started: {', '.join(report['sweeps'][mode]['starts'])})"
              + (f"; the fork server's imports took {server:.2f} s" if server else ""))  # fmt: skip
        for p in points:
            print(f"  {p['label'][:50]:<50} wall {p['wall_s']:6.2f} s  overhead "
                  f"{p['overhead_s']:.2f} s")  # fmt: skip
        print(
            f"  overhead per point: median {statistics.median(overheads):.2f} s, max "
            f"{max(overheads):.2f} s (target ≤ start-up + 1 s = {start + 1:.2f} s): "
            f"{'met' if max(overheads) <= start + 1 else 'MISSED'}"
        )
        print(
            f"  whole sweep {sweep['wall_s']:.2f} s (driver start-up included) against 1.15 × "
            f"{sum(walls):.2f} s + {start:.2f} s = {bound:.2f} s: "
            f"{'met' if sweep['wall_s'] <= bound else 'MISSED'}"
        )
    for arm, a in across.items():
        # A fork could differ where a fresh process is cold: its first call, its warm-up.
        cold = statistics.median(d["warmup"]["cold_call_s"] for d in arms[arm])
        warm = statistics.median(d["warmup"]["seconds"] for d in arms[arm])
        report["aa"][arm] = {"medians_s": a.medians, "typical_s": a.typical,
                             "ci_s": a.typical_ci, "cold_call_median_s": cold,
                             "warmup_median_s": warm}  # fmt: skip
    pairs = {}
    for x, y in (("fork", "run"), ("fork", "fresh"), ("fresh", "run")):
        cx, cy = across[x].typical_ci, across[y].typical_ci
        pairs[f"{x} vs {y}"] = bool(cx and cy and cx[0] <= cy[1] and cy[0] <= cx[1])
    report["aa"]["cis_overlap"] = pairs
    print(f"A/A batch {args.aa_batch}, {args.aa} processes each (typical median, 95 % CI):")
    for arm, a in across.items():
        r = report["aa"][arm]
        print(f"  {arm:<6} {a.typical * 1e6:8.1f} µs {_ci(a.typical_ci)}  cold call "
              f"{r['cold_call_median_s'] * 1e3:.2f} ms, warm-up {r['warmup_median_s']:.2f} s "
              "(medians over processes)")  # fmt: skip
    for pair, ok in pairs.items():
        print(f"  {pair}: CIs {'overlap' if ok else 'DO NOT overlap'}")
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, indent=1) + "\n")


def _only_point(folder: Path) -> dict[str, Any]:
    (path,) = (folder / "points").glob("*.json")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _across(figures: list[Any]) -> Any:
    from infertime.repeats import across_processes

    medians = [f.median for f in figures]
    rel = [(f.ci[1] - f.ci[0]) / 2 / f.median if f.ci else None for f in figures]
    return across_processes(medians, rel, 0.95)


def _ci(ci: tuple[float, float] | None) -> str:
    return f"[{ci[0] * 1e6:.1f}, {ci[1] * 1e6:.1f}]" if ci else "[no CI]"


def _versions() -> dict[str, str | None]:
    import importlib.metadata as md

    out: dict[str, str | None] = {}
    for name in ("infertime", "torch", "ray"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = None
    return out


if __name__ == "__main__":
    main()
