"""The generation step: build, (compile), warm up, sample timed calls until the CIs of median
TTFT and TPOT are tight enough, then the caller's path; and the batch sweep with SLO choice.

Inputs are a GenerationSpec (what), a GenerationPolicy (how) and a device; the output is a
GenerationRun of raw records (records.py) from which figures.py derives every statistic.
The order inside one run is fixed: build -> compile priming (compile only) -> cold call ->
warm-up (whole sequences, same shapes and cache length) -> timed calls -> per-step-marks
cost (optional) -> host syncs of one loop call (GPU) -> generate() path. Nothing of the
caller's path runs before the device path is timed: generate() may compile its own forward.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import replace

from .. import stats
from ..devices import resolve_device
from ..devices.base import Device
from ..engine.progress import ProgressSink, no_progress
from ..engine.timing import gc_paused, time_block
from ..engine.warmup import warm_up
from ..errors import InfertimeError, ModelCallError, first_line
from ..records import StopRecord
from ..telemetry.host_sync import count_host_syncs
from ..workload.backends.compiled import (
    dynamo_reset_allowed,
    recompile_error,
    recompiles_are_errors,
)
from .interleave import interleave_sequences
from .lengths import check_lengths
from .loop import DecodeLoop
from .model import BuiltModel, KvLayout, build_model, out_of_memory
from .records import (
    CacheRecord,
    CompileRecord,
    GenerationRun,
    InstrumentationRecord,
    ModelRecord,
    SequenceRecord,
)
from .slo import BatchPoint, Slo, SloChoice, choose, search
from .spec import GenerationPolicy, GenerationSpec


@contextlib.contextmanager
def model_guard(
    spec: GenerationSpec, device: Device, where: str, kv: KvLayout | None = None
) -> Iterator[None]:
    """Model failures as one clear error: OOM naming the batch and KV cache, recompiles."""
    try:
        yield
    except InfertimeError:
        raise
    except Exception as exc:
        if device.is_oom(exc):
            raise out_of_memory(spec, kv, where) from None
        recompiled = recompile_error(exc, spec.model, spec.batch_size)
        if recompiled is not None:
            raise recompiled from None
        raise ModelCallError(f"{spec.model} failed {where}: {first_line(exc)}") from exc


def _model_record(built: BuiltModel) -> ModelRecord:
    kv = built.kv
    return ModelRecord(
        reference=built.reference,
        class_name=built.class_name,
        source=built.source,
        parameters=built.parameters,
        parameter_bytes=built.parameter_bytes,
        build_s=built.build_s,
        attn_implementation=built.attn_implementation,
        removed_eos_ids=built.removed_eos_ids,
        kv_bytes_per_token_config=kv.bytes_per_token if kv else None,
        kv_layout=(
            {
                "layers": kv.layers,
                "kv_heads": kv.kv_heads,
                "head_dim": kv.head_dim,
                "dtype_bytes": kv.dtype_bytes,
            }
            if kv
            else None
        ),
    )


def _dynamo_graphs() -> int | None:
    try:
        from torch._dynamo.utils import counters
    except ImportError:
        return None
    return int(counters["stats"]["unique_graphs"])


def prime_compiled(
    loop: DecodeLoop, spec: GenerationSpec, device: Device, reset: bool = True
) -> CompileRecord:
    """Compile the decode step and run two whole calls: the first compiles (timed apart), the
    second must add no graph.

    The dynamo reset rule: reset before priming whenever no other compiled loop is alive (one
    measurement, each batch of a sweep: the last batch's graphs are dead and would count
    against dynamo's cache size limit); in a comparison, once before the first compiled arm
    and never between arms, whose compiled loops are alive together (a reset would drop the
    graphs of the arms primed before, and their next call would recompile)."""
    import time

    import torch._dynamo

    if reset and dynamo_reset_allowed():  # never under a compiled call of the backends
        torch._dynamo.reset()  # type: ignore[no-untyped-call]
    mode = spec.resolved_compile_mode or "default"
    loop.compile_decode(mode, spec.compile_backend)
    t0 = time.perf_counter()
    loop.run(per_step=True)
    compile_s = time.perf_counter() - t0
    loop.run(per_step=True)
    return CompileRecord(mode, spec.compile_backend, compile_s, 2, _dynamo_graphs(), None)


def _stop_check(
    seqs: list[SequenceRecord], spec: GenerationSpec, confidence: float
) -> float | None:
    """The wider relative half-width of the median CIs of TTFT and TPOT, None if undefined."""
    n1 = spec.new_tokens - 1
    widths = [
        stats.median_ci_half_width([s.ttft_s for s in seqs], confidence),
        stats.median_ci_half_width([s.decode_s / n1 for s in seqs], confidence),
    ]
    if any(w is None for w in widths):
        return None
    return max(w for w in widths if w is not None)


def _sample(
    loop: DecodeLoop, device: Device, policy: GenerationPolicy, progress: ProgressSink
) -> tuple[list[SequenceRecord], StopRecord]:
    stop = policy.stop
    seqs: list[SequenceRecord] = []
    t0 = device.now_ns()
    passes = 0
    rel: float | None = None
    reason = "max_time"
    while True:
        seqs.append(loop.record(len(seqs)))
        n = len(seqs)
        elapsed = (device.now_ns() - t0) * 1e-9
        progress("sampling", min(elapsed / stop.max_time_s, 1.0), f"{n} calls")
        if n >= stop.min_samples:
            rel = _stop_check(seqs, loop.spec, stop.confidence)
            passes = passes + 1 if rel is not None and rel <= stop.precision else 0
            if passes >= stop.consecutive_passes:
                reason = "precision"
                break
        if n >= stop.max_samples:
            reason = "max_samples"
            break
        if elapsed >= stop.max_time_s:
            break
    elapsed = (device.now_ns() - t0) * 1e-9
    if rel is None and len(seqs) >= 2:
        rel = _stop_check(seqs, loop.spec, stop.confidence)
    ci = f"wider CI of median TTFT and TPOT ±{rel:.2%}" if rel is not None else "CI undefined"
    target = f"target ±{stop.precision:.2%}"
    if reason == "precision":
        message = (
            f"{ci} ≤ {target} at {stop.consecutive_passes} checks in a row, after "
            f"{len(seqs)} calls ({elapsed:.2f} s)"
        )
    elif reason == "max_samples":
        message = f"call cap {stop.max_samples} reached; {ci} vs {target}"
    else:
        short = (
            f" (fewer than the {stop.min_samples} asked for)"
            if len(seqs) < stop.min_samples
            else ""
        )
        message = f"time budget {stop.max_time_s:g} s reached after {len(seqs)} calls{short}; {ci}"
    return seqs, StopRecord(reason, message, stop.precision, rel, elapsed)


def measure_instrumentation(
    loop: DecodeLoop, device: Device, policy: GenerationPolicy, seed: int
) -> InstrumentationRecord:
    """The same loop with per-step marks (arm 0) and without (arm 1), interleaved; stops
    when the ratio of whole-sequence times has a CI within ±0.5 % (after the policy's
    rounds), or at its time limit."""
    calls = [lambda: loop.record(0, per_step=True), lambda: loop.record(0, per_step=False)]
    run = interleave_sequences(
        calls,
        device,
        min_rounds=policy.instrumentation_rounds,
        max_time_s=policy.instrumentation_max_time_s,
        precision=0.005,
        seed=seed,
    )
    whole = [tuple(tuple(s.whole_s for s in r) for r in arm) for arm in run.rounds]
    return InstrumentationRecord(whole[0], whole[1], run.stop)


def measure_built(
    built: BuiltModel,
    spec: GenerationSpec,
    device: Device,
    policy: GenerationPolicy,
    progress: ProgressSink = no_progress,
) -> GenerationRun:
    """Time one spec on an already built model (the sweep builds once for every batch)."""
    return time_generation(built, spec, device, policy, progress)[0]


def time_generation(
    built: BuiltModel,
    spec: GenerationSpec,
    device: Device,
    policy: GenerationPolicy,
    progress: ProgressSink = no_progress,
    *,
    reset_dynamo: bool = True,
) -> tuple[GenerationRun, DecodeLoop]:
    """`measure_built`, and the loop it timed (for a kernel-time pass after everything);
    `reset_dynamo`: whether a compiled decode step may reset dynamo first (`prime_compiled`)."""
    import torch

    with torch.inference_mode(), device.activate():
        return _measure(built, spec, device, policy, progress, reset_dynamo)


def _measure(
    built: BuiltModel,
    spec: GenerationSpec,
    device: Device,
    policy: GenerationPolicy,
    progress: ProgressSink,
    reset_dynamo: bool = True,
) -> tuple[GenerationRun, DecodeLoop]:
    compiled = spec.backend == "compile"
    with model_guard(spec, device, kv=built.kv, where="preparing the prompt and cache"):
        loop = DecodeLoop(built, spec, device)
    device.reset_peak_memory()
    compile_rec: CompileRecord | None = None
    if compiled:
        progress("compiling", None, f"decode step, mode {spec.resolved_compile_mode}")
        with model_guard(spec, device, kv=built.kv, where="compiling the decode step"):
            compile_rec = prime_compiled(loop, spec, device, reset_dynamo)
    timed_region = model_guard(spec, device, kv=built.kv, where="in the timed loop")
    with timed_region, recompiles_are_errors(compiled), gc_paused(True):
        timer = device.new_timer()
        cold = time_block(lambda: loop.run(True), device, timer, 1, sync_each=True)
        warm = warm_up(lambda: loop.run(True), device, policy.warmup, cold, progress)
        seqs, stop = _sample(loop, device, policy, progress)
        memory = device.memory()
        check_lengths([len(s.step_s) + 1 for s in seqs], spec.new_tokens, "device path")
        instr = None
        if policy.instrumentation:
            progress("per-step marks cost", None, "interleaved rounds")
            instr = measure_instrumentation(loop, device, policy, spec.seed)
        if compile_rec is not None:
            compile_rec = replace(compile_rec, graphs_after_timing=_dynamo_graphs())
    syncs = None
    if device.kind == "cuda" and policy.count_syncs:
        with model_guard(spec, device, kv=built.kv, where="counting host syncs of the loop"):
            syncs = count_host_syncs(lambda: loop.run(True), device)
    measured, held = loop.measured_cache()
    cache = CacheRecord(spec.cache, spec.cache_len, measured, held, spec.batch_size)
    caller = None
    if policy.caller:
        from .caller import run_caller

        progress("generate()", None, "the caller's path")
        with model_guard(spec, device, kv=built.kv, where="in generate()"):
            caller, _tokens = run_caller(
                built,
                spec,
                device,
                loop.prompt,
                policy,
                lambda detail: progress("generate()", None, detail),
            )
    run = GenerationRun(
        spec=spec,
        policy=policy,
        device=device.name,
        device_description=device.describe(),
        timer=loop.marks.name,
        model=_model_record(built),
        cache=cache,
        compile=compile_rec,
        cold_call_s=cold,
        warmup=warm,
        sequences=tuple(seqs),
        stop=stop,
        memory=memory,
        device_path_syncs=syncs,
        caller=caller,
        instrumentation=instr,
        tokens_checked=len(seqs) * spec.batch_size,
    )
    return run, loop


def run_generation(
    spec: GenerationSpec,
    policy: GenerationPolicy | None = None,
    *,
    device: Device | str | None = None,
    progress: ProgressSink = no_progress,
) -> GenerationRun:
    """Time text generation of one causal LM configuration (module doc), engine level (the
    public `infertime.measure_generation` runs this through the pipeline); raises ConfigError
    (exit 2) before building for a bad spec or lengths beyond the model's positions,
    ModelNotFoundError for a model that is not a causal LM, OutOfMemoryError naming the batch
    and KV cache, GenerationLengthError when generate() yields other than N tokens."""
    policy = policy or GenerationPolicy()
    dev = resolve_device(device if device is not None else spec.device)
    progress("building", None, spec.model)
    built = build_model(spec, dev)
    return measure_built(built, spec, dev, policy, progress)


def batch_point(run: GenerationRun) -> BatchPoint:
    """A timed run as a point of a batch sweep (its per-call TTFT, TPOT, end to end)."""
    n1 = run.spec.new_tokens - 1
    return BatchPoint(
        run.spec.batch_size,
        run.spec.new_tokens,
        tuple(s.ttft_s for s in run.sequences),
        tuple(s.decode_s / n1 for s in run.sequences),
        tuple(s.whole_s for s in run.sequences),
    )


def sweep_generation(
    spec: GenerationSpec,
    batches: Sequence[int] | None = None,
    *,
    slo: Slo | None = None,
    max_batch: int = 256,
    policy: GenerationPolicy | None = None,
    device: Device | str | None = None,
    progress: ProgressSink = no_progress,
) -> tuple[list[GenerationRun], list[BatchPoint], SloChoice | None]:
    """Each batch of `batches` (or, with an SLO and no list, a doubling + bisection search up
    to `max_batch`), on one built model; the caller's path is skipped (device path only).
    A batch that runs out of memory is a failed point; larger listed batches are skipped."""
    dev = resolve_device(device if device is not None else spec.device)
    progress("building", None, spec.model)
    built = build_model(spec, dev)
    return sweep_built(built, spec, batches, dev, slo=slo, max_batch=max_batch,
                       policy=policy, progress=progress)  # fmt: skip


def sweep_built(
    built: BuiltModel,
    spec: GenerationSpec,
    batches: Sequence[int] | None,
    device: Device,
    *,
    slo: Slo | None = None,
    max_batch: int = 256,
    policy: GenerationPolicy | None = None,
    progress: ProgressSink = no_progress,
) -> tuple[list[GenerationRun], list[BatchPoint], SloChoice | None]:
    """`sweep_generation` on a model already built (the kind's measure function builds it
    inside the measurement context)."""
    from ..errors import OutOfMemoryError

    policy = replace(policy or GenerationPolicy(), caller=False, instrumentation=False)
    runs: list[GenerationRun] = []

    def measure(batch: int) -> BatchPoint:
        progress("batch", None, f"batch {batch}")
        try:
            # One loop alive at a time: each batch's priming may reset dynamo (its graphs for
            # the last batch are dead, and would count against dynamo's cache size limit).
            run = measure_built(built, replace(spec, batch_size=batch), device, policy, progress)
        except OutOfMemoryError as exc:
            device.release_memory()
            return BatchPoint(batch, spec.new_tokens, failed=exc.one_line())
        runs.append(run)
        device.release_memory()
        return batch_point(run)

    if batches is None:
        if slo is None:
            raise ValueError("a sweep needs a batch list or an SLO to search with")
        points, choice = search(measure, slo, max_batch)
        return runs, points, choice
    points = []
    for b in sorted(set(batches)):
        point = measure(b)
        points.append(point)
        if point.failed is not None:
            break
    return runs, points, choose(points, slo) if slo is not None else None
