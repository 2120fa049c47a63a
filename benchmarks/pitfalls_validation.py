"""Check that `infertime pitfalls` reproduces the sign and size of the classic errors on a GPU.

EfficientNet-B0 (timm, random weights, fp32) at batch 1, 64 and 1024: the correct median and
each mistake's error (mean against the correct median); bar charts like the article's figures
2 and 3 for batch 64 and 1024. Writes pitfalls_validation.md, .json and PNGs to --out.

    PYTHONPATH=src python benchmarks/pitfalls_validation.py --out docs/validation
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

import infertime
from infertime.pitfalls.plot import plot_pitfalls
from infertime.telemetry.environment import torch_state

CASES = ((1, 200), (64, 200), (1024, 40))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/validation"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    fw = torch_state()
    rows: list[dict[str, Any]] = []
    for batch, samples in CASES:
        r = infertime.measure_pitfalls(
            "timm:efficientnet_b0", device="cuda:0", batch_size=batch, samples=samples
        )
        if batch != 1:
            plot_pitfalls(r, args.out / f"pitfalls_b{batch}.png")
        rows.append(
            {
                "batch": batch,
                "samples": samples,
                "correct_median_s": r.reference_s,
                "errors": {
                    row.code: r.error(row.code) for row in r.rows if row.code != "single_sample"
                },
                "means_s": {row.code: row.summary.mean for row in r.rows if row.applies},
                "stds_s": {row.code: row.summary.std for row in r.rows if row.applies},
                "single_sample": r.single_sample_errors(),
                "startup_s": r.row("no_warmup").extra.get("startup_s"),
                "cold_context": r.row("no_warmup").extra.get("context"),
            }
        )
        print(f"batch {batch} done", flush=True)
    lines = [
        "# Pitfalls validation",
        "",
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- GPU: {torch.cuda.get_device_name(0)}; torch {fw['torch']}, CUDA {fw['cuda_runtime']}",
        "- `infertime pitfalls timm:efficientnet_b0 -b B --samples N` (fp32, random weights); "
        "errors: each method's mean against the correct median",
        "",
        "| batch | correct median | copy (pageable) | copy (pinned) | CPU timer, no sync "
        "| no warm-up (fresh process) | single sample: typical / 95 % |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        e = row["errors"]
        s = row["single_sample"]
        lines.append(
            f"| {row['batch']} | {row['correct_median_s'] * 1e3:.3f} ms "
            f"| {e['copy_pageable']:+.1%} | {e['copy_pinned']:+.1%} | {e['no_sync']:+.1%} "
            f"| {e['no_warmup']:+.1%} "
            f"| ±{s['typical']:.1%} / ±{s['p95']:.1%} |"
        )
    by = {row["batch"]: row for row in rows}
    copy64 = by[64]["errors"]["copy_pageable"]
    nosync = by[1024]["errors"]["no_sync"]
    lines += [
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
        f"| batch 64: the copy adds tens of percent | {copy64:+.1%} (pageable), "
        f"{by[64]['errors']['copy_pinned']:+.1%} (pinned) | {'yes' if copy64 >= 0.1 else 'NO'} |",
        f"| batch 1024: without synchronize a call reads about half its time | {nosync:+.1%} "
        f"| {'yes' if -0.75 <= nosync <= -0.25 else 'NO'} |",
        "",
        "Charts: pitfalls_b64.png, pitfalls_b1024.png (mean with ± std bars, median marked).",
    ]
    text = "\n".join(lines) + "\n"
    (args.out / "pitfalls_validation.md").write_text(text)
    (args.out / "pitfalls_validation.json").write_text(json.dumps(rows, indent=1))
    print(text)


if __name__ == "__main__":
    main()
