"""Check on a machine with two or more GPUs that every figure is taken on the model's own GPU.

Runs `infertime run` (latency, device time, kernel-time diagnosis) and `infertime throughput`
(capped with --max-batch to keep it short) on cuda:1 while cuda:0 is idle, again while cuda:0
runs an unrelated load (a child process multiplying matrices), and on cuda:0 for reference.
The figures on cuda:1 must match the cuda:0 reference within noise, the CUPTI kernel time must
agree, and the load on cuda:0 must not move the cuda:1 figures. Each run is a fresh process,
as a user runs it. Writes multi_gpu_check.md and .json to --out.

    PYTHONPATH=src python benchmarks/multi_gpu_check.py --out docs/validation
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import torch

MODEL = "timm:efficientnet_b0"
LOAD = (
    "import torch, time\n"
    "a = torch.randn(8192, 8192, device='cuda:0')\n"
    "end = time.time() + 600\n"
    "while time.time() < end:\n"
    "    a = (a @ a).clamp_(-1, 1)\n"
)


def cli(*args: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.json"
        cmd = [sys.executable, "-m", "infertime", *args, "--json", str(path), "-q"]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        data: dict[str, Any] = json.loads(path.read_text())
        return data


def figures(device: str) -> dict[str, Any]:
    run = cli("run", MODEL, "-b", "256", "--device", device)
    tp = cli("throughput", MODEL, "--device", device, "--max-batch", "1024")
    return {
        "device": run["settings"]["workload"]["device"],
        "gpu_uuid": run["environment"]["device"].get("uuid"),
        "latency_s": run["statistics"]["latency"]["median_s"],
        "device_time_s": run["statistics"]["device_time"]["median_s"],
        "kernel_s": run["analysis"]["launch"]["kernel_time_s"],
        "verdict": run["analysis"]["launch"]["verdict"],
        "peak_items_per_s": tp["choices"]["peak"]["items_per_s"],
        "peak_batch": tp["choices"]["peak"]["batch"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/validation"))
    args = parser.parse_args()
    if torch.cuda.device_count() < 2:
        sys.exit("multi_gpu_check: needs two or more visible GPUs")
    results = {"reference cuda:0": figures("cuda:0"), "cuda:1, cuda:0 idle": figures("cuda:1")}
    load = subprocess.Popen([sys.executable, "-c", LOAD])
    try:
        results["cuda:1, cuda:0 busy"] = figures("cuda:1")
    finally:
        load.kill()
    ref = results["reference cuda:0"]
    lines = [
        "# Multi-GPU placement check (issue 5)",
        "",
        f"- GPUs: {[torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]}",
        "",
        "| run | device | latency | device time | CUPTI kernel | verdict | peak items/s (batch) "
        "| vs reference |",
        "|---|---|---|---|---|---|---|---|",
    ]
    ok = True
    for name, r in results.items():
        dev_err = r["device_time_s"] / ref["device_time_s"] - 1
        kern_err = r["kernel_s"] / ref["kernel_s"] - 1
        tp_err = r["peak_items_per_s"] / ref["peak_items_per_s"] - 1
        ok &= abs(dev_err) <= 0.03 and abs(kern_err) <= 0.03 and abs(tp_err) <= 0.03
        ok &= r["device"] == name.split(",")[0].split()[-1] or name.startswith("reference")
        lines.append(
            f"| {name} | {r['device']} | {r['latency_s'] * 1e3:.3f} ms "
            f"| {r['device_time_s'] * 1e3:.3f} ms | {r['kernel_s'] * 1e3:.3f} ms | {r['verdict']} "
            f"| {r['peak_items_per_s']:,.0f} ({r['peak_batch']}) | device time {dev_err:+.2%}, "
            f"kernel {kern_err:+.2%}, peak {tp_err:+.2%} |"
        )
    lines += ["", f"All within 3 % of the reference and on the asked GPU: {'yes' if ok else 'NO'}"]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "multi_gpu_check.md").write_text("\n".join(lines) + "\n")
    (args.out / "multi_gpu_check.json").write_text(json.dumps(results, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
