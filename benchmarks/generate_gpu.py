"""Issue 21's GPU validation: text-generation timing (infertime.generation) on one GPU.

Models (random weights, bf16): GPT-2 small (GPT2Config defaults, 124M parameters) and a
Llama-architecture model of about 1.2B parameters (Llama 3.2 1B's sizes); batch 1 and 16,
prompt 512, 128 new tokens; eager with a dynamic cache, eager with a static cache, and
torch.compile (reduce-overhead) with a static cache. Each case runs in a fresh process
(CUPTI, once attached, slows every later launch in its process; compiled graphs stay
cached), in this order inside it:

1. infertime's step (build, warm-up, timed calls, generate() path), its wall time after
   imports = the time to a first answer (target for GPT-2 batch 1: <= 30 s), minus the
   per-step-marks pass, which runs in the same step;
2. the per-step marks' cost: interleaved rounds with and without them (target: <= 1 %);
3. an independent hand-written event loop (own cache, own events, same model), medians of
   its TTFT and TPOT against infertime's device figures;
4. last, CUPTI kernel sums (torch.profiler) of prefill alone and of whole sequences:
   prefill kernels against device TTFT, (whole - prefill) / (N - 1) against device TPOT.
   Above the kernel sum is launch time the GPU waits through (batch 1, eager), not error.
Then one more process: the SLO batch search on the 1B model (eager, dynamic cache), the
largest batch whose 95 % upper bounds of median TTFT and TPOT meet `--slo`, with its probes.

    PYTHONPATH=src python benchmarks/generate_gpu.py --out docs/validation/generate
    PYTHONPATH=src python benchmarks/generate_gpu.py --device cpu --tiny --out /tmp/gen  # smoke

Results: one JSON per case under OUT, `summary.json`, and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

GPT2: tuple[str, ...] = ()  # GPT2Config defaults: 12 layers, 768 wide, 124M parameters
LLAMA_1B = (
    "num_hidden_layers=16",
    "hidden_size=2048",
    "intermediate_size=8192",
    "num_attention_heads=32",
    "num_key_value_heads=8",
    "head_dim=64",
    "vocab_size=128256",
    "max_position_embeddings=131072",
    "tie_word_embeddings=true",
)
TINY = {
    "gpt2": ("n_layer=2", "n_embd=64", "n_head=2", "vocab_size=1000", "n_positions=256"),
    "llama1b": (
        "num_hidden_layers=2",
        "hidden_size=64",
        "intermediate_size=128",
        "num_attention_heads=4",
        "num_key_value_heads=2",
        "head_dim=16",
        "vocab_size=1000",
        "max_position_embeddings=256",
    ),
}
MODELS = {"gpt2": ("hf:gpt2", GPT2), "llama1b": ("hf:llama", LLAMA_1B)}
VARIANTS = {
    "eager-dynamic": ("eager", "dynamic"),
    "eager-static": ("eager", "static"),
    "compile-static": ("compile", "static"),
}


def cases(args: argparse.Namespace) -> list[dict[str, Any]]:
    out = []
    for model in args.models:
        for batch in args.batches:
            for variant in args.variants:
                backend, cache = VARIANTS[variant]
                ref, cfg = MODELS[model]
                out.append(
                    {
                        "name": f"{model}-b{batch}-{variant}",
                        "model": ref,
                        "hf_config": list(TINY[model] if args.tiny else cfg),
                        "batch": batch,
                        "prompt": args.prompt,
                        "new": args.new,
                        "backend": backend,
                        "cache": cache,
                    }
                )
    return out


def policy(quick: bool) -> Any:
    from infertime.generation.spec import GenerationPolicy
    from infertime.policies import StopPolicy, WarmupPolicy

    if not quick:
        return GenerationPolicy(instrumentation=True)
    return GenerationPolicy(
        warmup=WarmupPolicy(
            min_time_s=0.05,
            min_calls=3,
            window_calls=2,
            windows=2,
            window_time_s=0.01,
            max_time_s=5.0,
        ),
        stop=StopPolicy(precision=0.02, min_samples=8, max_time_s=3.0),
        caller_min_calls=4,
        caller_max_calls=8,
        caller_max_time_s=1.0,
        instrumentation=True,
        instrumentation_rounds=8,
        instrumentation_max_time_s=5.0,
    )


def spec_of(case: dict[str, Any], device: str, dtype: str) -> Any:
    from infertime.generation.spec import GenerationSpec

    return GenerationSpec(
        case["model"],
        case["prompt"],
        case["new"],
        case["batch"],
        tuple(case["hf_config"]),
        dtype=dtype,
        device=device,
        backend=case["backend"],
        cache=case["cache"],
    )


def call_kwargs(built: Any) -> tuple[str, dict[str, Any]]:
    """The cache's keyword (transformers 5: cache, 4.x: past_key_values) and prefill's."""
    args = built.forward_arguments
    keep = {"logits_to_keep": 1} if "logits_to_keep" in args else {}
    return built.cache_argument, keep


def hand_loop(built: Any, spec: Any, decode: Any, prompt: Any, runs: int) -> dict[str, Any]:
    """An independent loop: its own cache, CUDA events (or perf_counter on a CPU) around
    prefill + first argmax and around the N - 1 decode steps, one synchronize at the end."""
    import torch

    from infertime.generation.loop import new_dynamic_cache, new_static_cache
    from infertime.generation.model import torch_dtype

    module, n = built.module, spec.new_tokens
    kw, keep = call_kwargs(built)
    cuda = prompt.device.type == "cuda"
    static = None
    if spec.cache == "static":
        static = new_static_cache(
            built.config, spec.cache_len, spec.batch_size, torch_dtype(spec.dtype), prompt.device
        )

    def stamp() -> Any:
        if cuda:
            e = torch.cuda.Event(enable_timing=True)
            e.record()
            return e
        return time.perf_counter()

    def between(a: Any, b: Any) -> float:
        return float(a.elapsed_time(b)) * 1e-3 if cuda else float(b - a)

    ttft, tpot = [], []
    for i in range(runs + 5):  # 5 untimed first: this loop's own warm-up
        if static is not None:
            static.reset()
        cache = static if static is not None else new_dynamic_cache(built.config)
        a = stamp()
        out = module(input_ids=prompt, **{kw: cache}, use_cache=True, **keep)
        tok = out.logits[:, -1].argmax(-1)
        b = stamp()
        for _ in range(n - 1):
            out = decode(input_ids=tok[:, None], **{kw: cache}, use_cache=True)
            tok = out.logits[:, -1].argmax(-1)
        c = stamp()
        if cuda:
            torch.cuda.synchronize()
        if i >= 5:
            ttft.append(between(a, b))
            tpot.append(between(b, c) / (n - 1))
    return {
        "runs": runs,
        "ttft_median_s": statistics.median(ttft),
        "tpot_median_s": statistics.median(tpot),
    }


def kernel_sums(built: Any, spec: Any, decode: Any, prompt: Any, device: Any) -> dict[str, Any]:
    """CUPTI sums per call of prefill alone and of whole sequences (torch.profiler)."""
    from infertime.generation.loop import new_dynamic_cache, new_static_cache
    from infertime.generation.model import torch_dtype
    from infertime.telemetry.kernel_time import profile_kernel_time

    module, n = built.module, spec.new_tokens
    kw, keep = call_kwargs(built)
    static = None
    if spec.cache == "static":
        static = new_static_cache(
            built.config, spec.cache_len, spec.batch_size, torch_dtype(spec.dtype), prompt.device
        )

    def fresh() -> Any:
        if static is not None:
            static.reset()
            return static
        return new_dynamic_cache(built.config)

    def prefill() -> Any:
        out = module(input_ids=prompt, **{kw: fresh()}, use_cache=True, **keep)
        return out.logits[:, -1].argmax(-1)

    def whole() -> None:
        cache = fresh()
        out = module(input_ids=prompt, **{kw: cache}, use_cache=True, **keep)
        tok = out.logits[:, -1].argmax(-1)
        for _ in range(n - 1):
            out = decode(input_ids=tok[:, None], **{kw: cache}, use_cache=True)
            tok = out.logits[:, -1].argmax(-1)

    pre = profile_kernel_time(prefill, device, 10)
    seq = profile_kernel_time(whole, device, 5)
    return {
        "prefill_kernel_s": pre.kernel_time_s,
        "prefill_kernels": pre.kernels_per_call,
        "sequence_kernel_s": seq.kernel_time_s,
        "decode_step_kernel_s": (seq.kernel_time_s - pre.kernel_time_s) / (n - 1),
    }


def child(case: dict[str, Any], device_name: str, dtype: str, quick: bool) -> dict[str, Any]:
    """One case, in this (fresh) process."""
    t0 = time.perf_counter()
    import torch

    from infertime.devices import resolve_device
    from infertime.generation import figures
    from infertime.generation.measure import measure_built
    from infertime.generation.model import build_model, random_prompt

    imports_s = time.perf_counter() - t0
    device = resolve_device(device_name)
    spec = spec_of(case, device_name, dtype)
    t1 = time.perf_counter()
    built = build_model(spec, device)
    run = measure_built(built, spec, device, policy(quick))
    wall_s = time.perf_counter() - t1
    instr_s = run.instrumentation.stop.elapsed_s if run.instrumentation else 0.0
    dev_f = figures.device_figures(run)
    call_f = figures.caller_figures(run)
    cost = figures.caller_cost(run)
    instr = figures.instrumentation_cost(run)

    def fig(f: Any) -> dict[str, Any]:
        s = f.summary
        return {"median": s.median, "ci": s.median_ci, "n": s.n, "p99": s.percentiles[0.99]}

    result: dict[str, Any] = {
        "case": case,
        "dtype": dtype,
        "gpu": run.device_description,
        "torch": torch.__version__,
        "imports_s": imports_s,
        "first_answer_s": wall_s - instr_s,
        "first_answer_definition": "build + compile + warm-up + timed calls + generate() path, "
        "after imports; the per-step-marks pass excluded",
        "model": asdict(run.model),
        "cache": asdict(run.cache),
        "compile": asdict(run.compile) if run.compile else None,
        "warmup": run.warmup.message,
        "stop": run.stop.message,
        "timed_calls": len(run.sequences),
        "marks_gap_max_rel": figures.marks_gap(run),
        "device": {k: fig(v) for k, v in dev_f.items()},
        "caller": {k: fig(v) for k, v in call_f.items()},
        "caller_kwargs": run.caller.generate_kwargs if run.caller else None,
        "generate_host_syncs_per_call": run.caller.host_syncs_per_call if run.caller else None,
        "generate_compiled_itself": run.caller.compiled_by_generate if run.caller else None,
        "device_path_syncs": run.device_path_syncs,
        "caller_cost": None
        if cost is None
        else {
            "ratio": cost.ratio.value,
            "ci": cost.ratio.ci,
            "extra_per_token_s": cost.extra_per_token_s,
            "syncs_per_token": cost.host_syncs_per_token,
        },
        "marks_cost": None
        if instr is None
        else {"ratio": instr.value, "ci": instr.ci, "rounds": instr.n},
        "memory": asdict(figures.memory(run)),
        "steps_by_position": figures.steps_by_position(run),
        "views_device": [(v.name, v.mean, v.median) for v in figures.tool_views(run)["device"]],
        "diagnostics": [asdict(d) for d in figures.diagnostics(run)],
    }
    # The reference loops share the built model; compiled cases compile again for them.
    with torch.inference_mode(), device.activate():
        prompt = random_prompt(built.config, spec, device.torch_device)  # type: ignore[attr-defined]
        decode: Any = built.module
        if spec.backend == "compile":
            import torch._dynamo

            torch._dynamo.reset()
            decode = torch.compile(built.module, mode=spec.resolved_compile_mode, dynamic=False)
        result["hand_loop"] = hand_loop(built, spec, decode, prompt, 10 if quick else 30)
        if device.kind == "cuda":
            result["cupti"] = kernel_sums(built, spec, decode, prompt, device)
    return result


def slo_child(args: argparse.Namespace) -> dict[str, Any]:
    from infertime.generation.measure import sweep_generation
    from infertime.generation.slo import parse_slo

    ref, cfg = MODELS["llama1b"]
    case = {
        "model": ref,
        "hf_config": list(TINY["llama1b"] if args.tiny else cfg),
        "batch": 1,
        "prompt": args.prompt,
        "new": args.new,
        "backend": "eager",
        "cache": "dynamic",
    }
    spec = spec_of(case, args.device, args.dtype)
    limit = parse_slo(args.slo)
    pol = replace(policy(True), instrumentation=False)
    t0 = time.perf_counter()
    _runs, points, choice = sweep_generation(
        spec, slo=limit, max_batch=args.max_batch, policy=pol, device=args.device
    )
    return {
        "slo": limit.text(),
        "max_batch": args.max_batch,
        "seconds": time.perf_counter() - t0,
        "probes": [p.batch for p in points],
        "chosen": choice.batch if choice else None,
        "message": choice.message if choice else None,
        "points": [
            {
                "batch": p.batch,
                "failed": p.failed,
                "tokens_per_s_per_gpu": p.tokens_per_s_per_gpu,
                "tokens_per_s_per_user": p.tokens_per_s_per_user,
                "ttft_median_s": statistics.median(p.ttft_s) if p.ok else None,
                "tpot_median_s": statistics.median(p.tpot_s) if p.ok else None,
            }
            for p in points
        ],
        "verdicts": [asdict(v) for v in (choice.verdicts if choice else ())],
    }


def ms(x: float | None) -> str:
    return "-" if x is None else f"{x * 1e3:.3f}"


def table(results: list[dict[str, Any]]) -> str:
    head = (
        "case",
        "TTFT dev",
        "hand",
        "CUPTI",
        "TPOT dev",
        "hand",
        "CUPTI",
        "gen/dev",
        "syncs/tok",
        "marks cost",
        "1st ans s",
    )
    rows = [head]
    for r in results:
        if "error" in r:
            rows.append((r["case"]["name"], "error: " + r["error"][:60], *[""] * 9))
            continue
        d, h, c = r["device"], r["hand_loop"], r.get("cupti", {})
        cc, mc = r["caller_cost"] or {}, r["marks_cost"] or {}
        rows.append(
            (
                r["case"]["name"],
                ms(d["ttft_s"]["median"]),
                ms(h["ttft_median_s"]),
                ms(c.get("prefill_kernel_s")),
                ms(d["tpot_s"]["median"]),
                ms(h["tpot_median_s"]),
                ms(c.get("decode_step_kernel_s")),
                f"{cc['ratio']:.3f}" if cc else "-",
                f"{cc['syncs_per_token']:.2f}" if cc.get("syncs_per_token") is not None else "-",
                f"{mc['ratio'] - 1:+.2%}" if mc else "-",
                f"{r['first_answer_s']:.1f}",
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    return "\n".join(
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows
    )


def cli_runs(args: argparse.Namespace) -> None:
    """`infertime generate` as users type it (a fresh process each, imports included): GPT-2
    batch 1 (the first-answer target, G8), batch 16, and static cache + compile; each result
    file and the command's wall time kept."""
    base = [sys.executable, "-m", "infertime", "generate", "hf:gpt2", "--prompt-len",
            str(args.prompt), "--new-tokens", str(args.new), "--dtype", args.dtype, "--device",
            args.device]  # fmt: skip
    if args.tiny:
        base += ["--hf-config", "n_layer=2"]
    runs = {
        "cli_gpt2_b1": ["--batch-size", "1"],
        "cli_gpt2_b16": ["--batch-size", "16"],
        "cli_gpt2_b1_compile": ["--batch-size", "1", "--cache", "static", "--backend", "compile"],
        "cli_gpt2_sweep": ["--batch-size", "1,4,16", "--no-caller"],
    }
    for name, extra in runs.items():
        path = args.out / f"{name}.result.json"
        t0 = time.perf_counter()
        proc = subprocess.run([*base, *extra, "--json", str(path), "--details"],
                              capture_output=True, text=True, env=os.environ.copy())  # fmt: skip
        wall = time.perf_counter() - t0
        (args.out / f"{name}.txt").write_text(
            f"$ {' '.join(base + extra)}\nexit {proc.returncode}, {wall:.1f} s with imports\n\n"
            + proc.stdout
            + "\n--- stderr\n"
            + proc.stderr
        )
        print(f"{name}: exit {proc.returncode}, {wall:.1f} s", file=sys.stderr, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("generate_gpu_out"))
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dtype", default="bf16")
    ap.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    ap.add_argument("--batches", nargs="+", type=int, default=[1, 16])
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--new", type=int, default=128)
    ap.add_argument("--slo", default="ttft=100ms,tpot=15ms")
    ap.add_argument("--max-batch", type=int, default=64)
    ap.add_argument("--no-slo", action="store_true")
    ap.add_argument("--quick", action="store_true", help="short policies (a smoke run)")
    ap.add_argument("--tiny", action="store_true", help="two-layer models (CPU smoke run)")
    ap.add_argument("--no-cli", action="store_true", help="skip the CLI runs (as users type)")
    ap.add_argument("--cli-only", action="store_true", help="only the CLI runs")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.tiny and args.device == "cpu" and args.dtype == "bf16":
        args.dtype = "fp32"
    if args.child:
        case = json.loads(args.child)
        out = slo_child(args) if case == "slo" else child(case, args.device, args.dtype, args.quick)
        print("RESULT " + json.dumps(out, default=str))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.no_cli:
        cli_runs(args)
        if args.cli_only:
            return
    results = []
    todo: list[Any] = cases(args) + ([] if args.no_slo else ["slo"])
    for case in todo:
        name = case if case == "slo" else case["name"]
        cmd = [
            sys.executable,
            __file__,
            "--child",
            json.dumps(case),
            "--device",
            args.device,
            "--dtype",
            args.dtype,
            "--prompt",
            str(args.prompt),
            "--new",
            str(args.new),
            "--slo",
            args.slo,
            "--max-batch",
            str(args.max_batch),
        ]
        cmd += ["--quick"] * args.quick + ["--tiny"] * args.tiny
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            res: dict[str, Any] = {"case": {"name": name}, "error": " | ".join(tail)}
        else:
            res = json.loads(line[len("RESULT ") :])
        res["process_s"] = time.perf_counter() - t0
        (args.out / f"{name}.json").write_text(json.dumps(res, indent=1, default=str))
        print(
            f"{name}: {res['process_s']:.1f} s" + (" ERROR" if "error" in res else ""),
            file=sys.stderr,
            flush=True,
        )
        results.append(res)
    cased = [r for r in results if r.get("case") != "slo" and "probes" not in r]
    (args.out / "summary.json").write_text(json.dumps(results, indent=1, default=str))
    print(table(cased))
    for r in results:
        if "probes" in r:
            print(f"SLO {r['slo']}: probes {r['probes']} -> batch {r['chosen']}: {r['message']}")


if __name__ == "__main__":
    main()
