"""Live comparisons: configurations prepared in one process and timed interleaved, or, when
they do not fit in memory together (or when asked), run in alternating fresh processes."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, replace
from typing import Any

from .. import stats
from ..devices import Device
from ..energy.policy import EnergyPolicy
from ..energy.records import EnergyRecord
from ..engine.interleave import InterleavedRun, build_order, interleave
from ..engine.progress import ProgressSink, no_progress
from ..errors import ConfigError, InfertimeError, ModelCallError, OutOfMemoryError, option
from ..execution.repeat import measure_in_processes
from ..pipeline.energy import IN_PROCESSES, EnergyTarget
from ..pipeline.measurement import Measurement, ProfileTarget, child_spec
from ..policies import ComparePolicy, MeasureConfig
from ..sections import LaunchAnalysis, WallTimes
from ..workload.backends import get_backend
from ..workload.prepare import PreparedModel, prepare
from .checks import check_compare
from .configs import Config
from .measure_common import different_batches
from .ratios import copy_ratio, interleaved_half_width
from .result import Arm, Ballast, CompareAnalysis, CompareResult, CopyAgreement


class ArmFailed(Exception):
    """A configuration's call raised: which one, and what."""

    def __init__(self, index: int, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.index = index
        self.cause = cause


class DoesNotFit(Exception):
    """The configurations do not fit in the device's memory together (`even_one_each`: not
    even with one copy of each, so fewer copies would not help)."""

    def __init__(self, message: str, even_one_each: bool = False) -> None:
        super().__init__(message)
        self.even_one_each = even_one_each


def guarded(index: int, call: Callable[[], Any]) -> Callable[[], Any]:
    """The call, with failures tagged by configuration (the engine does not know which ran)."""

    def run() -> Any:
        try:
            return call()
        except Exception as exc:
            raise ArmFailed(index, exc) from exc

    return run


def compare_live(
    configs: Sequence[Config],
    device: Device,
    config: MeasureConfig,
    policy: ComparePolicy,
    *,
    processes: int | None = None,
    progress: ProgressSink = no_progress,
    allow_different: bool = False,
    diagnose: bool = True,
    energy: EnergyPolicy | None = None,
) -> CompareResult:
    """Interleaved in this process; in `processes` alternating fresh processes per configuration
    when asked, or (5 of them) when the configurations do not fit in memory together, even with
    one copy each. `diagnose`: the NVML watch and the CUPTI kernel pass on a GPU. `energy`: an
    energy pass after the timing (see `interleaved`)."""
    for c in configs:
        get_backend(c.spec.backend).check(device)  # e.g. onnxruntime: the CPU only
    if processes is not None:
        one = replace(policy, copies=1)  # each process builds one model
        return compare_in_processes(configs, device, config, one, processes, progress, None, energy)
    why: str | None = None
    # Most protection first: two copies with a ballast, then without it, then one copy each.
    # Each attempt that does not fit (building, or running out of memory while timing) gives
    # way to the next; only the last accepts fewer copies than it asked for.
    fewer = {policy.copies, min(policy.copies, 2), 1}
    attempts = [(c, b) for c in sorted(fewer, reverse=True) for b in (True, False)]
    for k, (copies, ballast) in enumerate(attempts):
        try:
            return interleaved(
                configs,
                device,
                config,
                replace(policy, copies=copies),
                progress,
                why if copies < policy.copies else None,
                ballast=ballast,
                ballast_why_not=None if ballast else why,
                accept_fewer=k == len(attempts) - 1,
                allow_different=allow_different,
                diagnose=diagnose,
                energy=energy,
            )
        except DoesNotFit as exc:
            why, hopeless = str(exc), exc.even_one_each
        # Outside the except block: its traceback no longer holds the models' frames.
        gc.collect()
        device.release_memory()
        if hopeless:
            break
    if device.kind == "cpu":
        # Host memory is not the GPU's: processes one after another would not give a model more
        # of it, and a fallback nobody asked for hides a model that fails on its own.
        raise OutOfMemoryError(
            f"out of memory: {why}",
            advice=f"lower {option('batch_size')}, or compare fewer configurations",
        )
    return compare_in_processes(
        configs, device, config, replace(policy, copies=1), 5, progress, why, energy
    )


def prepare_copies(
    configs: Sequence[Config], device: Device, copies: int
) -> tuple[list[PreparedModel], list[int], str | None]:
    """Every configuration's model, `copies` times in balanced order: (the prepared models,
    whose each is, why fewer copies were built). Later copies that do not fit are left out."""
    prepared: list[PreparedModel] = []
    owners: list[int] = []
    for i in build_order(len(configs), copies):
        c = configs[i]
        try:
            prepared.append(prepare(c.spec, device))
        except OutOfMemoryError as exc:
            if not prepared:
                raise
            if len(prepared) >= len(configs):  # one copy of each is there: go on with those
                del prepared[len(configs) :], owners[len(configs) :]
                return prepared, owners, f"a second copy of {c.name} did not fit"
            raise DoesNotFit(
                f"{c.name} did not fit next to the others: {exc.one_line()}", even_one_each=True
            ) from None
        owners.append(i)
    return prepared, owners, None


def prepare_with_ballast(
    configs: Sequence[Config], device: Device, copies: int, ballast: bool, accept_fewer: bool
) -> tuple[PreparedModel | None, list[PreparedModel], list[int], str | None]:
    """With `ballast`, a copy of the baseline built first and kept but never timed; then the
    timed copies (`prepare_copies`): (the ballast, prepared, owners, why fewer copies).

    On the H100 the model built first in a process ran 1.2-1.7 % slower at batch 1 even when
    an earlier copy had been built and dropped (docs/statistics.md): the first build takes a
    place in the process that slows it, so no timed copy should be first. Without
    `accept_fewer`, fewer copies than asked raise DoesNotFit (the next attempt decides), and
    with a ballast nothing that does not fit is hopeless: it may fit without the ballast."""
    kept = prepare(configs[0].spec, device) if ballast else None  # OOM: the baseline alone
    try:
        prepared, owners, fewer = prepare_copies(configs, device, copies)
    except OutOfMemoryError as exc:
        if kept is None:
            raise
        raise DoesNotFit(f"{configs[0].name} did not fit next to a ballast copy: "
                         f"{exc.one_line()}") from None  # fmt: skip
    except DoesNotFit as exc:
        if kept is None:
            raise
        raise DoesNotFit(str(exc)) from None
    if fewer is not None and not accept_fewer:
        raise DoesNotFit(fewer)
    return kept, prepared, owners, fewer


def interleaved(
    configs: Sequence[Config],
    device: Device,
    config: MeasureConfig,
    policy: ComparePolicy,
    progress: ProgressSink,
    fewer_because: str | None = None,
    *,
    ballast: bool = True,
    ballast_why_not: str | None = None,
    accept_fewer: bool = True,
    allow_different: bool = False,
    diagnose: bool = True,
    energy: EnergyPolicy | None = None,
) -> CompareResult:
    """Interleaved in this process; `fewer_because`: why this attempt has fewer copies than
    asked (an attempt with more did not fit). With `energy`, after the timed rounds: each
    configuration's energy per item of back-to-back calls, its windows interleaved with the
    others' (its copies in turn), so that a GPU warming up weighs on all alike. `diagnose`: the
    NVML watch and the CUPTI kernel pass on a GPU."""
    with Measurement(device, config, diagnose=diagnose, progress=progress, energy=energy) as m:
        kept, prepared, owners, fewer = prepare_with_ballast(
            configs, device, policy.copies, ballast, accept_fewer
        )
        fewer = fewer or fewer_because
        batches = {p.spec.batch_size for p in prepared}
        if len(batches) > 1 and not allow_different:  # a model's own batch, now known
            raise ConfigError(
                f"the configurations run at different batch sizes "
                f"({', '.join(str(b) for b in sorted(b or 0 for b in batches))}): their times "
                "per call measure different work",
                advice="pass --allow-different to compare them per item",
            )
        policy = replace(policy, copies=len(owners) // len(configs))
        of_call = [configs[i] for i in owners]
        measuring = [m.enter(p) for p in prepared]
        with explaining(prepared, of_call, device):
            built = [m.build(p, batch_of(p)) for p in prepared]
            calls = [guarded(j, call) for j, call in enumerate(built)]
            with m.engine():
                run = interleave(
                    calls,
                    device,
                    policy,
                    config.warmup,
                    config.timing,
                    lambda b, o, i, c: interleaved_half_width(b, o, i, c, policy.confidence),
                    progress,
                    owners,
                    copy_labels(configs, owners),
                )
            # Outside the timed region: a model whose output is (or turned) NaN.
            for c, call in zip(of_call, calls, strict=True):
                m.check_finite(call(), f"{c.name}, after the comparison,")
            m.measure_energy(
                energy_targets(configs, prepared, calls, owners, run), interleaved=True
            )
            # Last: CUPTI slows every later launch in this process.
            m.kernel_pass(profile_targets(configs, calls, owners, run))
        env = m.environment()
        first = [owners.index(i) for i in range(len(configs))]  # each one's first copy
        launch = tuple(m.launch) if m.launch else None
        arms = tuple(
            Arm(
                name=c.name,
                settings=prepared[j].settings(measuring[j].record, config),
                groups=run.samples[i],
                calls_per_sample=run.starts[j].calls_per_sample,
                warmup=run.starts[j].warmup,
                memory=run.starts[j].memory,
                verdict=verdict_of(launch, i),
            )
            for i, (c, j) in enumerate(zip(configs, first, strict=True))
        )
        builds = tuple(m.builds)
        analysis = m.analysis(
            CompareAnalysis,
            launch=launch,
            # a compile or an export per call, aligned with `owners`
            backend_builds=builds if any(b is not None for b in builds) else (),
            copies=tuple(copy_agreement(configs, run, policy.confidence)),
            owners=tuple(run.owners) if run.copy_samples else (),
            one_copy_because=fewer,
            ballast=(
                Ballast(built=True, of=configs[0].name)
                if kept is not None
                else Ballast(built=False, why_not=ballast_why_not or "not asked for")
            ),
        )
        del kept  # held until now: built first, it kept every timed copy from being first
    result = CompareResult(
        settings=arms[0].settings,
        environment=env,
        mode="interleaved",
        figure=policy.figure,
        arms=arms,
        policy=policy,
        stop=run.stop,
        orders=run.orders,
        timer_overhead_s=run.timer_overhead_s,
        per_item=different_batches(arms),
        analysis=analysis,
    )
    return result.with_diagnostics(tuple(check_compare(result)))


def copy_agreement(
    configs: Sequence[Config], run: InterleavedRun, confidence: float
) -> list[CopyAgreement]:
    """For each configuration: its later copies' time against its first copy's (paired by
    round where both ran in every round). Copies of one model run the same code, so a ratio
    away from 1 is what the process does to a copy (when it was built, where its memory
    lies): their spread is a random effect in every ratio's CI (comparison/ratios.py)."""
    out: list[CopyAgreement] = []
    if not run.copy_samples:
        return out
    for i, c in enumerate(configs):
        mine = [j for j, o in enumerate(run.owners) if o == i]
        first = run.copy_samples[mine[0]]
        for k, j in enumerate(mine[1:], start=2):
            r = copy_ratio(first, run.copy_samples[j], confidence)
            out.append(CopyAgreement(c.name, k, r.value, r.ci, confidence))
    return out


def copy_labels(configs: Sequence[Config], owners: Sequence[int]) -> list[str]:
    """Each call's name on the progress line: its configuration's letter and name, its copy."""
    seen: dict[int, int] = {}
    out = []
    for i in owners:
        seen[i] = seen.get(i, 0) + 1
        name = configs[i].name if len(configs[i].name) <= 30 else configs[i].name[:29] + "…"
        out.append(f"{chr(65 + i) if i < 26 else i + 1} {name}, copy {seen[i]}")
    return out


def verdict_of(launch: tuple[LaunchAnalysis | None, ...] | None, i: int) -> str | None:
    found = launch[i] if launch else None
    return found.verdict if found is not None else None


def profile_targets(
    configs: Sequence[Config],
    calls: Sequence[Callable[[], Any]],
    owners: Sequence[int],
    run: InterleavedRun,
) -> list[ProfileTarget | None]:
    """Each configuration's first copy for the kernel-time pass (latency figure only; None for
    CUDA-graph replay, which launches once); why a host-paced ratio is what it is
    (comparison/checks.py, check_host_paced)."""
    if run.figure != "latency":
        return []
    targets: list[ProfileTarget | None] = []
    for i, c in enumerate(configs):
        if c.cuda_graph:
            targets.append(None)
            continue
        latency_s = stats.median([x for r in run.samples[i] for x in r])
        targets.append(
            ProfileTarget(calls[owners.index(i)], latency_s, name=c.name, count_syncs=False)
        )
    return targets


def energy_targets(
    configs: Sequence[Config],
    prepared: Sequence[PreparedModel],
    calls: Sequence[Callable[[], Any]],
    owners: Sequence[int],
    run: InterleavedRun,
) -> list[EnergyTarget]:
    """Each configuration with its copies' calls, its batch, and its median time per call
    from the rounds (an estimate the lead-in refines)."""
    targets = []
    for i, c in enumerate(configs):
        mine = [j for j, o in enumerate(owners) if o == i]
        per_call = stats.median([x for r in run.samples[i] for x in r])
        targets.append(
            EnergyTarget(
                c.name, [calls[j] for j in mine], batch_of(prepared[mine[0]]), None, per_call
            )
        )
    return targets


def batch_of(p: PreparedModel) -> int:
    assert p.spec.batch_size is not None  # prepared for a fixed batch
    return p.spec.batch_size


@contextmanager
def explaining(
    prepared: Sequence[PreparedModel], configs: Sequence[Config], device: Device
) -> Iterator[None]:
    """A configuration that fails becomes one clear error naming it; running out of memory
    with several models loaded means they do not fit together."""
    try:
        yield
    except ArmFailed as failed:
        p, c = prepared[failed.index], configs[failed.index]
        if device.is_oom(failed.cause) and len(prepared) > 1:
            raise DoesNotFit(f"{c.name} ran out of memory next to the others") from None
        error = p.explain_failure(failed.cause, batch_of(p))
        if isinstance(error, InfertimeError):  # name the configuration, keep class and advice
            error.message = f"{c.name}: {error.message}"
        raise error from failed.cause
    except InfertimeError:
        raise
    except SystemExit as exc:
        raise ModelCallError(
            f"a model called sys.exit({exc.code!r}) during the comparison"
        ) from None
    except Exception as exc:
        if device.is_oom(exc) and len(prepared) > 1:
            raise DoesNotFit(f"the configurations ran out of memory together: {exc}") from None
        raise


def compare_in_processes(
    configs: Sequence[Config],
    device: Device,
    config: MeasureConfig,
    policy: ComparePolicy,
    processes: int,
    progress: ProgressSink,
    why: str | None,
    energy: EnergyPolicy | None = None,
) -> CompareResult:
    """Each configuration measured `processes` times in fresh processes, alternating: the
    order of the configurations is reversed every other pass (ABBA...), so a slow spell of the
    host falls on both sides alike. With `energy`, each configuration's last process measures
    its energy after its timed figures (one configuration after the other)."""
    t_start = time.perf_counter()
    runs: list[list[Any]] = [[] for _ in configs]
    for p in range(processes):
        order = range(len(configs)) if p % 2 == 0 else reversed(range(len(configs)))
        for i in order:
            c = configs[i]
            last = p == processes - 1 and energy is not None
            (measured,) = measure_in_processes(
                "latency",
                child_spec(c.spec, device, c.spec.threads),
                config,
                1,
                options={
                    "diagnose": False,
                    **({"energy": asdict(energy)} if last and energy else {}),
                },
                progress=lambda phase, fraction, text, p=p: progress(
                    "fresh processes", (p + (fraction or 0)) / processes, f"pass {p + 1}: {text}"
                ),
            )
            runs[i].append(measured)
    arms = tuple(
        Arm(
            name=c.name,
            settings=rs[0].settings,
            groups=tuple(r.figures[policy.figure].samples_s for r in rs),
            calls_per_sample=rs[0].figures[policy.figure].calls_per_sample,
            warmup=rs[0].warmup,
            memory=rs[0].memory,
        )
        for c, rs in zip(configs, runs, strict=True)
    )
    return processes_result(
        configs, arms, runs, policy, t_start,
        why=why, energy=energy, per_item=different_batches(arms),
    )  # fmt: skip


def processes_result(
    configs: Sequence[Config],
    arms: tuple[Arm, ...],
    runs: Sequence[Sequence[Any]],
    policy: ComparePolicy,
    t_start: float,
    *,
    why: str | None,
    energy: EnergyPolicy | None,
    per_item: bool,
) -> CompareResult:
    """The "processes" comparison of `arms` (one group per fresh process), its analysis (wall
    time since `t_start`, lines the models printed, each one's energy) and its findings: of
    any kind measured in alternating fresh processes (latency here, generate's too)."""
    analysis = CompareAnalysis(
        wall_s=WallTimes(total_s=time.perf_counter() - t_start),
        fresh_processes_because=why,
        model_output_lines=sum(r.analysis.printed for rs in runs for r in rs),
        energy=energy_of_processes(configs, runs) if energy is not None else None,
    )
    result = CompareResult(
        settings=arms[0].settings,
        environment=runs[0][0].environment,
        mode="processes",
        figure=policy.figure,
        arms=arms,
        policy=policy,
        per_item=per_item,
        analysis=analysis,
    )
    return result.with_diagnostics(tuple(check_compare(result)))


def energy_of_processes(configs: Sequence[Config], runs: Sequence[Sequence[Any]]) -> EnergyRecord:
    """Each configuration's energy section, from its last fresh process."""
    records = [rs[-1].analysis.energy for rs in runs]
    sections = tuple(r.sections[0] for r in records if r is not None and r.sections)
    if len(sections) != len(configs):
        raise ModelCallError("a fresh process answered without its energy section")
    return EnergyRecord(
        sections=sections,
        names=tuple(c.name for c in configs),
        arrangement=IN_PROCESSES,
        seconds=sum(r.seconds for r in records if r is not None),
    )
