"""The energy probe of the pipeline: an energy pass after the timed figures, on the model's own
device, written as the result's `energy` section (energy.records.EnergyRecord).

When: after the engine step (and `run`'s graph pass), before the kernel-time pass. Timing is
untouched: NVML is not read while samples are taken, and an NVML error cannot reach a timed
figure. Before CUPTI: once attached it slows every launch in the process, and energy per call
of a launch-bound model is paid for partly by the GPU idling between launches.

What it runs: the counter's update period and the idle baseline once (the GPU idle after the
timed figures: the idle power of a warm GPU, which is what a serving GPU idles at), then windows
of back-to-back calls per configuration (energy/windows.py), or interleaved across
configurations (energy/interleave.py). The NVML watch (telemetry/gpu_monitor.py, as around the
engine step) runs across the pass on a GPU, whatever `diagnose` says: its power readings are
the cross-check's (energy/crosscheck.py).

Hooks for the kinds being built elsewhere (their measure function opens the Measurement with
`energy=energy_policy(energy)` and names the shared CLI option "energy"):
- `generate`: after its timed requests, one EnergyTarget per measured shape whose call is one
  whole generation (prefill and every decode step, EOS made impossible as the kind already
  does) and `tokens_per_call` = batch x new tokens: the section then carries J/token (total
  and above idle) and the exports their columns (reporting/energy.py, TOKEN_COLUMNS).
- `sweep`: each point is a whole measurement of another kind, in a fresh process; pass the
  policy on (`options={"energy": asdict(policy)}`, as latency's `--processes` does) and keep
  each point's section. Each child then measures the update period and the idle baseline
  again (about 6 s); an EnergyProbe given the parent's measured period (a `period` argument,
  not written yet) would skip the polling, the baseline is the child's own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from ..devices.base import Device
from ..energy.crosscheck import cross_check, cross_check_joint
from ..energy.curve import energy_curve
from ..energy.estimate import Estimate
from ..energy.policy import EnergyPolicy
from ..energy.probe import EnergyProbe
from ..energy.ratio import paired_ratio
from ..energy.records import EnergyRecord, EnergySection
from ..engine.progress import CONTEXT, PLAN, ProgressSink, no_progress
from ..sections import GpuState
from ..telemetry.gpu_monitor import GpuWatch, watch_gpu

AFTER = "after the timed figures, one configuration after the other"
INTERLEAVED = (
    "after the comparison's timing, interleaved: one window of each configuration per round, "
    "the order reversed every other round (A B, B A)"
)
IN_PROCESSES = (
    "in each configuration's last fresh process, after its timed figures: one configuration "
    "after the other, not interleaved"
)


@dataclass(frozen=True)
class EnergyTarget:
    """One configuration the energy pass measures: its calls (a comparison's copies, used in
    turn; one call otherwise), its batch, new tokens per call (generate), and an estimate of
    one call's time from the timed figures (the lead-in measures one otherwise). `opener`,
    instead of `calls`, builds the call when its turn comes and frees it after (a throughput
    curve's batches, which would not fit in memory together)."""

    name: str
    calls: Sequence[Callable[[], Any]]
    items_per_call: int
    tokens_per_call: int | None = None
    call_s: float | None = None
    opener: Callable[[], AbstractContextManager[Callable[[], Any]]] | None = None

    def open(self) -> AbstractContextManager[Callable[[], Any]]:
        return self.opener() if self.opener is not None else nullcontext(self.calls[0])


def open_probe(device: Device, policy: EnergyPolicy) -> EnergyProbe:
    """The probe of `device`'s counter: NVML on a GPU (by UUID), RAPL on a CPU."""
    return nvml_probe(device, policy) if device.kind == "cuda" else EnergyProbe(device, policy)


def nvml_probe(device: Device, policy: EnergyPolicy) -> EnergyProbe:
    """NVML's counter of the GPU `device.describe()` names (its UUID, or the visible index
    mapped to the physical one). In a worker process the parent is ignored among the GPU's
    processes: it waits for this one."""
    from ..energy.nvml_counter import open_nvml_counter
    from ..execution import worker

    parent = (worker.PARENT_PID,) if worker.PARENT_PID is not None else ()
    return EnergyProbe(
        device, policy, counter=open_nvml_counter(device.describe(), ignore_pids=parent)
    )


def planned_s(probe: EnergyProbe, targets: int) -> float:
    """About how long the pass takes: calibration, then a lead-in and the fewest windows each."""
    p = probe.policy
    return p.idle_s + 1.0 + targets * (p.lead_in_s + p.min_windows * p.min_window_s)


def energy_pass(
    probe: EnergyProbe,
    targets: Sequence[EnergyTarget],
    *,
    interleaved: bool = False,
    throughput: dict[int, Estimate] | None = None,
    peak_batch: int | None = None,
    progress: ProgressSink = no_progress,
) -> EnergyRecord:
    """Energy of every target; with `throughput` (items/s by batch) the energy curve too, its
    peak the caller's `peak_batch`. Never raises for energy's sake (probe.py); an error the
    model's call raises propagates."""
    started = time.perf_counter()
    names = tuple(t.name for t in targets)
    arrangement = INTERLEAVED if interleaved and len(targets) > 1 else AFTER
    if not probe.available:  # no counter: say why, spend no time
        sections = [
            probe.measure(lambda: None, t.items_per_call, t.tokens_per_call) for t in targets
        ]
        return EnergyRecord(tuple(sections), names, arrangement, seconds=0.0)
    progress(PLAN, planned_s(probe, len(targets)), "energy")
    progress(CONTEXT, None, "energy: counter update period and idle power")
    # The NVML watch wherever the counter is NVML's: its power readings are the cross-check.
    nvml = getattr(probe.counter, "source", None) == "nvml"
    watch: GpuWatch | None = watch_gpu(probe.device) if nvml else None
    with watch if watch is not None else nullcontext():
        # The probe calibrates before its first windows (unless the counter's scope already
        # withholds the figure, MIG: then no time is spent on it).
        if arrangement == INTERLEAVED:
            progress(CONTEXT, None, f"energy: {len(targets)} configurations interleaved")
            sections = probe.measure_interleaved(
                [t.calls for t in targets],
                [t.items_per_call for t in targets],
                [t.tokens_per_call for t in targets],
                [t.call_s for t in targets],
                names,
            )
        else:
            sections = []
            for k, t in enumerate(targets):
                progress("energy", k / len(targets), t.name)
                progress(CONTEXT, None, f"energy: {t.name}")
                with t.open() as call:
                    sections.append(
                        probe.measure(call, t.items_per_call, t.tokens_per_call, t.call_s)
                    )
            progress("energy", 1.0, f"{len(targets)} measured")
    state: GpuState | None = watch.record() if watch is not None else None
    if state is not None:
        sections = checked(sections, state, probe.policy, joint=arrangement == INTERLEAVED)
    curve = None
    if throughput is not None:
        curve = energy_curve(sections, throughput, peak_batch)
    ratios: tuple[Estimate | None, ...] = ()
    if arrangement == INTERLEAVED:
        conf = probe.policy.confidence
        ratios = (None, *(paired_ratio(sections[0], s, conf) for s in sections[1:]))
    return EnergyRecord(
        sections=tuple(sections),
        names=names,
        arrangement=arrangement,
        curve=curve,
        ratios=ratios,
        gpu_state=state,
        seconds=time.perf_counter() - started,
    )


def checked(
    sections: Sequence[EnergySection], state: GpuState, policy: EnergyPolicy, joint: bool
) -> list[EnergySection]:
    """Each section cross-checked against the watch's power readings (one span for
    interleaved configurations)."""
    if joint:
        return cross_check_joint(sections, state.readings, policy)
    return [cross_check(s, state.readings, policy) for s in sections]
