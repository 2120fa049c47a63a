"""`compare` of generate configurations live: one decode loop per configuration in this
process, each warmed up alone, then timed in interleaved rounds (a random slot order and its
reverse, ABBA for two) until every ratio to the baseline has a CI within the precision, or the
time budget. Called by comparison/api.py through the generate kind's `live_compare`.

Order: build every model -> one decode loop each -> compile priming (compiled ones; dynamo is
reset once, before the first, never between arms: their graphs are alive together) -> from
here recompiles are errors and the GC is paused: each loop's cold call and warm-up (whole
sequences) -> interleaved rounds -> every timed call checked to hold N new tokens.
"""

from __future__ import annotations

import gc
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from typing import Any

from ..comparison.configs import Config
from ..comparison.result import Ballast, CompareAnalysis, CompareResult
from ..devices.base import Device
from ..energy.policy import EnergyPolicy
from ..engine.progress import NOTICE, ProgressSink, no_progress
from ..engine.timing import gc_paused, time_block
from ..engine.warmup import warm_up
from ..errors import ConfigError, OutOfMemoryError
from ..pipeline.measurement import Measurement
from ..policies import ComparePolicy
from ..records import InputsRecord, Settings
from .api import INPUTS_SOURCE, generation_context
from .compare_arms import figure_of, generation_compare_result, stop_width
from .energy import energy_targets
from .interleave import interleave_sequences
from .lengths import check_lengths
from .options import GenerateOptions, generation_policy, generation_spec, method_of, workload_of
from .spec import GenerationSpec

NO_BALLAST = (
    "generate configurations: no untimed ballast copy (a causal LM and its KV cache are large)"
)


def specs_of(configs: Sequence[Config], device: Device) -> list[GenerationSpec]:
    """Each generate configuration's GenerationSpec on `device` (checked before building)."""
    out = []
    for c in configs:
        own = GenerateOptions(**dict(c.generate or ()))
        spec = replace(c.spec, batch_size=c.spec.batch_size or 1, device=device.name)
        try:
            out.append(generation_spec(spec, own))
        except ConfigError as exc:
            exc.message = f"{c.name}: {exc.message}"
            raise
    return out


def compare_generation(
    configs: Sequence[Config],
    device: Device,
    policy: ComparePolicy,
    *,
    preset: str = "default",
    precision: float | None = None,
    max_time_s: float | None = None,
    processes: int | None = None,
    diagnose: bool = True,
    energy: EnergyPolicy | None = None,
    per_item: bool = False,
    progress: ProgressSink = no_progress,
) -> CompareResult:
    """Generate configurations timed against each other in interleaved rounds (module doc):
    a compare result whose figure is TTFT, TPOT or the whole sequence per call (device path),
    its ratios paired by round. `energy`: each configuration's energy per sequence and per
    token after the rounds, its windows interleaved with the others'. `processes`: instead,
    each configuration in that many alternating fresh processes (compare_processes.py)."""
    figure = figure_of(policy.figure)
    policy = replace(policy, figure=figure)
    specs = specs_of(configs, device)
    threads = configs[0].spec.threads
    gen_policy = generation_policy(
        preset, precision=precision, max_time_s=max_time_s, device_kind=device.kind, caller=False
    )
    method = method_of(gen_policy, preset)
    if processes is not None:
        from .compare_processes import compare_generation_in_processes

        return compare_generation_in_processes(
            configs, specs, device, method, replace(policy, copies=1), processes,
            energy=energy, per_item=per_item, progress=progress,
        )  # fmt: skip
    with (
        Measurement(device, method, diagnose=diagnose, progress=progress, energy=energy) as m,
        generation_context(device, threads) as measuring,
    ):
        m.contexts.append(measuring)
        loops, owners, fewer = _built_loops(configs, specs, device, policy.copies, progress)
        warmups, memories = _warmed(configs, specs, loops, owners, device, gen_policy, progress)
        new_tokens = [s.new_tokens for s in specs]
        if max_time_s is None:  # the user's budget is kept as given; compare's default grows
            policy = budget_for_rounds(policy, warmups, progress)
        with m.engine(), _timed_region(specs, device):
            calls = [_arm_call(configs[i], specs[i], loop, device)
                     for loop, i in zip(loops, owners, strict=True)]  # fmt: skip
            run = interleave_sequences(
                calls,
                device,
                min_rounds=policy.min_rounds,
                max_time_s=policy.max_time_s,
                precision=policy.precision,
                seed=policy.seed,
                max_rounds=policy.max_rounds,
                width=stop_width(owners, figure, new_tokens, policy.confidence),
            )
        for arm, rounds in enumerate(run.rounds):
            c, spec = configs[owners[arm]], specs[owners[arm]]
            counts = [len(s.step_s) + 1 for calls in rounds for s in calls]
            check_lengths(counts, spec.new_tokens, f"{c.name}, device path")
        m.measure_energy(energy_targets(configs, specs, loops, owners, run), interleaved=True)
        analysis = m.analysis(
            CompareAnalysis,
            one_copy_because=fewer,
            ballast=Ballast(built=False, why_not=NO_BALLAST),
        )
        env = m.environment()
    settings = [
        Settings(
            workload=workload_of(s, measuring.record.threads),
            context=measuring.record,
            inputs=InputsRecord(((s.prompt_len,),), ("int64",), INPUTS_SOURCE),
            timer=device.timer_name,
            method=method,
        )
        for s in specs
    ]
    return generation_compare_result(
        run,
        [c.name for c in configs],
        new_tokens,
        settings,
        [warmups[owners.index(i)] for i in range(len(configs))],  # each one's first copy
        [memories[owners.index(i)] for i in range(len(configs))],
        policy,
        analysis,
        env,
        per_item=per_item,
        owners=owners,
    )


# The most a default budget grows to so that the fewest rounds fit (a --max-time given is kept).
MAX_DEFAULT_BUDGET_S = 300.0


def budget_for_rounds(
    policy: ComparePolicy, warmups: Sequence[Any], progress: ProgressSink = no_progress
) -> ComparePolicy:
    """compare's default budget, grown where `min_rounds` rounds would not fit in it: a round
    is two whole calls of every copy, and without `min_rounds` rounds no ratio has a CI (the
    answer would be "undecided" whatever the data). Estimated from each copy's settled
    warm-up calls, with 20 % to spare; at most MAX_DEFAULT_BUDGET_S."""
    round_s = sum(2 * (w.recent_call_s(3) if w.samples_s else w.cold_call_s) for w in warmups)
    needed = min(1.2 * policy.min_rounds * round_s, MAX_DEFAULT_BUDGET_S)
    if needed <= policy.max_time_s:
        return policy
    progress(
        NOTICE,
        None,
        f"a round takes about {round_s:.1f} s: the budget grows from {policy.max_time_s:g} s "
        f"to {needed:.0f} s so that {policy.min_rounds} rounds fit (--max-time sets it)",
    )
    return replace(policy, max_time_s=needed)


def _built_loops(
    configs: Sequence[Config],
    specs: Sequence[GenerationSpec],
    device: Device,
    copies: int,
    progress: ProgressSink,
) -> tuple[list[Any], list[int], str | None]:
    """`copies` models and decode loops of each configuration, built in balanced order (A B
    B A): (the loops, whose each is, why fewer copies than asked). A later copy that does not
    fit leaves one copy of each; a first one that does not fit is the error. Compiled loops
    are primed, dynamo reset once before the first, never between arms."""
    import torch

    from ..engine.interleave import build_order
    from .loop import DecodeLoop
    from .measure import model_guard, prime_compiled
    from .model import build_model

    loops: list[Any] = []
    owners: list[int] = []
    fewer = None  # one copy asked for is not "fewer" (as compare)
    with torch.inference_mode(), device.activate():
        for i in build_order(len(configs), copies):
            c, spec = configs[i], specs[i]
            progress("building", None, c.name)
            try:
                built = build_model(spec, device)
                with model_guard(spec, device, kv=built.kv, where="preparing the prompt and cache"):
                    loops.append(DecodeLoop(built, spec, device))
            except OutOfMemoryError:
                if len(loops) < len(configs):
                    raise
                del loops[len(configs) :], owners[len(configs) :]
                fewer = f"a second copy of {c.name} did not fit"
                break
            owners.append(i)
        if fewer is not None:
            gc.collect()
            device.release_memory()
        reset = True  # once, before the first compiled arm (measure.py `prime_compiled`)
        for i, loop in zip(owners, loops, strict=True):
            if specs[i].backend == "compile":
                progress("compiling", None, configs[i].name)
                with model_guard(specs[i], device, kv=loop.built.kv, where="compiling"):
                    prime_compiled(loop, specs[i], device, reset=reset)
                reset = False
    return loops, owners, fewer


def _warmed(
    configs: Sequence[Config],
    specs: Sequence[GenerationSpec],
    loops: Sequence[Any],
    owners: Sequence[int],
    device: Device,
    policy: Any,
    progress: ProgressSink,
) -> tuple[list[Any], list[Any]]:
    """Each loop's cold call and warm-up (whole sequences), alone, in the timed region's
    conditions: its WarmupRecord, and the peak memory while it ran (every model built is
    resident: the peak holds them all, plus this loop's KV cache and activations)."""
    warmups, memories = [], []
    with _timed_region(specs, device):
        for i, loop in zip(owners, loops, strict=True):
            progress("warm-up", None, configs[i].name)
            device.reset_peak_memory()
            whole = partial(loop.run, True)
            cold = time_block(whole, device, device.new_timer(), 1, sync_each=True)
            warmups.append(warm_up(whole, device, policy.warmup, cold, progress))
            memories.append(device.memory())
    return warmups, memories


def _arm_call(config: Config, spec: GenerationSpec, loop: Any, device: Device) -> Any:
    """One timed call of a configuration; a failure is one clear error naming it."""
    from ..errors import InfertimeError
    from .measure import model_guard

    def call() -> Any:
        try:
            with model_guard(spec, device, kv=loop.built.kv, where="in the interleaved rounds"):
                return loop.record(0)
        except InfertimeError as exc:
            exc.message = f"{config.name}: {exc.message}"
            raise

    return call


class _timed_region:
    """Inference mode, the device current, the GC paused, recompiles errors (compiled arms),
    and a model failure as one clear error (OOM naming the batch and KV cache)."""

    def __init__(self, specs: Sequence[GenerationSpec], device: Device) -> None:
        from contextlib import ExitStack

        self.specs, self.device, self.stack = specs, device, ExitStack()

    def __enter__(self) -> None:
        import torch

        from ..workload.backends.compiled import recompiles_are_errors

        compiled = any(s.backend == "compile" for s in self.specs)
        self.stack.enter_context(torch.inference_mode())
        self.stack.enter_context(self.device.activate())
        self.stack.enter_context(recompiles_are_errors(compiled))
        self.stack.enter_context(gc_paused(True))

    def __exit__(self, *exc: object) -> None:
        self.stack.__exit__(*exc)  # type: ignore[arg-type]
