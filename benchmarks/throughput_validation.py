"""Validate the throughput search against a dense reference sweep on one GPU.

For EfficientNet-B0 (timm, random weights) at 3x224x224, fp32 and bf16 with channels-last:
infertime's measure_throughput (default settings) next to a dense sweep measured here
independently (CUDA events around blocks of back-to-back calls): probes used, seconds spent,
the chosen peak against the best dense point; a second search in the same process after the
first one's OOMs; the whole run's wall time. Writes throughput_validation.md and .json.

    PYTHONPATH=src python benchmarks/throughput_validation.py --out docs/validation
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

import infertime
from infertime.engine.batch_search import SearchLimits, find_max_fit, in_process_prober
from infertime.telemetry.environment import torch_state
from infertime.telemetry.nvml import snapshot
from infertime.workload.backends.eager import EAGER
from infertime.workload.context import measurement_context
from infertime.workload.prepare import prepare_workload

CONFIGS = (("fp32", False), ("bf16", True))


def dense_point(model: Any, batch: int, dtype: torch.dtype, channels_last: bool) -> float | None:
    """Items/s at one batch: events around blocks of back-to-back calls, median of 3 blocks."""
    try:
        x = torch.randn(batch, 3, 224, 224, device="cuda", dtype=dtype)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        for _ in range(3):
            model(x)
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        model(x)
        end.record()
        torch.cuda.synchronize()
        calls = max(1, math.ceil(0.1 / (start.elapsed_time(end) / 1e3)))
        per_call = []
        for _ in range(3):
            start.record()
            for _ in range(calls):
                model(x)
            end.record()
            torch.cuda.synchronize()
            per_call.append(start.elapsed_time(end) / 1e3 / calls)
        return batch / statistics.median(per_call)
    except torch.cuda.OutOfMemoryError:
        return None
    finally:
        torch.cuda.empty_cache()


def dense_batches(max_fit: int) -> list[int]:
    step = max(64, round(max_fit / 12 / 64) * 64)
    powers = [2**k for k in range(int(math.log2(max_fit)) + 1)]
    return sorted({*powers, *range(step, max_fit + 1, step), max_fit})


def fine_batches(coarse: list[int], dense: dict[int, float | None]) -> list[int]:
    """About 16 batches between the neighbours of the best coarse point, multiples of 8."""
    i = max(range(len(coarse)), key=lambda k: dense.get(coarse[k]) or 0.0)
    lo, hi = coarse[max(i - 1, 0)], coarse[min(i + 1, len(coarse) - 1)]
    step = max(8, round((hi - lo) / 16 / 8) * 8)
    return list(range(lo + step, hi, step))


def validate(
    dtype_name: str, channels_last: bool, save: Any = None, out: Path | None = None
) -> dict[str, Any]:
    t0 = time.perf_counter()
    r = infertime.measure_throughput(
        "timm:efficientnet_b0", device="cuda:0", dtype=dtype_name, channels_last=channels_last
    )
    wall = time.perf_counter() - t0
    if out is not None:  # the result itself: every point's samples and seconds
        infertime.save_json(r, out / f"throughput_{dtype_name}.json")
    row: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "dtype": dtype_name,
        "channels_last": channels_last,
        "wall_s": wall,
        "search_s": r.search.seconds,
        "probes": len(r.search.probes),
        "probe_bound": 2 * math.log2(r.max_fit_batch) + 2,
        "max_fit": r.max_fit_batch,
        "peak": r.peak_batch,
        "peak_items_per_s": r.point(r.peak_batch).items_per_s,
        "knee": r.knee_batch,
        "knee_items_per_s": r.point(r.knee_batch).items_per_s,
        "points": [(p.batch, p.items_per_s if p.ok else None) for p in r.points],
        "diagnostics": [d.code for d in r.diagnostics],
    }
    max_fit_point = [p for p in r.points if p.batch == r.max_fit_batch and p.ok]
    row["max_fit_items_per_s"] = max_fit_point[0].items_per_s if max_fit_point else None
    if save is not None:
        save(row)
    print(
        f"{dtype_name}: infertime {wall:.1f} s (search {r.search.seconds:.1f} s, "
        f"{len(r.search.probes)} probes), max-fit {r.max_fit_batch}, peak {r.peak_batch} "
        f"{row['peak_items_per_s']:,.0f}/s, knee {r.knee_batch}",
        flush=True,
    )

    options = {"device": "cuda:0", "dtype": dtype_name, "channels_last": channels_last}
    prepared = prepare_workload("timm:efficientnet_b0", None, options, vary_batch=True)
    model = prepared.module
    device = prepared.device
    make_call = functools.partial(EAGER.build, prepared)
    with measurement_context(prepared):
        if dtype_name == "fp32":  # one configuration is enough to show nothing leaks
            # Two searches back to back on one model copy: the second starts after the
            # first one's OOMs, so a leak would lower its max-fit.
            row["repeat_search_max_fits"] = [
                find_max_fit(
                    in_process_prober(make_call, device),
                    SearchLimits(),
                    device,
                ).max_fit
                for _ in range(2)
            ]
        t1 = time.perf_counter()
        torch_dtype = torch.float32 if dtype_name == "fp32" else torch.bfloat16
        dense: dict[int, float | None] = {}

        def sweep(batches: list[int], model: Any) -> None:
            for b in batches:
                if b in dense:
                    continue
                dense[b] = dense_point(model, b, torch_dtype, channels_last)
                row["dense_s"] = time.perf_counter() - t1
                if save is not None:  # a sweep cut short by a time limit keeps its points
                    save({**row, "dense_partial": sorted(dense.items())})

        coarse = dense_batches(r.max_fit_batch)
        sweep(coarse, model)
        # The coarse grid can step over the optimum (bf16 has a cliff inside one step), so
        # sweep finely between the best coarse point's neighbours, and at infertime's peak.
        sweep([*fine_batches(coarse, dense), r.peak_batch], model)
    row["dense"] = sorted(dense.items())
    best_b, best = max(((b, t) for b, t in dense.items() if t), key=lambda bt: bt[1])
    row["dense_best_batch"], row["dense_best_items_per_s"] = best_b, best
    # The choice judged by one method: the dense reading at infertime's peak batch.
    row["dense_at_peak"] = dense.get(r.peak_batch)
    del model, prepared, make_call
    torch.cuda.empty_cache()
    return row


def _vs_dense(r: dict[str, Any]) -> str:
    """infertime's peak against the dense best: the dense reading there, and infertime's own."""
    best = r["dense_best_items_per_s"]
    at = r["dense_at_peak"]
    own = r["peak_items_per_s"] / best - 1
    return (f"{at / best - 1:+.2%} dense, " if at else "") + f"{own:+.2%} own reading"


def report(rows: list[dict[str, Any]], header: dict[str, Any]) -> str:
    out = [
        "# Throughput validation (issue 3)",
        "",
        f"- date: {header['date']}",
        f"- GPU: {header['gpu']} (driver {header['driver']})",
        f"- torch {header['torch']}, CUDA {header['cuda']}, cuDNN {header['cudnn']}, "
        f"timm {header['timm']}",
        "- model: timm efficientnet_b0, random weights, 3x224x224, eval, inference_mode",
        "- infertime: `measure_throughput('timm:efficientnet_b0', dtype=..., channels_last=...)`, "
        "default settings; dense sweep: this script, events around blocks of back-to-back calls",
        "",
        "| config | max-fit | probes (bound) | search s | whole run s | peak batch | peak items/s "
        "| knee | max-fit items/s | dense best (batch) | dense at peak | peak vs dense best "
        "| max-fit of two more searches |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        name = r["dtype"] + (" channels-last" if r["channels_last"] else "")
        mf = r["max_fit_items_per_s"]
        at = r["dense_at_peak"]
        out.append(
            f"| {name} | {r['max_fit']} | {r['probes']} ({r['probe_bound']:.1f}) "
            f"| {r['search_s']:.1f} "
            f"| {r['wall_s']:.1f} | {r['peak']} | {r['peak_items_per_s']:,.0f} | {r['knee']} "
            f"({r['knee_items_per_s']:,.0f}) | {f'{mf:,.0f}' if mf else 'n/a'} "
            f"| {r['dense_best_items_per_s']:,.0f} ({r['dense_best_batch']}) "
            f"| {f'{at:,.0f}' if at else 'n/a'} | {_vs_dense(r)} "
            f"| {', '.join(map(str, r.get('repeat_search_max_fits', []))) or 'not run'} |"
        )
    out += ["", "## Targets", "", "| target | measured | met |", "|---|---|---|"]

    def target(name: str, value: str, ok: bool) -> None:
        out.append(f"| {name} | {value} | {'yes' if ok else 'NO'} |")

    fp32 = rows[0]
    bound = fp32["probe_bound"]
    target(
        "max-fit in ≤ 2·log2(max-fit)+2 probes, fp32",
        f"{fp32['probes']} ≤ {bound:.1f}",
        fp32["probes"] <= bound,
    )
    target("search ≤ 15 s, fp32", f"{fp32['search_s']:.1f} s", fp32["search_s"] <= 15)
    for r in rows:
        name = r["dtype"] + (" channels-last" if r["channels_last"] else "")
        at = r["dense_at_peak"] or 0.0
        target(
            f"peak within 1 % of dense best (dense sweep's reading at infertime's peak), {name}",
            _vs_dense(r),
            at / r["dense_best_items_per_s"] - 1 >= -0.01,
        )
    target(
        "whole `infertime throughput` ≤ 60 s, fp32", f"{fp32['wall_s']:.1f} s", fp32["wall_s"] <= 60
    )
    for r in rows:
        if "repeat_search_max_fits" not in r:
            continue
        first, second = r["repeat_search_max_fits"]
        target(
            f"second search after the first one's OOMs, same model copy, {r['dtype']}",
            f"{first} → {second}",
            first == second,
        )
    out += ["", "## Curves (batch: infertime items/s; dense items/s)", ""]
    for r in rows:
        name = r["dtype"] + (" channels-last" if r["channels_last"] else "")
        ours = ", ".join(f"{b}: {t:,.0f}" if t else f"{b}: OOM" for b, t in r["points"])
        dense = ", ".join(f"{b}: {t:,.0f}" if t else f"{b}: OOM" for b, t in r["dense"])
        out += [
            f"- {name}, infertime: {ours}",
            f"- {name}, dense ({r['dense_s']:.0f} s): {dense}",
            f"- {name}, findings: {r['diagnostics']}",
        ]
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/validation"))
    parser.add_argument("--config", choices=("fp32", "bf16", "all"), default="all")
    args = parser.parse_args()
    import timm

    fw = torch_state()
    header = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "gpu": torch.cuda.get_device_name(0),
        "driver": snapshot(None, 0).get("driver_version"),
        "torch": fw["torch"],
        "cuda": fw["cuda_runtime"],
        "cudnn": fw["cudnn"],
        "timm": timm.__version__,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    store = args.out / "throughput_validation.json"
    rows = json.loads(store.read_text())["rows"] if store.exists() else []
    for dtype_name, channels_last in CONFIGS:
        if args.config not in ("all", dtype_name):
            continue

        kept = [r for r in rows if r["dtype"] != dtype_name]

        def save(partial: dict[str, Any], kept: list[dict[str, Any]] = kept) -> None:
            store.write_text(json.dumps({"header": header, "rows": [*kept, partial]}, indent=1))

        rows = [r for r in rows if r["dtype"] != dtype_name] + [
            validate(dtype_name, channels_last, save, args.out)
        ]
        rows.sort(key=lambda r: r["dtype"] != "fp32")
        store.write_text(json.dumps({"header": header, "rows": rows}, indent=1))
        print(f"{dtype_name} done", flush=True)
    if rows and rows[0]["dtype"] == "fp32":
        text = report(rows, header)
        (args.out / "throughput_validation.md").write_text(text)
        print(text)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
