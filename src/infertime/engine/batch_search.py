"""Max-fit batch search: doubling then bisection, safe against out-of-memory, confirmed sustained.

Devices that signal OOM (GPUs) are searched by doubling until a probe fails, then bisection.
Devices that do not (CPUs, where Linux overcommits and the OOM killer ends the process) are
bounded by a memory estimate from the measured growth per item, and by the time per call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..devices.base import Device
from ..errors import CallFailed, OutOfMemoryError, first_line
from .progress import ProgressSink, no_progress
from .timing import time_block


@dataclass(frozen=True)
class ProbeOutcome:
    """One attempt to run a batch size: did it fit, how long it took, how much memory it used."""

    batch: int
    fit: bool
    phase: str  # "double", "bisect", "estimate" or "confirm"
    calls: int
    seconds: float
    call_s: float | None  # device time per call when it ran
    peak_allocated_bytes: int | None
    peak_reserved_bytes: int | None
    error: str | None = None


# (batch, calls, phase) -> outcome. In-process or in a fresh subprocess (--isolate).
Prober = Callable[[int, int, str], ProbeOutcome]


@dataclass(frozen=True)
class SearchLimits:
    start_batch: int = 1
    max_batch: int | None = None
    # A fit test needs one call (its peak memory is reached within it); the max-fit candidate
    # then gets a sustained run of several back-to-back calls, so it does not fail when used.
    probe_calls: int = 1
    confirm_calls: int = 3
    oom_signal: bool = True  # False: bound by the memory estimate and the time per call
    memory_fraction: float = 0.9  # share of available memory a batch may take (no OOM signal)
    max_call_s: float = 5.0  # no OOM signal: stop doubling before a call would take longer


@dataclass(frozen=True)
class SearchResult:
    max_fit: int
    stopped_by: str  # "oom", "max_batch", "memory_estimate" or "time"
    probes: tuple[ProbeOutcome, ...]
    seconds: float
    message: str


def in_process_prober(make_call: Callable[[int], Callable[[], Any]], device: Device) -> Prober:
    """Probe in this process; after an OOM everything the attempt held is freed before going on."""

    def probe(batch: int, calls: int, phase: str) -> ProbeOutcome:
        device.reset_peak_memory()
        t0 = device.now_ns()
        call_s: float | None = None
        error: str | None = None
        try:
            call_s = _run(make_call, device, batch, calls)
        except Exception as exc:
            if not device.is_oom(exc):
                raise CallFailed(batch, exc) from exc
            error = first_line(exc)
        # Leaving the except block dropped the exception and its traceback, and with them the
        # frames that held this attempt's inputs and activations; now hand the memory back
        # (a full collection only after an OOM, where a reference cycle may still hold some).
        memory = device.memory()
        device.release_memory(collect=error is not None)
        return ProbeOutcome(
            batch=batch,
            fit=error is None,
            phase=phase,
            calls=calls,
            seconds=(device.now_ns() - t0) * 1e-9,
            call_s=call_s,
            peak_allocated_bytes=memory.peak_allocated_bytes,
            peak_reserved_bytes=memory.peak_reserved_bytes,
            error=error,
        )

    return probe


def _run(
    make_call: Callable[[int], Callable[[], Any]], device: Device, batch: int, calls: int
) -> float:
    # Its own frame, so the inputs it creates die with it.
    call = make_call(batch)
    return time_block(call, device, device.new_timer(), calls, sync_each=False)


class _MemoryModel:
    """Peak memory as a linear function of batch, fitted to the last two fitting probes."""

    def __init__(self, baseline_bytes: int) -> None:
        self.baseline = baseline_bytes
        self.points: list[tuple[int, int]] = []

    def add(self, outcome: ProbeOutcome) -> None:
        if outcome.fit and outcome.peak_reserved_bytes is not None:
            self.points.append((outcome.batch, outcome.peak_reserved_bytes - self.baseline))

    def per_item(self) -> float | None:
        if len(self.points) < 2:
            return None
        (b1, m1), (b2, m2) = self.points[-2], self.points[-1]
        return max((m2 - m1) / (b2 - b1), 0.0)

    def predict(self, batch: int) -> float | None:
        slope = self.per_item()
        if slope is None:
            return None
        b2, m2 = self.points[-1]
        return m2 + slope * (batch - b2)

    def largest_within(self, budget_bytes: float) -> int | None:
        slope = self.per_item()
        if not slope:
            return None
        b2, m2 = self.points[-1]
        return max(int(b2 + (budget_bytes - m2) / slope), 0)


def find_max_fit(
    prober: Prober,
    limits: SearchLimits,
    device: Device,
    progress: ProgressSink = no_progress,
) -> SearchResult:
    """The largest batch that runs, found in about 2·log2(max-fit) + 2 probes."""
    t0 = device.now_ns()
    probes: list[ProbeOutcome] = []

    def attempt(batch: int, calls: int, phase: str) -> ProbeOutcome:
        out = prober(batch, calls, phase)
        probes.append(out)
        progress("batch search", None, f"batch {batch}: {'fits' if out.fit else 'does not fit'}")
        return out

    device.reset_peak_memory()
    baseline = device.memory().peak_reserved_bytes or 0
    available = (device.free_bytes() or 0) * limits.memory_fraction
    memory = _MemoryModel(baseline)
    lo, hi = 0, None
    stopped_by = ""
    b = limits.start_batch
    cap = limits.max_batch
    while True:  # doubling
        if cap is not None:
            b = min(b, cap)
        out = attempt(b, limits.probe_calls, "double")
        if not out.fit:
            hi, stopped_by = b, "oom"
            break
        lo = b
        memory.add(out)
        if cap is not None and b >= cap:
            stopped_by = "max_batch"
            break
        if not limits.oom_signal:
            if out.call_s is not None and out.call_s * 2 > limits.max_call_s:
                stopped_by = "time"
                break
            predicted = memory.predict(2 * b)
            if predicted is not None and predicted > available:
                stopped_by = "memory_estimate"
                break
        b *= 2
    if hi is not None:  # bisection between the largest fit and the smallest failure
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if attempt(mid, limits.probe_calls, "bisect").fit:
                lo = mid
            else:
                hi = mid
    elif stopped_by == "memory_estimate":
        estimate = memory.largest_within(available)
        if estimate is not None and lo < estimate < 2 * lo:
            out = attempt(min(estimate, cap or estimate), limits.probe_calls, "estimate")
            if out.fit:
                lo = out.batch
    if lo == 0:
        raise OutOfMemoryError(
            f"batch {limits.start_batch} does not fit on {device.name}: "
            f"{probes[-1].error if probes else 'out of memory'}",
            advice="use a smaller model, --dtype bf16, or free the device",
        )
    lo = _confirm(attempt, lo, limits)
    seconds = (device.now_ns() - t0) * 1e-9
    return SearchResult(
        lo, stopped_by, tuple(probes), seconds, _message(lo, stopped_by, probes, seconds, limits)
    )


def _confirm(
    attempt: Callable[[int, int, str], ProbeOutcome], lo: int, limits: SearchLimits
) -> int:
    """A sustained run at the candidate; step down 5 % at a time until one holds."""
    while lo >= 1:
        if attempt(lo, limits.confirm_calls, "confirm").fit:
            return lo
        lo = lo - max(1, math.ceil(lo * 0.05))
    raise OutOfMemoryError(
        "no batch size survived a sustained run", advice="free the device or use a smaller model"
    )


def _message(
    max_fit: int, stopped_by: str, probes: list[ProbeOutcome], seconds: float, limits: SearchLimits
) -> str:
    why = {
        "oom": "out of memory above it",
        "max_batch": f"--max-batch {limits.max_batch}",
        "memory_estimate": f"the memory estimate ({limits.memory_fraction:.0%} of available "
        "memory, from the measured growth per item)",
        "time": f"the time per call (twice the batch would take over {limits.max_call_s:g} s)",
    }[stopped_by]
    return (
        f"max-fit batch {max_fit} found in {len(probes)} probes, {seconds:.1f} s; limited by "
        f"{why}; confirmed by a sustained run of {limits.confirm_calls} back-to-back calls"
    )
