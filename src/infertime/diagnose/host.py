"""Host, framework and context state that distorts figures: env vars, grad mode, TF32, threads."""

from __future__ import annotations

from typing import Any

from ..records import ContextRecord, Diagnostic, Settings
from ..sections import Analysis, MemoryGrowth

PROFILER_VARS = ("CUDA_INJECTION64_PATH", "NSYS_PROFILING_SESSION_ID", "NVTX_INJECTION64_PATH")


def check_environment(env: dict[str, Any], device_kind: str) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    env_vars = env.get("env_vars", {})
    if env_vars.get("CUDA_LAUNCH_BLOCKING", "0") not in ("", "0"):
        found.append(
            Diagnostic(
                "launch_blocking",
                "warning",
                "CUDA_LAUNCH_BLOCKING is set: every kernel launch waits for the GPU",
                "unset it; it serialises host and GPU and inflates latency",
            )
        )
    profilers = [v for v in PROFILER_VARS if v in env_vars]
    if profilers:
        found.append(
            Diagnostic(
                "profiler_attached",
                "warning",
                f"a profiler seems attached ({', '.join(profilers)} set)",
                "profilers add cost to every CUDA call; time without them",
            )
        )
    fw = env.get("framework", {})
    if device_kind == "cuda":
        found.append(
            Diagnostic(
                "numeric_flags",
                "info",
                f"TF32 for matmul {'on' if fw.get('tf32_matmul') else 'off'}, for cuDNN "
                f"{'on' if fw.get('tf32_cudnn') else 'off'}; cudnn.benchmark "
                f"{'on' if fw.get('cudnn_benchmark') else 'off'}",
                "fp32 figures change with these flags; compare runs only with the same flags",
                {k: fw.get(k) for k in ("tf32_matmul", "tf32_cudnn", "cudnn_benchmark")},
            )
        )
    host = env.get("host", {})
    # The load when infertime started (before its own threads raised it); older files only
    # have the load read at the end, which counts infertime's own work.
    load_list = host.get("load_average")
    start = host.get("load_at_start")
    load = start if start is not None else (load_list[0] if load_list else None)
    cores = host.get("affinity_cores") or host.get("logical_cores")
    threads = fw.get("threads")
    contended = False
    if device_kind == "cpu" and threads and cores and load is not None:
        free = max(1, min(cores, round(cores - load)))
        if threads > free:
            contended = True
            found.append(
                Diagnostic(
                    "cpu_contention",
                    "warning",
                    f"{threads} intra-op threads, but only {free} of {cores} cores were free "
                    f"when it started (1-minute load {load:.1f}): the threads compete with "
                    "other processes for the cores, and per-call times swing between fast and "
                    "many times slower (a tiny matmul read 12.7 µs idle and 8 ms loaded)",
                    f"use --threads {free} (or --threads auto), or measure on an idle host",
                    {"threads": threads, "free_cores": free, "load": load},
                )
            )
    if not contended and load is not None and cores and load > 0.75 * cores:
        found.append(
            Diagnostic(
                "host_busy",
                "warning",
                f"the host was busy: 1-minute load average {load:.1f} on {cores} cores",
                "other processes compete for the CPU that launches the kernels; rerun when idle"
                if device_kind == "cuda"
                else "other processes compete for the CPU the model runs on; rerun when idle",
            )
        )
    governor = host.get("frequency_governor")
    if governor and governor != "performance":
        found.append(
            Diagnostic(
                "cpu_governor",
                "info",
                f"CPU frequency governor is '{governor}', not 'performance'",
                "host-bound figures (small batches, CPU runs) vary with CPU frequency",
            )
        )
    if device_kind == "cpu" and threads and cores and threads > cores:
        found.append(
            Diagnostic(
                "threads_oversubscribed",
                "warning",
                f"{threads} torch threads on {cores} available cores",
                "use --threads at most the number of physical cores",
            )
        )
    return found


def check_context(context: ContextRecord) -> list[Diagnostic]:
    """The measurement context as read back from inside it: inference, not training."""
    found: list[Diagnostic] = []
    if context.grad_enabled:
        found.append(
            Diagnostic(
                "grad_enabled",
                "warning",
                "autograd was on during timing: the model kept activations for a backward pass",
                "time inference under torch.inference_mode(), as infertime does by default",
            )
        )
    if context.model_training:
        found.append(
            Diagnostic(
                "training_mode",
                "warning",
                "the model was in training mode (dropout and batch-norm statistics active)",
                "call model.eval() before timing",
            )
        )
    return found


def check_model_output(analysis: Analysis) -> list[Diagnostic]:
    """A model that prints while it is timed puts the print in every timing."""
    lines = analysis.model_output_lines or 0
    if not lines:
        return []
    return [
        Diagnostic(
            "model_prints",
            "warning",
            f"the model printed {lines} lines while it was measured: writing them is part of "
            "every timed call (they went to stderr, as stdout carries data)",
            "remove prints and logging from the forward pass before timing it",
            {"lines": lines},
        )
    ]


# Memory held after sampling beyond what it held before (after warm-up), above which a model
# is said to keep something from its calls: allocator caches and first-call workspaces are
# in place by then.
GROWTH_WARN_BYTES = 64 << 20


def check_memory_growth(growth: MemoryGrowth | None) -> list[Diagnostic]:
    if growth is None:
        return []
    grown, calls = growth.bytes, growth.calls
    if grown is None or not calls or grown < GROWTH_WARN_BYTES:
        return []
    per_call = grown / calls
    return [
        Diagnostic(
            "memory_growing",
            "warning",
            f"memory held grew by {grown / 2**20:.0f} MiB over {calls} timed calls "
            f"({per_call / 2**10:.0f} KiB per call, {growth.source}): the model "
            "keeps something from every call, and a long run will run out of memory",
            "look for tensors appended to a list or cache inside forward(), or outputs that "
            "keep their graph",
            {"bytes": grown, "calls": calls},
        )
    ]


def emulated_precision(device_kind: str, dtype: str, supported: bool | None) -> str | None:
    """Why a CPU run in bf16 / fp16 will be slow, or None."""
    if device_kind != "cpu" or dtype == "fp32" or supported is not False:
        return None
    return (
        f"this CPU has no {dtype} instructions (no AVX512-BF16/AMX or AVX512-FP16): torch "
        f"emulates {dtype}, and calls can take many times longer than in fp32"
    )


def check_precision_support(settings: Settings, env: dict[str, Any]) -> list[Diagnostic]:
    w = settings.workload
    supported = (env.get("framework") or {}).get(f"cpu_{w.dtype}_supported")
    why = emulated_precision(settings.device.split(":")[0], w.dtype, supported)
    if why is None:
        return []
    return [
        Diagnostic(
            "emulated_precision",
            "warning",
            why,
            "measure fp32 on this CPU, or bf16 on a CPU or GPU that has the instructions",
            {"dtype": w.dtype},
        )
    ]
