"""How long `infertime report` takes on 20 result files, and how large reports get (issue 23).

Targets: 20 files in ≤ 5 s after imports on the 2-core CI machine; ≤ 1 MB for a run with
10,000 samples and for a 50-point sweep. The results are made from the golden files
(tests/report_results.py): each kind once, a --processes run and 15 latency configurations.
Writes report_speed.md to --out (default: print only).

    PYTHONPATH=src python benchmarks/report_speed.py --out docs/validation
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from infertime.reporting.html.report import load_results, render_report, write_report
from infertime.resultfile import save_json
from report_results import KIND_FILES, golden, long_latency, sweep


def timed_report(folder: Path) -> tuple[float, float, int]:
    """(seconds to load, seconds to render and write, bytes) for every file in `folder`."""
    t0 = time.perf_counter()
    results, names, _ = load_results([folder])
    t1 = time.perf_counter()
    out = write_report(folder / "report.html", results, names=names)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, out.stat().st_size


def cli_seconds(folder: Path) -> float:
    """Wall time of the command itself, `infertime report FOLDER -o FILE`, in a fresh
    interpreter: start-up and imports included."""
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "infertime", "report", str(folder), "-o", str(folder / "cli.html"),
         "-q"],
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )  # fmt: skip
    return time.perf_counter() - t0


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="folder for report_speed.md")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    render_report([golden("pitfalls")], stamp="warm")  # imports and matplotlib's font cache
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        results = [golden(name) for name in KIND_FILES] + sweep(15)
        for i, r in enumerate(results):
            save_json(r, folder / f"{i:02d}_{r.kind}.json")
        times = [timed_report(folder) for _ in range(args.repeats)]
        best = min(times, key=lambda t: t[0] + t[1])
        lines.append(
            f"| 20 result files (4 kinds, a --processes run, 15 latency configurations) | "
            f"{best[0]:.2f} s load + {best[1]:.2f} s report = {best[0] + best[1]:.2f} s "
            f"(best of {args.repeats}) | {best[2] / 1e6:.3f} MB |"
        )
        cli = min(cli_seconds(folder) for _ in range(args.repeats))
        lines.append(
            f"| the same 20 files through `infertime report FOLDER -o FILE`, start-up and "
            f"imports included | {cli:.2f} s (best of {args.repeats}) | same |"
        )
    full = [golden(name) for name in KIND_FILES] + [long_latency(10_000)]
    for label, rs in (
        ("6 results in full detail (each kind, a --processes run, a 10,000-sample run)", full),
        ("a run with 10,000 samples (NVML readings, kernel time)", [long_latency(10_000)]),
        ("a 50-point sweep (50 latency results)", sweep(50)),
    ):
        t0 = time.perf_counter()
        html = render_report(rs, stamp="s")
        seconds = time.perf_counter() - t0
        lines.append(f"| {label} | {seconds:.2f} s | {len(html.encode()) / 1e6:.3f} MB |")
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    text = "\n".join(
        [
            "# HTML report: time and size (benchmarks/report_speed.py)",
            "",
            f"{stamp}, {cpu_model()}, "
            f"{len(os.sched_getaffinity(0))} cores, Python "
            f"{platform.python_version()}; targets: ≤ 5 s for 20 files after imports, ≤ 1 MB",
            "",
            "| report | time after imports | size |",
            "|---|---|---|",
            *lines,
            "",
        ]
    )
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "report_speed.md").write_text(text)


if __name__ == "__main__":
    main()
