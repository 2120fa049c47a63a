"""measure_generation: `infertime generate` as a Python function, through the pipeline's
`Measurement` (wall times, NVML watch, kernel-time pass), in this process or in fresh ones."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, redirect_stdout
from dataclasses import asdict, replace
from typing import Any

from ..devices import resolve_device
from ..devices.base import Device
from ..energy.policy import EnergyPolicy, energy_policy
from ..engine.progress import ProgressSink, no_progress
from ..errors import ConfigError, option
from ..pipeline.measurement import Measurement, ProfileTarget, child_spec
from ..policies import MeasureConfig
from ..records import ContextRecord, InputsRecord, Settings
from ..specs.spec import WORKLOAD_OPTION_NAMES, WorkloadSpec
from ..workload.context import Measuring, ModelOutput, torch_threads
from .checks import check_generation
from .options import (
    DEFAULT_MODEL,
    DEFAULT_NEW_TOKENS,
    DEFAULT_PROMPT_LEN,
    GenerateOptions,
    batches_of,
    generation_policy,
    generation_spec,
    method_of,
    own_options,
    workload_of,
)
from .result import GenerateAnalysis, GenerationProcess, GenerationResult, SweepRecord
from .slo import Slo, parse_slo

INPUTS_SOURCE = (
    "random token ids, uniform over the vocabulary, seeded on the CPU; EOS made impossible "
    "(removed from the config and the generation config)"
)


@contextmanager
def generation_context(device: Device, threads: int | None) -> Iterator[Measuring]:
    """The measurement context of a generation run: threads, inference mode, the device
    current, the model's prints counted on stderr (the timed region pauses the GC itself)."""
    import gc

    import torch

    output = ModelOutput(sys.stderr)
    with ExitStack() as stack:
        stack.enter_context(torch_threads(threads))
        stack.enter_context(torch.inference_mode())
        stack.enter_context(device.activate())
        stack.enter_context(redirect_stdout(output))
        current = f"cuda:{torch.cuda.current_device()}" if device.kind == "cuda" else device.kind
        record = ContextRecord(
            threads=torch.get_num_threads(),
            interop_threads=torch.get_num_interop_threads(),
            grad_enabled=torch.is_grad_enabled(),
            inference_mode=torch.is_inference_mode_enabled(),
            model_training=False,
            current_device=current,
            gc_enabled=gc.isenabled(),
        )
        yield Measuring(record, output)


def measure_generation(
    model: str | WorkloadSpec = DEFAULT_MODEL,
    *,
    prompt_len: int = DEFAULT_PROMPT_LEN,
    new_tokens: int = DEFAULT_NEW_TOKENS,
    batch_size: int | Sequence[int] | str | None = None,
    cache: str = "dynamic",
    max_cache_len: int | None = None,
    slo: str | Slo | None = None,
    max_batch: int = 256,
    caller: bool = True,
    instrumentation: bool = False,
    diagnose: bool = True,
    processes: int = 1,
    preset: str = "default",
    precision: float | None = None,
    max_time_s: float | None = None,
    min_samples: int | None = None,
    config: MeasureConfig | None = None,
    compile_backend: str = "inductor",
    attn_implementation: str | None = None,
    energy: bool | EnergyPolicy | dict[str, Any] = False,
    progress: ProgressSink = no_progress,
    **workload: Any,
) -> GenerationResult:
    """Time text generation of a Hugging Face causal LM (random weights): TTFT, TPOT, ITL,
    end to end and tokens/s on the device path (own prefill + greedy decode loop on the KV
    cache, device marks) and the caller's path (generate() as users call it, host clock).

    `model`: "hf:gpt2", "hf:llama", "hf:./dir" or a WorkloadSpec; `workload`: hf_config,
    dtype, device, threads, seed, backend ("eager" or "compile"), compile_mode. `batch_size`:
    one batch, a list (a sweep: tokens/s per GPU against per user) or "search" (with `slo`:
    the largest batch meeting "ttft=500ms,tpot=30ms", one-sided 95 % bounds). Every timed
    sequence is checked to hold exactly `new_tokens` new tokens. `caller=False` skips
    generate(); `instrumentation=True` adds the per-step marks' cost (interleaved).
    `energy=True` adds the energy probe after the timed calls (pipeline/energy.py): joules
    per sequence and per generated token of back-to-back whole calls, total and above idle,
    CIs over windows (NVML on a GPU; on a CPU RAPL where readable, else the reason); with
    `processes`, the last process measures it. One batch only.
    """
    unknown = sorted(set(workload) - WORKLOAD_OPTION_NAMES)
    if unknown:
        raise TypeError(f"measure_generation() got an unexpected keyword argument {unknown[0]!r}")
    if isinstance(model, WorkloadSpec):
        if workload:
            raise ConfigError("give workload options in the WorkloadSpec or as keywords, not both")
        spec = model
    else:
        if "batch_size" in workload:
            raise TypeError("measure_generation() got batch_size twice")
        spec = WorkloadSpec(model=model, **workload)
    batches = batches_of(batch_size) if batch_size is not None else (spec.batch_size or 1,)
    if isinstance(batches, tuple) and len(batches) == 1:
        spec = replace(spec, batch_size=batches[0])
    own = GenerateOptions(prompt_len, new_tokens, cache, max_cache_len, compile_backend,
                          attn_implementation)  # fmt: skip
    gspec = generation_spec(replace(spec, batch_size=spec.batch_size or 1), own)
    limits = parse_slo(slo) if isinstance(slo, str) else slo
    if batches == "search" and limits is None:
        raise ConfigError(f"{option('batch_size')} search needs {option('slo')}, e.g. "
                          "--slo ttft=500ms,tpot=30ms")  # fmt: skip
    if isinstance(max_batch, bool) or not isinstance(max_batch, int) or max_batch < 1:
        raise ConfigError(f"{option('max_batch')} must be a whole number >= 1, got {max_batch!r}")
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise ConfigError(f"{option('processes')} must be a whole number >= 1, got {processes!r}")
    sweep = batches == "search" or (isinstance(batches, tuple) and len(batches) > 1)
    energy_asked = energy_policy(energy)
    if energy_asked is not None and sweep:
        raise ConfigError(f"{option('energy')} measures one batch: give one {option('batch_size')}")
    if processes > 1 and sweep:
        raise ConfigError(
            f"{option('processes')} repeats one batch; give one {option('batch_size')}"
        )
    device = resolve_device(gspec.device)
    gspec = replace(gspec, device=device.name)
    policy = generation_policy(
        preset, precision=precision, max_time_s=max_time_s, min_samples=min_samples,
        config=config, device_kind=device.kind, caller=caller and not sweep,
        instrumentation=instrumentation,
    )  # fmt: skip
    method = method_of(policy, preset if config is None else config.preset)
    if processes > 1:
        return _in_processes(gspec, spec.threads, device, method, processes, caller,
                             instrumentation, diagnose, progress, energy_asked)  # fmt: skip
    with (
        Measurement(device, method, diagnose=diagnose, progress=progress, energy=energy_asked) as m,
        generation_context(device, spec.threads) as measuring,
    ):
        m.contexts.append(measuring)
        from .measure import sweep_built, time_generation
        from .model import build_model

        progress("building", None, gspec.model)
        built = build_model(gspec, device)
        sweep_record = None
        target = None
        with m.engine():
            if sweep:
                listed = batches if isinstance(batches, tuple) else None  # None: search
                runs, points, choice = sweep_built(
                        built, gspec, listed, device, slo=limits, max_batch=max_batch,
                        policy=policy, progress=progress,
                    )  # fmt: skip
                sweep_record = SweepRecord(listed, max_batch, tuple(points), limits, choice)
            else:
                run, loop = time_generation(built, gspec, device, policy, progress)
                runs = [run]
                whole = sorted(s.whole_s for s in run.sequences)[len(run.sequences) // 2]
                target = ProfileTarget(lambda: loop.run(False), whole)
        if target is not None and energy_asked is not None:  # after the timing, before CUPTI
            from .energy import energy_target

            m.measure_energy([energy_target(gspec.model, [loop], gspec, target.latency_s)])
        if target is not None:  # last: CUPTI slows every later launch in this process
            m.kernel_pass([target])
        analysis = m.analysis(GenerateAnalysis, launch=m.launch[0] if m.launch else None)
        env = m.environment()
    threads = measuring.record.threads
    settings = Settings(
        workload=replace(
            workload_of(gspec, threads), batch_size=None if sweep else gspec.batch_size
        ),
        context=measuring.record,
        inputs=InputsRecord(((gspec.prompt_len,),), ("int64",), INPUTS_SOURCE),
        timer=device.timer_name,
        method=method,
    )
    result = GenerationResult(
        settings=settings, environment=env, runs=tuple(runs), sweep=sweep_record,
        analysis=analysis,
    )  # fmt: skip
    return result.with_diagnostics(tuple(check_generation(result)))


def _in_processes(
    gspec: Any,
    threads: int | None,
    device: Device,
    method: MeasureConfig,
    processes: int,
    caller: bool,
    instrumentation: bool,
    diagnose: bool,
    progress: ProgressSink,
    energy: EnergyPolicy | None = None,
) -> GenerationResult:
    """The whole measurement in `processes` fresh processes; the last one's runs are the
    result's, every process's per-call TTFT and TPOT kept (between-process spread); the last
    one measures the energy too, where asked."""
    from ..execution.repeat import measure_in_processes

    spec = child_spec(workload_of(gspec, threads), device, threads)
    runs = measure_in_processes(
        "generate",
        spec,
        method,
        processes,
        options={**own_options(gspec), "caller": False, "diagnose": False},
        last_options={
            "caller": caller,
            "instrumentation": instrumentation,
            "diagnose": diagnose,
            **({"energy": asdict(energy)} if energy is not None else {}),
        },
        progress=progress,
    )
    last: GenerationResult = runs[-1]
    kept = tuple(GenerationProcess.of(r) for r in runs)
    result = replace(last, processes=kept, diagnostics=())
    return result.with_diagnostics(tuple(check_generation(result)))
