"""Results for the report tests, made from the golden files: long series, NVML readings,
sweeps of many configurations, hostile text. Deterministic (seeded), no measurement."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from typing import Any

from infertime.latency.result import LatencyResult
from infertime.records import Diagnostic, Series, WarmupRecord
from infertime.resultfile import load_result
from infertime.sections import BackendBuild, GpuReading, GpuState, LaunchAnalysis, WallTimes

GOLDEN = Path(__file__).parent / "golden"
# One golden file per kind (and --processes): the latest schema each was kept in.
KIND_FILES = {
    "latency": "v3_latency_cpu.json",
    "latency_processes": "v4_latency_processes_cpu.json",
    "throughput": "v3_throughput_cpu.json",
    "pitfalls": "v3_pitfalls_cpu.json",
    "compare": "v5_compare_cpu.json",
    "generate": "v6_generate_cpu.json",
}


def golden(name: str) -> Any:
    return load_result(GOLDEN / KIND_FILES.get(name, name))


def _samples(n: int, rng: random.Random, centre_s: float) -> tuple[float, ...]:
    """Skewed like real latency: a floor, a body, and rare spikes of several times the median."""
    out = []
    for _ in range(n):
        x = centre_s * (0.97 + rng.expovariate(1 / 0.03))
        if rng.random() < 0.004:
            x *= rng.uniform(2, 6)
        out.append(x)
    return tuple(out)


def long_latency(
    n: int = 10_000, seed: int = 0, centre_s: float = 1e-3, throttle: bool = True
) -> LatencyResult:
    """A latency result with `n` single-call samples, 2,000 warm-up calls, a kernel-time pass
    and NVML readings every 0.1 s, every third of them throttled (software power cap)."""
    rng = random.Random(seed)
    base: LatencyResult = golden("latency")
    start_ns = 10**12
    lat = _samples(n, rng, centre_s)
    offsets = tuple(centre_s * 1.01 * (i + 1) for i in range(n))
    dev = _samples(max(20, n // 20), rng, centre_s * 0.9)
    figures = {
        "latency": Series("latency", lat, 1, offsets, start_ns=start_ns),
        "device_time": Series(
            "device_time",
            dev,
            10,
            tuple(centre_s * 10 * (i + 1) for i in range(len(dev))),
            start_ns=start_ns + int(offsets[-1] * 1e9),
        ),
    }
    warm = _samples(2000, rng, centre_s * 1.2)
    warmup = WarmupRecord(
        2000, sum(warm), True, "steady after 2000 calls (synthetic)", warm[0] * 20, warm
    )
    launch = LaunchAnalysis(
        kernel_time_s=centre_s * 0.4,
        kernels_per_call=50.0,
        latency_s=centre_s,
        busy_fraction=0.4,
        verdict="launch-bound (synthetic)",
        host_syncs_per_call=0,
    )
    gpu_state = None
    if throttle:
        span_ns = int(offsets[-1] * 1e9)
        gpu_state = GpuState(
            before={"sm_clock_max_mhz": 1980},
            interval_s=0.1,
            readings=tuple(
                GpuReading(
                    t_ns=start_ns + t,
                    sm_clock_mhz=1980 - 300 * (k % 3 == 2),
                    mem_clock_mhz=2619,
                    temperature_c=60,
                    power_w=300.0,
                    utilization_pct=90,
                    reasons=0x4 if k % 3 == 2 else 0,
                )
                for k, t in enumerate(range(0, span_ns, 100_000_000))
            ),
        )
    build = BackendBuild(backend="compile", batch=2, mode="default", compile_s=12.5)
    wall = WallTimes(total_s=30.0, prepare_s=14.0, engine_s=12.0, kernel_pass_s=1.5)
    analysis = replace(
        base.analysis, launch=launch, gpu_state=gpu_state, backend=build, wall_s=wall
    )
    return replace(base, figures=figures, warmup=warmup, analysis=analysis)


def sweep(points: int = 50, seed: int = 0) -> list[LatencyResult]:
    """Latency results of `points` configurations: five models × batches, two dtypes each."""
    rng = random.Random(seed)
    base: LatencyResult = golden("latency")
    out = []
    batches = (1, 2, 4, 8, 16)
    for k in range(points):
        model = f"models_for_tests:model_{k % 5}"
        batch = batches[(k // 5) % len(batches)]
        dtype = "bf16" if (k // 25) % 2 else "fp32"
        centre = 1e-4 * (1 + k % 5) * (1 + 0.6 * batch) * (0.7 if dtype == "bf16" else 1.0)
        lat = _samples(200, rng, centre)
        dev = _samples(40, rng, centre * 0.8)
        workload = replace(base.settings.workload, model=model, batch_size=batch, dtype=dtype)
        settings = replace(base.settings, workload=workload)
        figures = {
            "latency": Series("latency", lat, 1),
            "device_time": Series("device_time", dev, 8),
        }
        warm = _samples(100, rng, centre)
        warmup = replace(base.warmup, samples_s=warm, calls=100)
        out.append(replace(base, settings=settings, figures=figures, warmup=warmup, diagnostics=()))
    return out


HOSTILE = '<script>alert("x")</script> & </td></table>'


def hostile(r: Any) -> Any:
    """The same result with markup in every free text a report shows."""
    workload = replace(r.settings.workload, model=f"models_for_tests:{HOSTILE}")
    finding = Diagnostic("noisy", "warning", f"message {HOSTILE}", f"advice {HOSTILE}")
    environment = {**r.environment, "note": HOSTILE}
    return replace(
        r,
        settings=replace(r.settings, workload=workload),
        diagnostics=(*r.diagnostics, finding),
        environment=environment,
    )


def cpu_only(r: LatencyResult) -> LatencyResult:
    """A latency result as a CPU measures it now: latency only, no device-time figure."""
    return replace(r, figures={"latency": r.latency})


def edge_cases() -> list[Any]:
    """A comparison of two files, one of two files of fresh processes, a throughput curve
    with a dip, an unsteady point and an out-of-memory point, a CPU latency result without
    device time, a per-item comparison (different batch sizes) and a gated one."""
    import infertime
    from infertime.comparison.files import compare_files
    from infertime.policies import ComparePolicy

    files = infertime.compare(
        str(GOLDEN / KIND_FILES["latency"]), str(GOLDEN / "v2_latency_cpu.json")
    )
    processes = str(GOLDEN / KIND_FILES["latency_processes"])
    per_process = infertime.compare(processes, processes)
    curve = golden("throughput")
    points = list(curve.points)
    points[2] = replace(points[2], status="dip")
    points[1] = replace(points[1], warmup_steady=False)
    points.append(
        replace(
            points[-1],
            batch=2 * points[-1].batch,
            status="oom",
            device_time=None,
            latency=None,
            memory=None,
            error="out of memory (synthetic)",
        )
    )
    one = cpu_only(golden("latency"))
    four = replace(
        one, settings=replace(one.settings, workload=replace(one.settings.workload, batch_size=4))
    )
    per_item = compare_files([one, four], ComparePolicy(), allow_different=True)
    assert per_item.per_item
    gated = replace(
        golden("compare"), policy=replace(golden("compare").policy, fail_if_slower=0.05)
    )
    return [
        files,
        per_process,
        replace(curve, points=tuple(points)),
        one,
        per_item,
        gated,
        gpu_compare(),
    ]


def gpu_compare() -> Any:
    """A comparison as a GPU records it: a kernel-time pass per configuration (the second
    one none: it launches once, a CUDA graph) and a build per copy."""
    r = golden("compare")
    launch = LaunchAnalysis(
        kernel_time_s=2e-5,
        kernels_per_call=12.0,
        latency_s=9e-5,
        busy_fraction=0.22,
        verdict="launch-bound",
        name=r.arms[0].name,
    )
    builds = tuple(BackendBuild(backend="eager", batch=2) for _ in range(4))
    return replace(r, analysis=replace(r.analysis, launch=(launch, None), backend_builds=builds))
