"""Issue 12's CPU target: eager against ONNX Runtime (same threads) at batch 1, through the
interleaved `infertime compare`, for EfficientNet-B0 and `hf:bert` (BertConfig defaults,
sequence 128). Each comparison is the command a user types, in a fresh process; the table gives
both figures and the ratio with its CI. Writes runtimes_cpu.md and .json to --out.

    PYTHONPATH=src python benchmarks/runtimes_cpu.py --threads 2 --out docs/validation
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
MODELS = ("timm:efficientnet_b0", "hf:bert")


def compare(model: str, threads: int, max_time: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.json"
        paths = [str(HERE.parent / "src"), str(HERE), os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
        cmd = [sys.executable, "-m", "infertime", "compare", model]
        cmd += [f"{model} --backend onnxruntime", "--device", "cpu", "--threads", str(threads)]
        cmd += ["--max-time", str(max_time), "--json", str(path), "-q"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
        wall = time.perf_counter() - t0
        if not path.exists():
            return {"model": model, "error": proc.stderr.strip()[-500:], "wall_s": wall}
        doc = json.loads(path.read_text())
    r = doc["ratios"][0]
    built = [a for a in doc["arms"]]
    return {
        "model": model,
        "wall_s": wall,
        "figures_s": list(doc["figures_s"].values()),
        "ratio": r["time_ratio"],
        "ci": r["time_ratio_ci"],
        "verdict": r["verdict"],
        "rounds": len(doc["orders"]),
        "copies": doc["policy"]["copies"],
        "threads": [a["settings"]["context"]["threads"] for a in built],
        "environment": {k: doc["environment"].get(k) for k in ("model_libraries", "host")},
    }


def report(rows: list[dict[str, Any]], header: str) -> str:
    lines = ["# Eager against ONNX Runtime on the CPU (issue 12)", "", f"- {header}", ""]
    lines += ["| model | eager | onnxruntime | time ratio (95 % CI) | rounds | wall |"]
    lines += ["|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | error: {r['error'][:120]} | | | | |")
            continue
        e, o = (f"{x * 1e3:.3f} ms" for x in r["figures_s"])
        ci = f"{r['ci'][0]:.3f}–{r['ci'][1]:.3f}" if r["ci"] else "n/a"
        lines.append(
            f"| {r['model']} | {e} | {o} | {r['ratio']:.3f} ({ci}) | {r['rounds']} | "
            f"{r['wall_s']:.0f} s |"
        )
    lines += ["", "Verdicts:", ""] + [f"- {r['verdict']}" for r in rows if "verdict" in r]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/validation"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-time", type=float, default=40.0)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    import onnxruntime
    import torch

    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = (
        f"{when}; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"{args.threads} threads; torch {torch.__version__}, onnxruntime {onnxruntime.__version__}"
    )
    rows = []
    args.out.mkdir(parents=True, exist_ok=True)
    for model in args.models.split(","):
        rows.append(compare(model, args.threads, args.max_time))
        (args.out / "runtimes_cpu.json").write_text(json.dumps({"header": header, "rows": rows}))
        (args.out / "runtimes_cpu.md").write_text(report(rows, header))
        print(json.dumps(rows[-1])[:400], flush=True)
    print(report(rows, header))


if __name__ == "__main__":
    main()
