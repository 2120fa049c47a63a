"""Does `infertime run --device cpu` stay quiet on an idle machine? (issue 20: no warning in 9
of 10 runs). Runs the command N times in fresh processes, one after another, and counts the runs
whose output holds a warning line (a diagnostic printed under the table), with the host's load
before each run so that a run on a busy host can be told apart.

    PYTHONPATH=src python benchmarks/quiet_runs.py --out docs/validation/raw/quiet_runs.json
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


def one_run(model: str, extra: list[str], keep: Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.json"
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "infertime", "run", model, "--device", "cpu",
             "--json", str(path), *extra],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        wall_s = time.perf_counter() - t0
        doc = json.loads(path.read_text()) if path.exists() else {}
        if keep is not None and path.exists():
            keep.mkdir(parents=True, exist_ok=True)
            n = len(list(keep.glob("run*.json"))) + 1
            (keep / f"run{n:02d}.json").write_text(path.read_text())
    shown = [d for d in doc.get("diagnostics", []) if d.get("severity") in ("warning", "error")]
    return {
        "exit": proc.returncode,
        "wall_s": round(wall_s, 1),
        "load_before": load,
        "warnings": [d["code"] for d in shown],
        "all_diagnostics": [(d["code"], d.get("severity")) for d in doc.get("diagnostics", [])],
        "stdout_tail": proc.stdout.strip().splitlines()[-6:],
        "stderr_tail": proc.stderr.strip().splitlines()[-3:],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--model", default="timm:efficientnet_b0")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--keep", type=Path, help="keep each run's result file in this folder")
    parser.add_argument("extra", nargs="*", help="more `infertime run` options (after --)")
    ns = parser.parse_args()
    runs = []
    for i in range(ns.runs):
        runs.append(one_run(ns.model, ns.extra, ns.keep))
        r = runs[-1]
        print(f"run {i + 1}: exit {r['exit']}, load {r['load_before']:.2f}, "
              f"{r['wall_s']} s, warnings {r['warnings'] or 'none'}", flush=True)  # fmt: skip
    quiet = sum(not r["warnings"] and r["exit"] == 0 for r in runs)
    doc = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "host": f"{platform.node()} {os.cpu_count()} cores, {platform.processor() or ''}".strip(),
        "command": f"infertime run {ns.model} --device cpu {' '.join(ns.extra)}".strip(),
        "quiet_runs": quiet,
        "runs": runs,
    }
    print(f"{quiet} of {len(runs)} runs printed no warning")
    if ns.out:
        ns.out.parent.mkdir(parents=True, exist_ok=True)
        ns.out.write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
