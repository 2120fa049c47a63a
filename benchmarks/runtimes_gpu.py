"""Issue 12's GPU targets: torch.compile and Hugging Face models on one GPU.

1. EfficientNet-B0 batch 1: `--backend compile --compile-mode reduce-overhead` latency at most
   15 % above the `--graph-replay` replay latency (both take the launches off the host).
2. EfficientNet-B0 batch 256: eager and compiled (default mode) device time per call, each
   within 2 % of its own CUPTI kernel time; the compile time reported apart.
3. `hf:bert` (BertConfig defaults, sequence 128) fp32 batch 32: device time within 2 % of the
   CUPTI kernel time; and the same BERT without its attention mask (same kernels, none of the
   mask check's waits for the GPU).
4. `hf:bert` bf16 batch 1: the launch diagnosis says launch-bound.
Each infertime figure comes from the command a user types, in a fresh process. The references
are independent of infertime's timing, measured in a fresh process of their own on the same
prepared workload (model and inputs; for compile, torch.compile called there, not infertime's
compiled call): a plain loop of back-to-back calls between CUDA events, the article's
latency loop and the host's wall clock over back-to-back calls, infertime's own sampler,
triton's do_bench, the sites where a call makes the host wait (sync debug mode), then one
profiled loop under torch.profiler (CUPTI) giving the activities' summed durations per call
(the kernel time of the targets) and the GPU's own timeline per call with its idle gaps. Where
the model makes the host wait inside a call, the GPU idles and device time is rightly above the
kernel sum: the unprofiled loop and do_bench then say whether infertime's device time is the
GPU's time (the profiled timeline runs slower than both; it says where the GPU idles).

    PYTHONPATH=src:benchmarks python benchmarks/runtimes_gpu.py --out docs/validation
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compare_validation import cli

HERE = Path(__file__).parent
EFF = "timm:efficientnet_b0"
STEPS = ("b1", "b256", "bert32", "bert32_unmasked", "bert1", "bert1_unmasked")


def cupti_timeline(call: Callable[[], Any], calls: int) -> dict[str, Any]:
    """One profiled loop of back-to-back calls, after a warm-up: the GPU activities' summed
    durations per call (kernels, memcpy, memset: the target's CUPTI kernel time) and the GPU's
    own timeline per call (first activity's start to last one's end, over the calls), with the
    idle gaps between activities grouped by what came before and after them."""
    import torch
    from torch.autograd import DeviceType
    from torch.profiler import ProfilerActivity, profile

    for _ in range(5):
        call()
    torch.cuda.synchronize()
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(calls):
            call()
        torch.cuda.synchronize()
    events = sorted(
        (e for e in prof.events() if e.device_type == DeviceType.CUDA),
        key=lambda e: e.time_range.start,
    )
    busy_us = sum(e.time_range.elapsed_us() for e in events)
    gaps: dict[str, float] = {}
    end = events[0].time_range.end
    before = events[0].name
    for e in events[1:]:
        if e.time_range.start > end:
            key = f"{before[:60]} -> {e.name[:60]}"
            gaps[key] = gaps.get(key, 0.0) + e.time_range.start - end
        if e.time_range.end >= end:
            end, before = e.time_range.end, e.name
    span_us = end - events[0].time_range.start
    top = sorted(gaps.items(), key=lambda kv: -kv[1])[:6]
    return {
        "kernel_s": busy_us * 1e-6 / calls,
        "span_s": span_us * 1e-6 / calls,
        "idle_s": sum(gaps.values()) * 1e-6 / calls,
        "largest_gaps_per_call_us": {k: v / calls for k, v in top},
        "activities_per_call": len(events) / calls,
        "profiled_calls": calls,
    }


def plain_loop_per_call(call: Callable[[], Any], block_s: float = 0.1, blocks: int = 15) -> float:
    """Median over blocks of back-to-back calls between two CUDA events, each block led by one
    untimed call so that the GPU is busy when the start event is reached (no lead-in)."""
    import statistics

    import torch

    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    call()
    torch.cuda.synchronize()
    n = max(2, round(block_s / max(time.perf_counter() - t0, 1e-6)))
    per_call = []
    for _ in range(blocks):
        call()
        start.record()
        for _ in range(n):
            call()
        stop.record()
        stop.synchronize()
        per_call.append(start.elapsed_time(stop) * 1e-3 / n)
    return statistics.median(per_call)


def plain_latency_per_call(call: Callable[[], Any], calls: int = 300) -> dict[str, float]:
    """The article's method, done by hand: start event, call, stop event, synchronize; and
    the host's wall clock over back-to-back calls (one synchronize at the end)."""
    import statistics

    import torch

    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    each = []
    for _ in range(calls):
        start.record()
        call()
        stop.record()
        torch.cuda.synchronize()
        each.append(start.elapsed_time(stop) * 1e-3)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(calls):
        call()
    torch.cuda.synchronize()
    return {
        "plain_latency_s": statistics.median(each),
        "wall_back_to_back_s": (time.perf_counter() - t0) / calls,
    }


def sync_sites(call: Callable[[], Any]) -> list[str]:
    """Where one call makes the host wait for the GPU: PyTorch's sync debug mode warns at each
    synchronizing operation; the innermost frames outside torch are kept."""
    import traceback
    import warnings

    import torch

    sites: list[str] = []

    def show(message: Any, *_: Any, **__: Any) -> None:
        frames = [
            f"{Path(f.filename).name}:{f.lineno} {f.name}"
            for f in traceback.extract_stack()[:-1]
            if "/torch/" not in f.filename and "warnings" not in f.filename
        ]
        sites.append(" < ".join(reversed(frames[-3:])) + f" [{str(message)[:60]}]")

    previous = torch.cuda.get_sync_debug_mode()
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = show
            call()
    finally:
        torch.cuda.set_sync_debug_mode(previous)
    torch.cuda.synchronize()
    return sites


def measure_reference(
    model: str, batch: int, compiled: bool, spec: dict[str, Any]
) -> dict[str, Any]:
    """The references of one workload, in this (fresh) process: the plain loop and triton's
    do_bench first, then the sync sites, then CUPTI (it slows every later launch here)."""
    import torch
    from triton.testing import do_bench

    from infertime.devices import resolve_device
    from infertime.engine.sampler import sample_device_time
    from infertime.policies import sampling_config
    from infertime.workload.backends.eager import bind_call
    from infertime.workload.context import measurement_context
    from infertime.workload.prepare import prepare
    from infertime.workload.spec import WorkloadSpec

    dev = resolve_device("cuda")
    prepared = prepare(WorkloadSpec(model=model, batch_size=batch, device=dev.name, **spec), dev)
    with measurement_context(prepared, pause_gc=False):
        module: Any = torch.compile(prepared.module) if compiled else prepared.module
        call = bind_call(module, prepared, batch)
        for _ in range(10):  # compiles, where compiled; warms up
            call()
        out: dict[str, Any] = {"plain_loop_s": plain_loop_per_call(call)}
        out.update(plain_latency_per_call(call))
        # infertime's own pipelined sampler (chained blocks) right here, beside the loops
        cfg = sampling_config({"max_time_s": 1.0}, "cuda")
        calls = max(2, round(0.05 / out["plain_latency_s"]))
        chained = sample_device_time(call, dev, calls_per_sample=calls, policy=cfg.stop, budget_s=1)
        out["infertime_sampler_s"] = chained.summary.median
        out["do_bench_s"] = float(do_bench(call, rep=1500, return_mode="median")) * 1e-3
        out["sync_sites"] = sync_sites(call)
        out.update(cupti_timeline(call, 20))
    return out


def reference(model: str, batch: int, compiled: bool, **spec: Any) -> dict[str, Any]:
    """measure_reference in a fresh process: a kernel-time pass earlier in this one would slow
    the host, and with it a model that waits for the GPU inside a call."""
    job = json.dumps({"model": model, "batch": batch, "compiled": compiled, "spec": spec})
    paths = [str(HERE.parent / "src"), str(HERE), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    proc = subprocess.run(
        [sys.executable, __file__, "--reference-of", job],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        raise RuntimeError(f"reference of {model} b{batch}: {proc.stderr.strip()[-400:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def figures(doc: dict[str, Any] | None, err: str) -> dict[str, Any]:
    if doc is None:
        return {"error": err}
    stats, analysis = doc["statistics"], doc["analysis"]
    launch = analysis.get("launch") or {}
    out = {
        "latency_s": stats["latency"]["median_s"],
        "latency_ci_s": stats["latency"].get("median_ci_s"),
        "device_time_s": stats.get("device_time", {}).get("median_s"),
        "kernel_time_s": launch.get("kernel_time_s"),
        "busy_fraction": launch.get("busy_fraction"),
        "verdict": launch.get("verdict"),
        "host_syncs_per_call": launch.get("host_syncs_per_call"),
        "backend": analysis.get("backend"),
        "diagnostics": sorted({d["code"] for d in doc["diagnostics"]}),
    }
    if "graph_latency" in stats:
        out["graph_latency_s"] = stats["graph_latency"]["median_s"]
    return out


KEEP: list[Path] = []  # where whole result documents are kept (main sets it)


def run(*args: str, keep: str | None = None) -> dict[str, Any]:
    doc, wall, err = cli("run", *args, "--device", "cuda")
    if keep and doc is not None and KEEP:
        (KEEP[0] / f"{keep}.json").write_text(json.dumps(doc))
    return {"wall_s": wall, **figures(doc, err)}


def step_b1() -> dict[str, Any]:
    out = {
        "eager": run(EFF, "-b", "1", "--graph-replay"),
        "compile_ro": run(
            EFF, "-b", "1", "--backend", "compile", "--compile-mode", "reduce-overhead"
        ),
    }
    graph = out["eager"].get("graph_latency_s")
    compiled = out["compile_ro"].get("latency_s")
    if graph and compiled:
        out["compile_over_graph"] = compiled / graph
    return out


def against_references(row: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    """infertime's device time over each reference of the same workload."""
    row["reference"] = ref
    row["cupti_s"] = ref["kernel_s"]
    device = row.get("device_time_s")
    if device:
        row["device_over_cupti"] = device / ref["kernel_s"]
        for name in ("span_s", "plain_loop_s", "do_bench_s"):
            row[f"device_over_{name[:-2]}"] = device / ref[name]
    return row


def step_b256() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, compiled in (("eager", False), ("compile", True)):
        extra = ("--backend", "compile") if compiled else ()
        out[name] = against_references(run(EFF, "-b", "256", *extra), reference(EFF, 256, compiled))
    return out


def step_bert32() -> dict[str, Any]:
    row = run("hf:bert", "-b", "32", "--seq-len", "128")
    return against_references(row, reference("hf:bert", 32, False, seq_len=128))


def step_bert32_unmasked() -> dict[str, Any]:
    """The same BERT and kernels without the attention mask, whose all-ones check
    (padding_mask.all()) is one of the host's waits inside a call."""
    model = "bench_models:bert_base_unmasked"
    return against_references(run(model, "-b", "32"), reference(model, 32, False))


def step_bert1() -> dict[str, Any]:
    row = run("hf:bert", "-b", "1", "--seq-len", "128", "--dtype", "bf16", keep="bert1")
    return against_references(row, reference("hf:bert", 1, False, seq_len=128, dtype="bf16"))


def step_bert1_unmasked() -> dict[str, Any]:
    model = "bench_models:bert_base_unmasked"
    row = run(model, "-b", "1", "--dtype", "bf16", keep="bert1_unmasked")
    return against_references(row, reference(model, 1, False, dtype="bf16"))


def ms(x: float | None) -> str:
    return f"{x * 1e3:.3f} ms" if x else "n/a"


MET = {True: "yes", False: "NO", None: "info"}


def report(data: dict[str, Any]) -> str:
    lines = ["# torch.compile and hf: models on the GPU (issue 12)", "", f"- {data['header']}", ""]
    rows: list[tuple[str, str, bool | None]] = []
    b1 = data.get("b1") or {}
    if "compile_over_graph" in b1:
        ro, eager = b1["compile_ro"], b1["eager"]
        rows.append(
            (
                "EfficientNet-B0 b1: compile reduce-overhead ≤ 1.15 × --graph-replay replay",
                f"{ms(ro['latency_s'])} vs {ms(eager['graph_latency_s'])} "
                f"(× {b1['compile_over_graph']:.3f}); eager {ms(eager['latency_s'])}; "
                f"compile {ro['backend']['compile_s']:.1f} s",
                b1["compile_over_graph"] <= 1.15,
            )
        )
    gpu_bound = [(f"EfficientNet-B0 b256 {k}", v) for k, v in (data.get("b256") or {}).items()]
    gpu_bound += [("hf:bert fp32 b32", data.get("bert32") or {})]
    gpu_bound += [("BERT fp32 b32, no attention mask", data.get("bert32_unmasked") or {})]
    for name, row in gpu_bound:
        if "device_over_cupti" not in row:
            continue
        built = row.get("backend") or {}
        extra = f"; compile {built['compile_s']:.1f} s" if "compile_s" in built else ""
        syncs = row.get("host_syncs_per_call")
        extra += f"; {syncs} host sync(s) a call" if syncs else ""
        rows.append(
            (
                f"{name}: device time within 2 % of CUPTI kernel time",
                f"{ms(row['device_time_s'])} vs {ms(row['cupti_s'])} "
                f"({row['device_over_cupti'] - 1:+.2%}){extra}",
                abs(row["device_over_cupti"] - 1) <= 0.02,
            )
        )
        ref = row["reference"]
        # The profiled timeline runs slower than the unprofiled loops (EfficientNet-B0 b256
        # eager on an H200: span +1.7 % over both loops, which agreed within 0.03 %): the
        # unprofiled loops are the references; the span and its gaps say where the GPU idled.
        rows.append(
            (
                f"{name}: device time within 1 % of a plain event loop and of triton do_bench "
                "(unprofiled, back to back); CUPTI's timeline for where the GPU idles",
                f"loop {ms(ref['plain_loop_s'])} ({row['device_over_plain_loop'] - 1:+.2%}), "
                f"do_bench {ms(ref['do_bench_s'])} ({row['device_over_do_bench'] - 1:+.2%}); "
                f"profiled span {ms(ref['span_s'])}, idle {ms(ref['idle_s'])} a call",
                max(abs(row["device_over_plain_loop"] - 1), abs(row["device_over_do_bench"] - 1))
                <= 0.01,
            )
        )
    bert1 = data.get("bert1") or {}
    if "verdict" in bert1:
        verdict = str(bert1["verdict"])
        rows.append(
            (
                "hf:bert bf16 b1: launch-bound verdict",
                f"{verdict} (busy {bert1['busy_fraction']:.0%}, latency {ms(bert1['latency_s'])}, "
                f"kernels {ms(bert1['kernel_time_s'])})",
                "launch" in verdict,
            )
        )
    for name, row in (
        ("hf:bert bf16 b1", bert1),
        ("BERT bf16 b1, no attention mask", data.get("bert1_unmasked") or {}),
    ):
        ref = row.get("reference")
        if not ref or not row.get("device_time_s"):
            continue
        rows.append(
            (
                f"{name} (launch-bound): latency and device time beside hand-made loops in "
                "another process",
                f"latency {ms(row['latency_s'])} (event loop {ms(ref['plain_latency_s'])}); "
                f"device time {ms(row['device_time_s'])} (event loop "
                f"{ms(ref['plain_loop_s'])}, host wall clock {ms(ref['wall_back_to_back_s'])}, "
                f"do_bench {ms(ref['do_bench_s'])}, infertime's sampler there "
                f"{ms(ref['infertime_sampler_s'])}); host syncs a call: "
                f"{row.get('host_syncs_per_call')}",
                None,  # host-paced: figures taken seconds apart differ with the host
            )
        )
    lines += ["| target | measured | met |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {MET[ok]} |" for t, m, ok in rows]
    errors = [
        f"- {step} {name}: {row['error']}"
        for step in STEPS
        for name, row in ((data.get(step) or {}).items() if step in ("b1", "b256") else [])
        if isinstance(row, dict) and "error" in row
    ]
    errors += [
        f"- {s}: {data[s]['error']}"
        for s in ("bert32", "bert32_unmasked", "bert1", "bert1_unmasked")
        if "error" in data.get(s, {})
    ]
    lines += ["", *errors, "", "Raw: runtimes_gpu.json"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/validation"))
    parser.add_argument("--steps", default=",".join(STEPS))
    parser.add_argument("--reference-of", help=argparse.SUPPRESS)  # the child of reference()
    args = parser.parse_args()
    if args.reference_of:
        job = json.loads(args.reference_of)
        ref = measure_reference(job["model"], job["batch"], job["compiled"], job["spec"])
        print(json.dumps(ref))
        return
    import torch
    import transformers

    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = (
        f"{when}; {torch.cuda.get_device_name(0)}; torch {torch.__version__}; "
        f"transformers {transformers.__version__}"
    )
    data: dict[str, Any] = {"header": header}
    args.out.mkdir(parents=True, exist_ok=True)
    KEEP.append(args.out)
    for step in args.steps.split(","):
        try:
            data[step] = globals()[f"step_{step}"]()
        except Exception as exc:  # keep the other steps' results
            data[step] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        (args.out / "runtimes_gpu.json").write_text(json.dumps(data, indent=1))
        (args.out / "runtimes_gpu.md").write_text(report(data))
        print(step, json.dumps(data[step])[:800], flush=True)
    print(report(data))


if __name__ == "__main__":
    main()
