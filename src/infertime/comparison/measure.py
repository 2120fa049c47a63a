"""Live comparisons: configurations prepared in one process and timed interleaved, or, when
they do not fit in memory together (or when asked), run in alternating fresh processes."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from typing import Any

from ..devices import Device
from ..engine.interleave import InterleavedRun, build_order, interleave, per_round
from ..engine.progress import ProgressSink, no_progress
from ..errors import InfertimeError, ModelCallError, OutOfMemoryError
from ..isolation.repeat import measure_in_processes
from ..latency.result import LatencyResult
from ..policies import ComparePolicy, MeasureConfig
from ..telemetry.environment import capture
from ..telemetry.kernel_time import cupti_attached
from ..workload.backends import get_backend, opened, setup_of
from ..workload.backends.cuda_graph import CUDA_GRAPH
from ..workload.context import measurement_context
from ..workload.prepare import PreparedModel, check_finite, prepare
from .checks import check_compare
from .configs import Config
from .launch import kernel_pass
from .ratios import paired_half_width, paired_ratio
from .result import Arm, CompareResult


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
) -> CompareResult:
    """Interleaved in this process; in `processes` alternating fresh processes per configuration
    when asked, or (5 of them) when the configurations do not fit in memory together, even with
    one copy each."""
    for c in configs:
        backend(c).check(device)  # e.g. onnxruntime: the CPU only; --cuda-graph: a GPU
    if processes is not None:
        one = replace(policy, copies=1)  # each process builds one model
        return compare_in_processes(configs, device, config, one, processes, progress, None)
    why: str | None = None
    # Most protection first: two copies with a ballast, then without it, then one copy each.
    # Each attempt that does not fit (building, or running out of memory while timing) gives
    # way to the next; only the last accepts fewer copies than it asked for.
    attempts = [(c, b) for c in sorted({policy.copies, 1}, reverse=True) for b in (True, False)]
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
            )
        except DoesNotFit as exc:
            why, hopeless = str(exc), exc.even_one_each
        # Outside the except block: its traceback no longer holds the models' frames.
        gc.collect()
        device.release_memory()
        if hopeless:
            break
    return compare_in_processes(
        configs, device, config, replace(policy, copies=1), 5, progress, why
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
) -> CompareResult:
    """Interleaved in this process; `fewer_because`: why this attempt has fewer copies than
    asked (an attempt with more did not fit)."""
    t_start = time.perf_counter()
    cupti_before = cupti_attached()
    kept, prepared, owners, fewer = prepare_with_ballast(
        configs, device, policy.copies, ballast, accept_fewer
    )
    fewer = fewer or fewer_because
    policy = replace(policy, copies=len(owners) // len(configs))
    of_call = [configs[i] for i in owners]
    with ExitStack() as stack:
        measuring = [
            stack.enter_context(measurement_context(p, pause_gc=config.timing.disable_gc))
            for p in prepared
        ]
        with explaining(prepared, of_call, device):
            built = [
                stack.enter_context(opened(backend(c), p, batch_of(p)))
                for c, p in zip(of_call, prepared, strict=True)
            ]
            calls = [guarded(j, call) for j, call in enumerate(built)]
            t0 = time.perf_counter()
            run = interleave(
                calls,
                device,
                policy,
                config.warmup,
                config.timing,
                lambda b, o: paired_half_width(b, o, policy.confidence),
                progress,
                owners,
            )
            engine_s = time.perf_counter() - t0
            # Outside the timed region: a model whose output is (or turned) NaN.
            for c, call in zip(of_call, calls, strict=True):
                check_finite(call(), f"{c.name}, after the comparison,")
            t1 = time.perf_counter()
            launch = kernel_pass(configs, calls, owners, run, device)  # last: CUPTI slows launches
            kernel_pass_s = time.perf_counter() - t1
        env = capture(device)
        first = [owners.index(i) for i in range(len(configs))]  # each one's first copy
        arms = tuple(
            Arm(
                name=c.name,
                settings=prepared[j].settings(measuring[j].record, config),
                groups=run.samples[i],
                calls_per_sample=run.starts[j].calls_per_sample,
                warmup=run.starts[j].warmup,
                memory=run.starts[j].memory,
                verdict=(launch[i] or {}).get("verdict") if launch else None,
            )
            for i, (c, j) in enumerate(zip(configs, first, strict=True))
        )
    analysis: dict[str, Any] = {
        "wall_s": {"engine_s": engine_s, "total_s": time.perf_counter() - t_start},
        "model_output_lines": sum(m.output.lines for m in measuring),
    }
    if launch is not None:
        analysis["launch"] = launch
        analysis["wall_s"]["kernel_pass_s"] = kernel_pass_s
    builds = [setup_of(call) for call in built]
    if any(b is not None for b in builds):  # a compile or an export per call, owners aligned
        analysis["backend_builds"] = builds
    if run.copy_samples:
        analysis["copies"] = copy_agreement(configs, run, policy.confidence)
        # `orders` lists calls: this says whose each call is (copies share a configuration)
        analysis["owners"] = list(run.owners)
    if fewer is not None:
        analysis["one_copy_because"] = fewer
    analysis["ballast"] = (
        {"built": True, "of": configs[0].name}
        if kept is not None
        else {"built": False, "why_not": ballast_why_not or "not asked for"}
    )
    del kept  # held until now: built first, it kept every timed copy from being first
    if cupti_before:  # an earlier kernel pass in this process: every launch costs more
        analysis["cupti_attached_before"] = True
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
        analysis=analysis,
    )
    return result.with_diagnostics(tuple(check_compare(result)))


def copy_agreement(
    configs: Sequence[Config], run: InterleavedRun, confidence: float
) -> list[dict[str, Any]]:
    """For each configuration: its later copies' time against its first copy's, paired by
    round. Copies of one model run the same code, so a ratio away from 1 is what the process
    does to a copy (when it was built, where its memory lies), a floor under any comparison."""
    out = []
    for i, c in enumerate(configs):
        mine = [j for j, o in enumerate(run.owners) if o == i]
        first = per_round(run.copy_samples[mine[0]])
        for k, j in enumerate(mine[1:], start=2):
            r = paired_ratio(first, per_round(run.copy_samples[j]), confidence)
            out.append(
                {
                    "name": c.name,
                    "copy": k,
                    "time_ratio_to_first": r.value,
                    "ci": list(r.ci) if r.ci else None,
                    "confidence": confidence,
                }
            )
    return out


def backend(c: Config) -> Any:
    return CUDA_GRAPH if c.cuda_graph else get_backend(c.spec.backend)


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
) -> CompareResult:
    """Each configuration measured `processes` times in fresh processes, alternating: the
    order of the configurations is reversed every other pass (ABBA...), so a slow spell of the
    host falls on both sides alike."""
    t_start = time.perf_counter()
    runs: list[list[LatencyResult]] = [[] for _ in configs]
    for p in range(processes):
        order = range(len(configs)) if p % 2 == 0 else reversed(range(len(configs)))
        for i in order:
            c = configs[i]
            (measured,) = measure_in_processes(
                replace(c.spec, device=device.name),
                config,
                1,
                cuda_graph=c.cuda_graph,
                diagnose=False,
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
    analysis: dict[str, Any] = {"wall_s": {"total_s": time.perf_counter() - t_start}}
    if why is not None:
        analysis["fresh_processes_because"] = why
    result = CompareResult(
        settings=arms[0].settings,
        environment=runs[0][0].environment,
        mode="processes",
        figure=policy.figure,
        arms=arms,
        policy=policy,
        analysis=analysis,
    )
    return result.with_diagnostics(tuple(check_compare(result)))
