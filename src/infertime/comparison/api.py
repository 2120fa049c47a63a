"""infertime.compare: configurations live (interleaved), or saved results, with ratios."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import kinds
from ..energy.policy import EnergyPolicy, energy_policy
from ..engine.progress import ProgressSink, no_progress
from ..errors import ConfigError, option
from ..policies import GENERATE_FIGURES, ComparePolicy
from ..policies import preset as preset_config
from ..records import ResultBase
from .configs import Config, config_of, distinct_names, refuse_mixed
from .files import compare_files
from .result import CompareResult

# CPU calls are tens of milliseconds and noisier: the interleaved budget is this much larger.
CPU_COMPARE_FACTOR = 2.0


def is_saved(item: Any) -> bool:
    """A saved result: a result object, a Path, or text naming a .json file or an existing file."""
    if isinstance(item, (ResultBase, Path)):
        return True
    return isinstance(item, str) and (item.endswith(".json") or Path(item).is_file())


def compare(
    *items: Any,
    device: Any = "auto",
    threads: int | None = None,
    figure: str = "latency",
    preset: str = "default",
    precision: float | None = None,
    max_time_s: float | None = None,
    seed: int = 0,
    processes: int | None = None,
    copies: int | None = None,
    fail_if_slower: float | None = None,
    allow_different: bool = False,
    trust_single_process: bool = False,
    diagnose: bool = True,
    energy: bool | EnergyPolicy = False,
    progress: ProgressSink = no_progress,
    preset_name: str | None = None,
) -> CompareResult:
    """Compare configurations; the first is the baseline. Ratios are time ratios (other /
    baseline per call) with CIs; `result.verdict(i)` says it in words.

    Live: each item is a configuration, "timm:resnet50 --dtype bf16" (a model reference and
    the flags of `infertime run` that change what is measured), a WorkloadSpec, or a dict of its
    fields. They are prepared in one process and timed in interleaved rounds until every
    ratio's CI is within ±`precision` (default 1 %) or `max_time_s` (default 20 s on a GPU, 40 s
    on a CPU) has passed; with `processes`, each instead runs in that many alternating fresh
    processes (also what happens when they do not fit in memory together). Each model is
    built `copies` times in balanced order (A B B A) and its copies' samples pooled, since a
    copy's speed can depend on when it was built, and their spread is in each ratio's CI;
    by default 4 where a copy is cheap to build (eager and CUDA-graph models), else 2; fewer
    when they do not fit.
    Offline: each item is a saved result (a path or a result object) of one kind.
    `fail_if_slower` (0.05 = 5 %): the gate; `result.gate_state` is "regression" when some
    configuration is slower than the baseline by more than that with the CI's confidence,
    "passed" when none is, "inconclusive" when the data cannot tell (a CI across the threshold,
    or offline single-process results of a host-bound figure unless `trust_single_process`).
    Configurations or results of different batch sizes are refused unless `allow_different`;
    then their times per item are compared. Live on a GPU, `diagnose` adds the CUPTI
    kernel-time pass and the NVML watch (False where later timings in this process matter:
    CUPTI slows every later launch). `preset_name` is the old name of `preset`.
    `energy` (live only) adds each configuration's energy per item of back-to-back calls
    after the timed rounds, its windows interleaved with the others' (A B, B A), and each
    one's energy ratio to the baseline paired by round (`result.analysis.energy`); in fresh
    processes, each configuration's last process measures its own, one after the other.
    """
    if preset_name is not None:
        warnings.warn("compare(preset_name=...) is now preset=...", DeprecationWarning, 2)
        preset = preset_name
    if len(items) < 2:
        raise ConfigError(
            "compare needs at least two configurations or results (the first is the baseline)"
        )
    policy = ComparePolicy(
        figure=figure,
        seed=seed,
        fail_if_slower=fail_if_slower,
        copies=copies if copies is not None else 2,
        trust_single_process=trust_single_process,
    )
    if precision is not None:
        policy = replace(policy, precision=precision)
    if max_time_s is not None:
        policy = replace(policy, max_time_s=max_time_s)
    saved = [is_saved(i) for i in items]
    energy_asked = energy_policy(energy)
    if all(saved):
        if processes is not None:
            raise ConfigError(f"{option('processes')} applies to a live comparison, not to files")
        if energy_asked is not None:
            raise ConfigError(
                f"{option('energy')} applies to a live comparison; result files keep the "
                "energy measured with them (infertime show)"
            )
        return compare_files(items, policy, allow_different)
    if any(saved):
        missing = [
            str(i)
            for i in items
            if isinstance(i, (str, Path)) and is_saved(i) and not Path(i).exists()
        ]
        if missing:
            raise ConfigError(f"no such result file: {missing[0]}")
        raise ConfigError("compare takes either configurations (live) or saved results, not both")
    if processes is not None and (
        isinstance(processes, bool) or not isinstance(processes, int) or processes < 2
    ):
        raise ConfigError(f"{option('processes')} must be an integer >= 2, got {processes!r}")
    shared = {"threads": threads}
    configs = [config_of(item, shared) for item in items]
    generate = refuse_mixed(configs, policy.figure, GENERATE_FIGURES)
    from ..devices import Device, resolve_device
    from .measure import compare_live

    names = distinct_names([c.name for c in configs])
    configs = [replace(c, name=n) for c, n in zip(configs, names, strict=True)]
    dev = device if isinstance(device, Device) else resolve_device(str(device))
    configs = [replace(c, spec=replace(c.spec, device=dev.name)) for c in configs]
    refuse_different_batches(configs, allow_different)
    if generate:
        return compare_generate(
            configs, dev, policy, copies, preset, precision, max_time_s, processes, diagnose,
            energy_asked, allow_different, progress,
        )  # fmt: skip
    if copies is None and processes is None:
        policy = replace(policy, copies=default_copies(configs))
    config = preset_config(preset)
    if max_time_s is not None:  # the user's budget bounds each warm-up too
        config = config.with_overrides(max_time_s=max_time_s)
    elif dev.kind == "cpu":
        policy = replace(policy, max_time_s=policy.max_time_s * CPU_COMPARE_FACTOR)
    return compare_live(
        configs,
        dev,
        config,
        policy,
        processes=processes,
        progress=progress,
        allow_different=allow_different,
        diagnose=diagnose,
        energy=energy_asked,
    )


# Copies of each generate configuration by default: two already give the copies' spread a
# place in the CI; more cost a model, a KV cache and a warm-up on whole sequences each.
GENERATE_COPIES = 2


def compare_generate(
    configs: list[Config],
    device: Any,
    policy: ComparePolicy,
    copies: int | None,
    preset: str,
    precision: float | None,
    max_time_s: float | None,
    processes: int | None,
    diagnose: bool,
    energy: EnergyPolicy | None,
    allow_different: bool,
    progress: ProgressSink,
) -> CompareResult:
    """Generate configurations, live: the generate kind times them (generation/compare.py,
    a layer above this one, through the kind registry). Copies: 2 of each by default (a
    decoder's copy holds its KV cache too, and each is warmed up on whole sequences); the CPU
    budget is compare's, doubled."""
    policy = replace(policy, copies=copies if copies is not None else GENERATE_COPIES)
    if max_time_s is None and device.kind == "cpu":
        policy = replace(policy, max_time_s=policy.max_time_s * CPU_COMPARE_FACTOR)
    sizes = {c.spec.batch_size or 1 for c in configs}
    live = kinds.get("generate").live_compare
    assert live is not None
    result: CompareResult = live(
        configs, device, policy, preset=preset, precision=precision, max_time_s=max_time_s,
        processes=processes, diagnose=diagnose, energy=energy,
        per_item=allow_different and len(sizes) > 1, progress=progress,
    )  # fmt: skip
    return result


# Copies beyond two narrow a ratio's CI a lot (the copies' spread gets 6 degrees of freedom
# instead of 2: docs/compare_simulation.md); they cost a build and a warm-up each.
CHEAP_BACKENDS = ("eager", "cuda-graph")


def default_copies(configs: list[Config]) -> int:
    """4 copies of each model where building one is cheap, else 2 (a compile, an export)."""
    return 4 if all(c.spec.backend in CHEAP_BACKENDS for c in configs) else 2


def refuse_different_batches(configs: list[Config], allow_different: bool) -> None:
    """Times per call at different batch sizes measure different work: refused before anything
    is built (as offline compare refuses them), unless allowed; then compared per item."""
    sizes = {c.spec.batch_size for c in configs if c.spec.batch_size is not None}
    if len(sizes) > 1 and not allow_different:
        raise ConfigError(
            f"the configurations have different batch sizes ({', '.join(map(str, sorted(sizes)))}):"
            " their times per call measure different work",
            advice="pass --allow-different to compare them per item (time per item, the "
            "inverse of throughput)",
        )
