"""All checks of a latency result, in one place, in the order they are shown."""

from __future__ import annotations

from ..diagnose.gpu import check_watched
from ..diagnose.host import (
    check_context,
    check_environment,
    check_memory_growth,
    check_model_output,
    check_precision_support,
)
from ..diagnose.launch import check_cupti, host_sync_diagnostic, launch_diagnostic
from ..diagnose.noise import check_drift, check_series, check_settling, check_warmup
from ..engine.latency import device_time_above_latency
from ..records import Diagnostic
from .result import LatencyResult


def check_latency(result: LatencyResult) -> list[Diagnostic]:
    found = check_cupti(bool(result.analysis.cupti_attached_before))
    found.extend(check_processes(result))
    found.extend(check_consistency(result))
    launch = result.analysis.launch
    if launch is not None:
        found.append(launch_diagnostic(launch))
        found.extend(host_sync_diagnostic(launch))
    preset = result.settings.method.preset
    for series in result.figures.values():
        found.extend(check_series(series, trend=False))
    # Calls still getting faster through warm-up and sampling: the whole measurement is
    # flagged (and says why warm-up ended unsettled); otherwise each figure is checked for a
    # drift of its own, and an unsettled warm-up on its own.
    settling = check_settling(result.figures, preset)
    found.extend(settling)
    if not settling:
        found.extend(check_warmup(result.warmup, preset))
        drifts = (check_drift(series, preset) for series in result.figures.values())
        found.extend(d for d in drifts if d is not None)
    state = result.analysis.gpu_state
    if state is not None:
        found.extend(check_watched(state, result.figures))
    found.extend(check_model_output(result.analysis))
    found.extend(check_memory_growth(result.analysis.memory_growth))
    found.extend(check_context(result.settings.context))
    found.extend(check_precision_support(result.settings, result.environment))
    device_kind = result.settings.device.split(":")[0]
    found.extend(check_environment(result.environment, device_kind))
    if result.analysis.energy is not None:  # withheld or flagged energy is never quiet
        found.extend(result.analysis.energy.diagnostics)
    return found


# I² above this: most of the spread between processes is not the noise each one measured.
HETEROGENEITY_WARN = 0.5


def check_processes(result: LatencyResult) -> list[Diagnostic]:
    """Repeated in fresh processes: do they differ more than their own CIs allow?"""
    over = result.across("latency")
    if over is None or over.heterogeneity is None or over.heterogeneity <= HETEROGENEITY_WARN:
        return []
    within = f" against ±{over.within_se * 1.96:.1%} within one" if over.within_se else ""
    return [
        Diagnostic(
            "between_processes",
            "warning",
            f"fresh processes differ more than their own CIs say: latency medians spread "
            f"{over.between_cv:.1%} (CV) between processes{within} (I² "
            f"{over.heterogeneity:.0%}); one run's CI is too narrow on this host",
            "quote the typical figure and the range for one new process; compare "
            "configurations interleaved in one process (infertime compare)",
            {"i_squared": over.heterogeneity, "between_cv": over.between_cv},
        )
    ]


def check_consistency(result: LatencyResult) -> list[Diagnostic]:
    """The figures must agree with each other before either is headlined."""
    if "device_time" not in result.figures:
        return []
    lat, dev = result.latency, result.device_time
    if not device_time_above_latency(lat, dev):
        return []
    return [
        Diagnostic(
            INCONSISTENT,
            "warning",
            f"device time per call ({dev.summary.median:.4g} s) came out above latency "
            f"({lat.summary.median:.4g} s) twice, beyond noise; back-to-back calls cannot be "
            "slower than calls waited for one by one, so one figure was disturbed and the "
            "throughput made from device time is not shown",
            "rerun when the machine is idle; on a CPU, latency alone is the figure to use",
            {"latency_s": lat.summary.median, "device_time_s": dev.summary.median},
        )
    ]


INCONSISTENT = "inconsistent_figures"
