"""ONNX Runtime's intra-op spinning: how fast it runs, and what it leaves to the next slot.

ONNX Runtime's default lets idle intra-op threads spin (busy-wait) for work, also after a run
returns, where they take the CPU from whatever runs next (the eager slot of an interleaved
comparison). Turning spinning off (`session.intra_op.allow_spinning=0`) makes every operator
wake sleeping threads; `session.force_spinning_stop=1` keeps spinning inside a run and stops
it when the run returns. This script times, in one process, interleaved slots of eager
PyTorch and three ONNX Runtime variants (the same exported model, the same options otherwise,
inputs and outputs bound once): spinning off, on (ONNX Runtime's default), and on but stopped
after each run. A round is variant, eager, variant, eager, ... (the variants' order rotating), so
eager is timed right after each variant. Per round: each slot's median call; the report gives the
medians over rounds and the per-round ratios (median and interquartile range).

    PYTHONPATH=src python benchmarks/ort_spinning_check.py --threads 8 --out OUT
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MODELS = ("timm:efficientnet_b0", "hf:bert")


VARIANTS = {  # name: (allow_spinning, force_spinning_stop)
    "off": ("0", "0"),
    "on": ("1", "0"),
    "stop": ("1", "1"),
}


def ort_call(model_bytes: bytes, feeds: dict[str, Any], threads: int, variant: str) -> Any:
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    spinning, stop = VARIANTS[variant]
    options.add_session_config_entry("session.intra_op.allow_spinning", spinning)
    options.add_session_config_entry("session.force_spinning_stop", stop)
    session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
    names = {i.name for i in session.get_inputs()}
    arrays = {n: a for n, a in feeds.items() if n in names}
    binding = session.io_binding()
    for name, array in arrays.items():
        binding.bind_cpu_input(name, array)
    outputs = [np.empty_like(o) for o in session.run(None, arrays)]
    for meta, out in zip(session.get_outputs(), outputs, strict=True):
        binding.bind_output(meta.name, "cpu", 0, out.dtype, list(out.shape), out.ctypes.data)
    run = session.run_with_iobinding

    def call() -> None:
        run(binding)

    call.keep = (session, arrays, outputs, binding)  # type: ignore[attr-defined]
    return call


def slot(call: Callable[[], Any], calls: int) -> float:
    times = []
    for _ in range(calls):
        t0 = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - t0)
    return statistics.median(times) * 1e-9


def quartiles(xs: list[float]) -> dict[str, float]:
    q = statistics.quantiles(xs, n=4)
    return {"median": statistics.median(xs), "q1": q[0], "q3": q[2]}


def check(model: str, threads: int, budget_s: float) -> dict[str, Any]:
    import numpy as np

    from infertime.devices import resolve_device
    from infertime.workload.backends.eager import bind_call
    from infertime.workload.backends.onnxruntime import _export, _in_signature_order
    from infertime.workload.context import measurement_context
    from infertime.workload.prepare import prepare
    from infertime.workload.spec import WorkloadSpec

    dev = resolve_device("cpu")
    prepared = prepare(WorkloadSpec(model=model, batch_size=1, device="cpu", threads=threads), dev)
    with measurement_context(prepared, pause_gc=True):
        args, kwargs = prepared.inputs(1)
        kwargs = _in_signature_order(prepared.module, kwargs)
        names = [f"input_{i}" for i in range(len(args))] + list(kwargs)
        model_bytes, exporter = _export(prepared, tuple(args), dict(kwargs), names)
        tensors = [*args, *kwargs.values()]
        feeds = {n: np.ascontiguousarray(t.numpy()) for n, t in zip(names, tensors, strict=True)}
        arms = {"eager": bind_call(prepared.module, prepared, 1)}
        for variant in VARIANTS:
            arms[variant] = ort_call(model_bytes, feeds, threads, variant)
        for call in arms.values():
            for _ in range(5):
                call()
        call_s = slot(arms["eager"], 3)
        calls = max(3, round(0.05 / call_s))  # slots of about 50 ms
        rounds: list[dict[str, float]] = []
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < budget_s or len(rounds) < 8:
            shift = len(rounds) % len(VARIANTS)
            got: dict[str, float] = {}
            for variant in list(VARIANTS)[shift:] + list(VARIANTS)[:shift]:
                got[variant] = slot(arms[variant], calls)
                got[f"eager_after_{variant}"] = slot(arms["eager"], calls)
            rounds.append(got)

    def ratios(num: str, den: str) -> dict[str, float]:
        return quartiles([r[num] / r[den] for r in rounds])

    out: dict[str, Any] = {
        "model": model,
        "threads": threads,
        "exporter": exporter,
        "calls_per_slot": calls,
        "rounds": len(rounds),
        "median_s": {k: statistics.median(r[k] for r in rounds) for k in rounds[0]},
        "over_off": {v: ratios(v, "off") for v in VARIANTS if v != "off"},
        # against eager after spinning off: no thread of ONNX Runtime's was awake then
        "over_eager": {v: ratios(v, "eager_after_off") for v in VARIANTS},
        # does a variant slow the eager slot after it, against eager after spinning off?
        "eager_after_over_after_off": {
            v: ratios(f"eager_after_{v}", "eager_after_off") for v in VARIANTS if v != "off"
        },
        "raw_rounds": rounds,
    }
    return out


def report(rows: list[dict[str, Any]], header: str) -> str:
    lines = ["# ONNX Runtime's intra-op spinning: off, on (its default), stopped after a run", ""]
    lines += [f"- {header}", ""]
    lines += [
        "| model | eager | ORT spinning off | on (ORT's default) | on, stopped after a run | "
        "on / off | stopped / off | off / eager | stopped / eager | eager after on / after off | "
        "eager after stopped / after off | rounds |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def q(d: dict[str, float]) -> str:
        return f"{d['median']:.3f} ({d['q1']:.3f}–{d['q3']:.3f})"

    for r in rows:
        if "error" in r:
            lines.append(f"| {r['model']} | error: {r['error']} |")
            continue
        m, off, eager, after = (
            r["median_s"],
            r["over_off"],
            r["over_eager"],
            r["eager_after_over_after_off"],
        )
        lines.append(
            f"| {r['model']} | {m['eager_after_off'] * 1e3:.2f} ms | {m['off'] * 1e3:.2f} ms | "
            f"{m['on'] * 1e3:.2f} ms | {m['stop'] * 1e3:.2f} ms | {q(off['on'])} | "
            f"{q(off['stop'])} | {q(eager['off'])} | {q(eager['stop'])} | {q(after['on'])} | "
            f"{q(after['stop'])} | {r['rounds']} |"
        )
    lines += [
        "",
        "Eager: the slot right after ONNX Runtime with spinning off. Ratios: median over rounds "
        "(interquartile range). Raw: ort_spinning.json",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--budget", type=float, default=30.0, help="seconds of rounds a model")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--out", type=Path, default=Path("docs/validation"))
    args = parser.parse_args()
    import onnxruntime
    import torch

    header = (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {platform.processor() or ''} "
        f"{platform.machine()}; torch {torch.__version__}; onnxruntime {onnxruntime.__version__}; "
        f"{args.threads} threads"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for model in args.models.split(","):
        try:
            rows.append(check(model, args.threads, args.budget))
        except Exception as exc:  # keep the other model's result
            rows.append({"model": model, "error": f"{type(exc).__name__}: {exc}"[:300]})
        (args.out / "ort_spinning.json").write_text(json.dumps({"header": header, "rows": rows}))
    text = report(rows, header)
    (args.out / "ort_spinning.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
