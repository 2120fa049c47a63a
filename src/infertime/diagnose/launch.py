"""Launch-bound verdict: GPU busy fraction = kernel time / latency, with advice."""

from __future__ import annotations

from ..records import Diagnostic
from ..sections import LaunchAnalysis

LAUNCH_BOUND_BELOW = 0.5  # the GPU idles more than half of what the caller waits
GPU_BOUND_ABOVE = 0.9

ADVICE = {
    "launch-bound": "the host launches kernels slower than the GPU runs them: a larger batch "
    "costs almost nothing in latency, and CUDA graphs (--backend cuda-graph) or "
    "torch.compile(mode='reduce-overhead') remove most of the launch overhead",
    "GPU-bound": "the GPU is busy for nearly the whole call: lower precision (bf16), "
    "channels-last, or a smaller model shorten it; batch size trades latency for throughput",
    "mixed": "both host launches and GPU work matter: CUDA graphs help with the first, a larger "
    "batch raises throughput with modest latency cost",
}


def verdict_for(busy_fraction: float) -> str:
    if busy_fraction < LAUNCH_BOUND_BELOW:
        return "launch-bound"
    if busy_fraction > GPU_BOUND_ABOVE:
        return "GPU-bound"
    return "mixed"


def launch_analysis(
    kernel_time_s: float, kernels_per_call: float, latency_s: float
) -> LaunchAnalysis:
    busy = kernel_time_s / latency_s if latency_s > 0 else 0.0
    return LaunchAnalysis(
        kernel_time_s=kernel_time_s,
        kernels_per_call=kernels_per_call,
        latency_s=latency_s,
        busy_fraction=busy,
        verdict=verdict_for(busy),
    )


def launch_diagnostic(analysis: LaunchAnalysis) -> Diagnostic:
    verdict = analysis.verdict
    return Diagnostic(
        "launch_bound" if verdict == "launch-bound" else "regime",
        "warning" if verdict == "launch-bound" else "info",
        f"{verdict}: the GPU is busy {analysis.busy_fraction:.0%} of the latency "
        f"(kernel time {analysis.kernel_time_s * 1e3:.3g} ms over "
        f"{analysis.kernels_per_call:.0f} kernels; "
        f"latency {analysis.latency_s * 1e3:.3g} ms)",
        ADVICE[verdict],
        {"busy_fraction": analysis.busy_fraction, "verdict": verdict},
    )


CUPTI_ATTACHED = Diagnostic(
    "cupti_attached",
    "warning",
    "a kernel-time pass (CUPTI) ran earlier in this process: every kernel launch now costs "
    "more, so launch-bound figures are inflated (batch-1 EfficientNet-B0 on an H100: +10 % to "
    "+100 %)",
    "measure in a fresh process (as `infertime run` does), or pass diagnose=False to every "
    "measurement but the last one in a process",
)


def check_cupti(attached_before: bool) -> list[Diagnostic]:
    """A kernel-time pass earlier in the process inflates launch-bound figures."""
    return [CUPTI_ATTACHED] if attached_before else []


def host_sync_diagnostic(analysis: LaunchAnalysis) -> list[Diagnostic]:
    """The model makes the host wait for the GPU inside a call (telemetry/host_sync.py)."""
    syncs = analysis.host_syncs_per_call
    if not syncs:
        return []
    device_s, kernel_s = analysis.device_time_s, analysis.kernel_time_s
    idle = (
        f"; device time {device_s * 1e3:.3g} ms against {kernel_s * 1e3:.3g} ms of kernels"
        if device_s
        else ""
    )
    return [
        Diagnostic(
            "host_sync",
            "warning",
            f"the model makes the host wait for the GPU {syncs} time{'s' if syncs > 1 else ''} "
            "a call (a synchronizing operation such as .item(), a tensor's truth value in "
            "Python, or a copy to the CPU): back-to-back calls cannot run ahead of the GPU, "
            f"which idles while the host prepares the next kernels{idle}",
            "find them with torch.cuda.set_sync_debug_mode('warn') and move them out of the "
            "call; transformers' SDPA mask check (padding_mask.all()) is one: it is skipped "
            "when compiling (--backend compile) or capturing a CUDA graph, and when no "
            "attention mask is passed (where no token is padding, the result is the same)",
            {"host_syncs_per_call": syncs},
        )
    ]
