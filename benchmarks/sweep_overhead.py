"""A sweep's overhead on the CPU, and an A/A of `sweep` against `run` (issue 22's targets).

1. Start-up: a fresh interpreter importing what a point's child imports (torch, infertime's
   latency measurement), the median over `--startups` processes.
2. A real sweep (`python -m infertime run ...` children) of a tiny CNN over batches; per point,
   overhead = the child's wall time (spawn to exit) minus its measurement's own time
   (analysis.wall_s.total_s). Target: overhead ≤ start-up + 1 s; the whole sweep ≤ 1.15 ×
   (sum of point wall times / workers) + one start-up.
3. A/A: the batch-1 point by `sweep` (a one-point sweep) and by `infertime run` in a fresh
   interpreter, `--aa` times each, interleaved (A B B A ...) against host drift. One process's
   median CI is narrower than the spread between processes, so each arm's figure is its
   processes' typical median with its 95 % CI (infertime.repeats.across_processes, as
   `--processes` reports it); the two CIs must overlap.

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


def startup_s(runs: int) -> list[float]:
    code = "import torch, infertime.latency.measure"
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=child_env())
        out.append(time.perf_counter() - t0)
    return out


def run_sweep_cli(folder: Path, batches: str) -> float:
    argv = [sys.executable, "-m", "infertime", "sweep", "run", MODEL, "--batch-size", batches,
            *POINT, "-o", str(folder), "--quiet", "--format", "json"]  # fmt: skip
    t0 = time.perf_counter()
    subprocess.run(argv, check=True, env=child_env(), stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def run_cli(path: Path) -> None:
    argv = [sys.executable, "-m", "infertime", "run", MODEL, "--batch-size", "1", *POINT,
            "--json", str(path), "--quiet"]  # fmt: skip
    subprocess.run(argv, check=True, env=child_env(), stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--startups", type=int, default=5)
    parser.add_argument("--batches", default="1,2,4,8")
    parser.add_argument("--aa", type=int, default=4, help="A/A processes per arm")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    sys.path[:0] = [str(ROOT / "src")]
    from infertime.sweep.figures import read_figures

    starts = startup_s(args.startups)
    start = statistics.median(starts)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sweep"
        sweep_wall = run_sweep_cli(folder, args.batches)
        manifest = json.loads((folder / "manifest.json").read_text())
        points = []
        for p in manifest["points"]:
            run = p["rounds"]["1"]
            timing = run["timing"]
            doc = json.loads((folder / "points" / run["file"]).read_text())
            points.append({"label": p["label"], "status": run["status"], **timing,
                           "doc": doc})  # fmt: skip
        arms: dict[str, list[dict[str, Any]]] = {"sweep": [], "run": []}
        for i in range(args.aa):
            order = ("sweep", "run") if i % 2 == 0 else ("run", "sweep")
            for arm in order:
                if arm == "run":
                    path = Path(tmp) / f"run{i}.json"
                    run_cli(path)
                    arms["run"].append(json.loads(path.read_text()))
                else:
                    one = Path(tmp) / f"aa{i}"
                    run_sweep_cli(one, "1")
                    arms["sweep"].append(_only_point(one))
    walls = [p["wall_s"] for p in points]
    overheads = [p["overhead_s"] for p in points if p["overhead_s"] is not None]
    bound = 1.15 * sum(walls) / 1 + start
    a, b = (_across([read_figures(d) for d in arms[k]]) for k in ("sweep", "run"))
    overlap = bool(
        a.typical_ci and b.typical_ci and a.typical_ci[0] <= b.typical_ci[1]
        and b.typical_ci[0] <= a.typical_ci[1]
    )  # fmt: skip
    report = {
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "versions": _versions(),
        "startup_s": {"median": start, "runs": starts},
        "points": [{k: v for k, v in p.items() if k != "doc"} for p in points],
        "overhead_s": {
            "median": statistics.median(overheads),
            "max": max(overheads),
            "target_max": start + 1.0,
        },
        "sweep_wall_s": sweep_wall,
        "sweep_target_s": bound,
        "aa": {
            "processes_each": args.aa,
            "sweep_medians_s": a.medians,
            "sweep_typical_s": a.typical,
            "sweep_ci_s": a.typical_ci,
            "run_medians_s": b.medians,
            "run_typical_s": b.typical,
            "run_ci_s": b.typical_ci,
            "cis_overlap": overlap,
        },
    }
    print(f"start-up (interpreter + torch + infertime): median {start:.2f} s over {len(starts)}")
    for p in points:
        print(f"  {p['label'][:50]:<50} wall {p['wall_s']:6.2f} s  overhead "
              f"{p['overhead_s']:.2f} s")  # fmt: skip
    print(
        f"overhead per point: median {report['overhead_s']['median']:.2f} s, max "
        f"{max(overheads):.2f} s (target ≤ start-up + 1 s = {start + 1:.2f} s): "
        f"{'met' if max(overheads) <= start + 1 else 'MISSED'}"
    )
    print(
        f"whole sweep {sweep_wall:.2f} s (driver start-up included) against 1.15 × "
        f"{sum(walls):.2f} s + {start:.2f} s = {bound:.2f} s: "
        f"{'met' if sweep_wall <= bound else 'MISSED'}"
    )
    print(
        f"A/A batch 1, {args.aa} processes each: sweep {a.typical * 1e6:.1f} µs "
        f"{_ci(a.typical_ci)} · run {b.typical * 1e6:.1f} µs {_ci(b.typical_ci)}: CIs "
        f"{'overlap' if overlap else 'DO NOT overlap'}"
    )
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
