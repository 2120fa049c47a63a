"""The energy probe: open the device's counter, measure its update period and the idle
baseline once (after the model is built, the device idle), then windows per configuration.

Nothing here raises for energy's sake: a missing counter, MIG, a stuck counter or an NVML error
mid-run become a section that says 'not measured' or 'withheld' with the reason, and the
caller's timing stands. Only an error raised by the model's call propagates.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from ..devices.base import Device
from . import findings as found
from .calibrate import CounterStuckError, Sleep, measure_idle, measure_update_period
from .counter import CounterReadError, CounterUnavailable, EnergyCounter
from .figures import finish, section_of
from .interleave import run_interleaved
from .policy import EnergyPolicy
from .records import EnergyMethod, EnergySection, Finding, IdleBaseline, UpdatePeriod
from .windows import run_windows

# Idle power moving more than this between the first and last sub-windows is worth a note
# (a GPU cooling after work); 5 %, the tolerance for the cross-check, as a scale.
IDLE_STEADY_REL = 0.05
# An update period whose slowest interval is this many times its median is irregular.
IRREGULAR_PERIOD = 2.0


def open_counter(device: Device) -> EnergyCounter | CounterUnavailable:
    """NVML's counter for a CUDA device (by its UUID), RAPL for the CPU, none otherwise."""
    if device.kind == "cuda":
        from .nvml_counter import open_nvml_counter

        return open_nvml_counter(device.describe())
    if device.kind == "cpu":
        from .rapl import open_rapl_counter

        return open_rapl_counter()
    return CounterUnavailable("none", f"energy not measured: a {device.kind} device has no counter")


def merge_scope(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per code; other processes seen before and after the windows, together."""
    by_code: dict[str, Finding] = {}
    for f in findings:
        prev = by_code.get(f.code)
        if prev is not None and f.code == "energy_other_processes":
            procs = {p["pid"]: p for p in [*prev.data["processes"], *f.data["processes"]]}
            f = found.other_processes(list(procs.values()))
        by_code[f.code] = f
    return list(by_code.values())


class EnergyProbe:
    """Energy for one device: `prepare()` once, `measure()` per configuration (batch size)."""

    def __init__(
        self,
        device: Device,
        policy: EnergyPolicy | None = None,
        *,
        counter: EnergyCounter | CounterUnavailable | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.device = device
        self.policy = policy or EnergyPolicy()
        self.counter = counter if counter is not None else open_counter(device)
        self.sleep = sleep
        self.period: UpdatePeriod | None = None
        self.idle: IdleBaseline | None = None
        self.prepared = False
        self.notes: list[Finding] = []  # from calibration: they apply to every configuration

    @property
    def available(self) -> bool:
        return not isinstance(self.counter, CounterUnavailable)

    def prepare(self) -> None:
        """The update period, then the idle baseline; call with the model built and nothing
        running on the device. Done once; later configurations reuse both."""
        if self.prepared or isinstance(self.counter, CounterUnavailable):
            return
        self.prepared = True
        phase = "the update period"
        try:
            self.period = measure_update_period(self.counter, self.device, self.sleep, self.policy)
            if self.period.max_s > IRREGULAR_PERIOD * self.period.median_s:
                self.notes.append(found.period_irregular(self.period.median_s, self.period.max_s))
            phase = "the idle baseline"
            self.idle = measure_idle(
                self.counter, self.device, self.sleep, self.period, self.policy
            )
        except CounterStuckError as exc:
            self.notes.append(found.counter_stuck(str(exc)))
            return
        except CounterReadError as exc:
            self.notes.append(found.counter_error(str(exc), phase))
            return
        powers = [e / s for e, s in zip(self.idle.energies_j, self.idle.durations_s, strict=True)]
        first, last = sum(powers[:2]) / 2, sum(powers[-2:]) / 2
        if abs(last / first - 1) > IDLE_STEADY_REL:
            self.notes.append(found.idle_unsteady(last / first - 1))

    def prior_findings(self) -> list[Finding]:
        """What is known before the windows: the counter's scope (MIG withholds before any
        time is spent on calibration), then calibration's own findings."""
        assert not isinstance(self.counter, CounterUnavailable)
        scope = list(self.counter.scope_findings())
        if any(f.effect == "withhold" for f in scope):
            return [*self.notes, *scope]
        self.prepare()
        return [*self.notes, *scope]

    def method(self) -> EnergyMethod:
        if isinstance(self.counter, CounterUnavailable):
            return EnergyMethod(
                self.counter.source,
                "none",
                "",
                None,
                None,
                self.policy.min_window_s,
                self.policy.window_rule(),
                self.policy.confidence,
            )
        period_s = self.period.median_s if self.period is not None else 0.0
        return EnergyMethod(
            source=self.counter.source,
            counter=self.counter.description,
            scope=self.counter.scope,
            update_period=self.period,
            idle=self.idle,
            min_window_s=self.policy.window_s(period_s),
            window_rule=self.policy.window_rule(),
            confidence=self.policy.confidence,
        )

    def measure(
        self,
        call: Callable[[], Any],
        items_per_call: int,
        tokens_per_call: int | None = None,
        call_s: float | None = None,
    ) -> EnergySection:
        """Energy of `call` run back to back; `items_per_call` is the batch size,
        `tokens_per_call` the new tokens per call (generate), `call_s` an estimate of one
        call's time (measured in the lead-in when None)."""
        if isinstance(self.counter, CounterUnavailable):
            notes = [found.no_counter(self.counter.reason)]
            return finish(self.method(), items_per_call, tokens_per_call, (), None, notes)
        prior = self.prior_findings()
        if any(f.effect == "withhold" for f in prior) or self.period is None:
            return finish(self.method(), items_per_call, tokens_per_call, (), None, prior)
        window_s = self.policy.window_s(self.period.median_s)
        run = run_windows(call, self.device, self.counter, window_s, self.policy, call_s)
        scope = merge_scope([*prior, *self.counter.scope_findings()])
        return section_of(run, self.method(), items_per_call, tokens_per_call, self.policy, scope)

    def measure_interleaved(
        self,
        arms: Sequence[Sequence[Callable[[], Any]]],
        items_per_call: Sequence[int],
        tokens_per_call: Sequence[int | None] | None = None,
        call_s: Sequence[float | None] | None = None,
        names: Sequence[str] | None = None,
    ) -> list[EnergySection]:
        """Energy of several configurations, their windows interleaved (interleave.py):
        `arms[i]` holds configuration i's calls (its copies), `items_per_call[i]` its batch."""
        n = len(arms)
        tokens = list(tokens_per_call) if tokens_per_call is not None else [None] * n
        if isinstance(self.counter, CounterUnavailable):
            notes = [found.no_counter(self.counter.reason)]
            return [
                finish(self.method(), items_per_call[i], tokens[i], (), None, notes)
                for i in range(n)
            ]
        prior = self.prior_findings()
        if any(f.effect == "withhold" for f in prior) or self.period is None:
            return [
                finish(self.method(), items_per_call[i], tokens[i], (), None, prior)
                for i in range(n)
            ]
        window_s = self.policy.window_s(self.period.median_s)
        runs = run_interleaved(
            arms, self.device, self.counter, window_s, self.policy, call_s, names
        )
        scope = merge_scope([*prior, *self.counter.scope_findings()])
        return [
            section_of(run, self.method(), items_per_call[i], tokens[i], self.policy, scope)
            for i, run in enumerate(runs)
        ]
