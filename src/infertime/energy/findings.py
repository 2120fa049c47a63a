"""Every energy finding, made in one place: its code, how it acts on the figure, its advice."""

from __future__ import annotations

from typing import Any

from .records import Finding


def no_counter(reason: str) -> Finding:
    return Finding(
        "energy_not_measured",
        "withhold",
        reason,
        "the timing figures are unaffected; energy needs a readable hardware counter "
        "(an NVIDIA GPU of the Volta generation or newer, or RAPL readable on the CPU)",
    )


def mig() -> Finding:
    return Finding(
        "energy_mig",
        "withhold",
        "energy withheld: MIG is enabled: the counter covers the whole GPU, every instance on it, "
        "not the one this model runs on",
        "measure energy on a GPU with MIG disabled",
    )


def other_processes(processes: list[dict[str, Any]]) -> Finding:
    return Finding(
        "energy_other_processes",
        "flag",
        f"{len(processes)} other process(es) use this GPU: the counter includes their energy",
        "measure energy on a GPU no other process uses (nvidia-smi lists them)",
        {"processes": processes},
    )


def whole_package(scope: str) -> Finding:
    return Finding(
        "energy_whole_package",
        "note",
        f"the counter covers {scope}: other processes on those cores are included",
        "keep the machine otherwise idle while measuring energy",
    )


def counter_stuck(message: str) -> Finding:
    return Finding(
        "energy_counter_stuck",
        "withhold",
        f"energy withheld: {message}",
        "a counter that does not advance cannot measure energy; check the driver (nvidia-smi "
        "-q -d POWER) or the RAPL files",
    )


def counter_error(message: str, phase: str) -> Finding:
    return Finding(
        "energy_counter_error",
        "withhold",
        f"energy withheld: the counter failed during {phase}: {message}",
        "the timing figures are unaffected; check the GPU's health (nvidia-smi) and measure again",
    )


def zero_window(index: int, duration_s: float) -> Finding:
    return Finding(
        "energy_zero_window",
        "withhold",
        f"energy withheld: window {index + 1} read 0 J over {duration_s:.2f} s",
        "the counter did not advance over a window many update periods long; it is not usable here",
        {"window": index, "duration_s": duration_s},
    )


def counter_reset(count: int) -> Finding:
    return Finding(
        "energy_counter_reset",
        "note",
        f"{count} window(s) left out: the counter went down (it was reset) inside them",
        "a driver reload resets NVML's counter; keep the driver loaded (persistence mode)",
        {"windows": count},
    )


def too_few_windows(used: int, needed: int) -> Finding:
    return Finding(
        "energy_too_few_windows",
        "withhold",
        f"energy withheld: {used} usable window(s), {needed} needed for a CI",
        "measure again",
    )


def imprecise(rel: float | None, target: float, stop: str) -> Finding:
    said = "n/a" if rel is None else f"±{rel:.1%}"
    return Finding(
        "energy_imprecise",
        "note",
        f"energy per call {said} at {stop.replace('_', ' ')}, wider than the ±{target:.0%} asked",
        "allow more windows or time (the windows' spread is real: a noisy power draw)",
        {"half_width_rel": rel, "target_rel": target},
    )


def drift(change_rel: float) -> Finding:
    return Finding(
        "energy_drift",
        "flag",
        f"energy per call moved {change_rel:+.1%} from the first windows to the last",
        "the GPU's power changed during the run (warming up, throttling): the figure depends "
        "on when it stops; let the GPU reach a steady temperature first",
        {"change_rel": change_rel},
    )


def above_idle_unresolved() -> Finding:
    return Finding(
        "energy_above_idle_unresolved",
        "note",
        "energy above idle is not told apart from zero: the calls add less than the noise of "
        "the idle baseline",
        "the total figure stands; above-idle needs larger batches or a quieter device",
    )


def idle_unsteady(change_rel: float) -> Finding:
    return Finding(
        "energy_idle_unsteady",
        "note",
        f"idle power moved {change_rel:+.1%} during the baseline",
        "a GPU idling after work cools and slows for seconds; figures above idle carry that "
        "uncertainty",
        {"change_rel": change_rel},
    )


def period_irregular(median_s: float, max_s: float) -> Finding:
    return Finding(
        "energy_period_irregular",
        "note",
        f"the counter's update period is irregular: median {median_s * 1e3:.1f} ms, "
        f"max {max_s * 1e3:.1f} ms",
        "windows are sized from the median; the CI over windows carries the rest",
        {"median_s": median_s, "max_s": max_s},
    )


def cross_check_off(difference_rel: float, tolerance: float) -> Finding:
    return Finding(
        "energy_cross_check",
        "flag",
        f"integrated NVML power differs from the energy counter by {difference_rel:+.1%} "
        f"(more than ±{tolerance:.0%})",
        "one of the two is off on this GPU (the power sensor of A100/H100 samples a fraction of "
        "the time, arXiv 2312.02741); trust neither figure to better than that",
        {"difference_rel": difference_rel},
    )


def cross_check_unavailable(why: str) -> Finding:
    return Finding("energy_cross_check_unavailable", "note", f"no cross-check: {why}")
