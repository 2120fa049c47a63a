"""Issue 12's GPU targets: torch.compile and Hugging Face models on one GPU.

1. EfficientNet-B0 batch 1: `--backend compile --compile-mode reduce-overhead` latency at most
   15 % above the `--cuda-graph` replay latency (both take the launches off the host).
2. EfficientNet-B0 batch 256: eager and compiled (default mode) device time per call, each
   within 2 % of its own CUPTI kernel time; the compile time reported apart.
3. `hf:bert` (BertConfig defaults, sequence 128) fp32 batch 32: device time within 2 % of the
   CUPTI kernel time.
4. `hf:bert` bf16 batch 1: the launch diagnosis says launch-bound.
Each infertime figure comes from the command a user types, in a fresh process. The CUPTI
reference is independent of infertime's timing: the same prepared workload (model and inputs),
called in a plain loop under torch.profiler in this process, the kernels' durations summed per
call (and, for compile, torch.compile called here, not infertime's compiled call).

    PYTHONPATH=src:benchmarks python benchmarks/runtimes_gpu.py --out docs/validation
"""

from __future__ import annotations

import argparse
import gc
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compare_validation import cli

EFF = "timm:efficientnet_b0"
STEPS = ("b1", "b256", "bert32", "bert1")


def cupti_per_call(call: Callable[[], Any], calls: int) -> float:
    """Kernel (and memcpy/memset) time per call from the raw profiler events, after a warm-up."""
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
    total_us = sum(
        e.time_range.elapsed_us() for e in prof.events() if e.device_type == DeviceType.CUDA
    )
    return total_us * 1e-6 / calls


def reference(model: str, batch: int, compiled: bool, **spec: Any) -> float:
    """CUPTI kernel time per call of the workload infertime builds for `model` at `batch`."""
    import torch

    from infertime.devices import resolve_device
    from infertime.workload.backends.eager import bind_call
    from infertime.workload.context import measurement_context
    from infertime.workload.prepare import prepare
    from infertime.workload.spec import WorkloadSpec

    dev = resolve_device("cuda")
    prepared = prepare(WorkloadSpec(model=model, batch_size=batch, device=dev.name, **spec), dev)
    with measurement_context(prepared, pause_gc=False):
        module: Any = torch.compile(prepared.module) if compiled else prepared.module
        call = bind_call(module, prepared, batch)
        call()  # compiles, where compiled
        seconds = cupti_per_call(call, 20)
    del prepared, module, call
    gc.collect()
    torch.cuda.empty_cache()
    return seconds


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


def run(*args: str) -> dict[str, Any]:
    doc, wall, err = cli("run", *args, "--device", "cuda")
    return {"wall_s": wall, **figures(doc, err)}


def step_b1() -> dict[str, Any]:
    out = {
        "eager": run(EFF, "-b", "1", "--cuda-graph"),
        "compile_ro": run(
            EFF, "-b", "1", "--backend", "compile", "--compile-mode", "reduce-overhead"
        ),
    }
    graph = out["eager"].get("graph_latency_s")
    compiled = out["compile_ro"].get("latency_s")
    if graph and compiled:
        out["compile_over_graph"] = compiled / graph
    return out


def step_b256() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, compiled in (("eager", False), ("compile", True)):
        extra = ("--backend", "compile") if compiled else ()
        row = run(EFF, "-b", "256", *extra)
        row["cupti_s"] = reference(EFF, 256, compiled)
        if row.get("device_time_s"):
            row["device_over_cupti"] = row["device_time_s"] / row["cupti_s"]
        out[name] = row
    return out


def step_bert32() -> dict[str, Any]:
    row = run("hf:bert", "-b", "32", "--seq-len", "128")
    row["cupti_s"] = reference("hf:bert", 32, False, seq_len=128)
    if row.get("device_time_s"):
        row["device_over_cupti"] = row["device_time_s"] / row["cupti_s"]
    return row


def step_bert1() -> dict[str, Any]:
    return run("hf:bert", "-b", "1", "--seq-len", "128", "--dtype", "bf16")


def ms(x: float | None) -> str:
    return f"{x * 1e3:.3f} ms" if x else "n/a"


def report(data: dict[str, Any]) -> str:
    lines = ["# torch.compile and hf: models on the GPU (issue 12)", "", f"- {data['header']}", ""]
    rows: list[tuple[str, str, bool]] = []
    b1 = data.get("b1") or {}
    if "compile_over_graph" in b1:
        ro, eager = b1["compile_ro"], b1["eager"]
        rows.append(
            (
                "EfficientNet-B0 b1: compile reduce-overhead ≤ 1.15 × --cuda-graph replay",
                f"{ms(ro['latency_s'])} vs {ms(eager['graph_latency_s'])} "
                f"(× {b1['compile_over_graph']:.3f}); eager {ms(eager['latency_s'])}; "
                f"compile {ro['backend']['compile_s']:.1f} s",
                b1["compile_over_graph"] <= 1.15,
            )
        )
    for name, row in (data.get("b256") or {}).items():
        if "device_over_cupti" in row:
            built = row.get("backend") or {}
            extra = f"; compile {built['compile_s']:.1f} s" if "compile_s" in built else ""
            rows.append(
                (
                    f"EfficientNet-B0 b256 {name}: device time within 2 % of CUPTI",
                    f"{ms(row['device_time_s'])} vs {ms(row['cupti_s'])} "
                    f"({row['device_over_cupti'] - 1:+.2%}){extra}",
                    abs(row["device_over_cupti"] - 1) <= 0.02,
                )
            )
    bert = data.get("bert32") or {}
    if "device_over_cupti" in bert:
        rows.append(
            (
                "hf:bert fp32 b32: device time within 2 % of CUPTI",
                f"{ms(bert['device_time_s'])} vs {ms(bert['cupti_s'])} "
                f"({bert['device_over_cupti'] - 1:+.2%}); host syncs a call: "
                f"{bert.get('host_syncs_per_call')}",
                abs(bert["device_over_cupti"] - 1) <= 0.02,
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
    lines += ["| target | measured | met |", "|---|---|---|"]
    lines += [f"| {t} | {m} | {'yes' if ok else 'NO'} |" for t, m, ok in rows]
    errors = [
        f"- {step} {name}: {row['error']}"
        for step in STEPS
        for name, row in ((data.get(step) or {}).items() if step in ("b1", "b256") else [])
        if isinstance(row, dict) and "error" in row
    ]
    errors += [
        f"- {s}: {data[s]['error']}" for s in ("bert32", "bert1") if "error" in data.get(s, {})
    ]
    lines += ["", *errors, "", "Raw: runtimes_gpu.json"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path("docs/validation"))
    parser.add_argument("--steps", default=",".join(STEPS))
    args = parser.parse_args()
    import torch
    import transformers

    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = (
        f"{when}; {torch.cuda.get_device_name(0)}; torch {torch.__version__}; "
        f"transformers {transformers.__version__}"
    )
    data: dict[str, Any] = {"header": header}
    args.out.mkdir(parents=True, exist_ok=True)
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
