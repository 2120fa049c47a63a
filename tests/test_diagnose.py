"""Checks fed with synthetic series, environments and NVML readings: typed findings with advice."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from infertime.diagnose.gpu import check_gpu_state, clock_summary, throttled_samples
from infertime.diagnose.host import check_context, check_environment
from infertime.diagnose.launch import launch_analysis, launch_diagnostic, verdict_for
from infertime.diagnose.noise import check_series, check_warmup
from infertime.records import Series, StopRecord, WarmupRecord
from infertime.sections import GpuReading
from infertime.telemetry.nvml import decode_reasons, is_throttled
from result_parts import fake_settings


def series(xs: list[float], stop: StopRecord | None = None, start_ns: int = 0) -> Series:
    offsets = tuple(sum(xs[: i + 1]) for i in range(len(xs)))
    return Series("latency", tuple(xs), 1, offsets, stop, start_ns=start_ns)


def codes(found: list) -> set[str]:  # type: ignore[type-arg]
    return {d.code for d in found}


def test_quiet_series_has_no_findings() -> None:
    xs = [1e-3 * (1 + 0.001 * (i % 7)) for i in range(100)]
    assert check_series(series(xs)) == []


def test_wide_spread_is_flagged_with_advice() -> None:
    xs = [1e-3 * (1 + 0.3 * (i % 2)) for i in range(100)]
    found = check_series(series(xs))
    noisy = [d for d in found if d.code == "noisy"]
    assert noisy and noisy[0].severity == "warning" and noisy[0].advice
    assert noisy[0].data["iqr_rel"] > 0.1


def test_missed_precision_is_flagged() -> None:
    stop = StopRecord("max_time", "time budget reached", 0.01, 0.031, 5.0)
    found = [d for d in check_series(series([1e-3] * 20, stop)) if d.code == "precision_missed"]
    assert found and found[0].severity == "warning"


def test_a_near_miss_of_the_precision_target_is_a_note() -> None:
    # The ± beside the figure shows ±2.9 %; within 3× of the ±1 % target that is a note.
    stop = StopRecord("max_time", "time budget reached", 0.01, 0.029, 5.0)
    found = [d for d in check_series(series([1e-3] * 20, stop)) if d.code == "precision_missed"]
    assert found and found[0].severity == "info"
    no_ci = StopRecord("max_time", "no CI yet", 0.01, None, 5.0)
    found = [d for d in check_series(series([1e-3] * 20, no_ci)) if d.code == "precision_missed"]
    assert found and found[0].severity == "warning"


def test_outliers_are_counted_never_dropped() -> None:
    xs = [1e-3] * 95 + [5e-3] * 5
    found = [d for d in check_series(series(xs)) if d.code == "outliers"]
    assert found and found[0].data["count"] == 5
    assert len(series(xs).samples_s) == 100


def test_outliers_warn_only_when_many_are_far() -> None:
    rng = random.Random(3)
    base = [1e-3 * (1 + rng.gauss(0, 0.01)) for _ in range(94)]
    # 6 % of the samples 5-6 robust SDs slow: the host's jitter, counted in a note.
    mild = base + [1.06e-3] * 6
    found = [d for d in check_series(series(mild)) if d.code == "outliers"]
    assert found and found[0].severity == "info" and found[0].data["severe"] == 0
    # 6 % of them twice as slow: other work on the host, a warning.
    far = base + [2e-3] * 6
    found = [d for d in check_series(series(far)) if d.code == "outliers"]
    assert found and found[0].severity == "warning" and found[0].data["severe"] == 6


def test_a_trend_through_the_samples_is_drift_or_not_steady() -> None:
    rng = random.Random(2)
    slower = [1e-3 * (1 + 0.002 * i) * (1 + rng.gauss(0, 0.02)) for i in range(100)]
    drift = [d for d in check_series(series(slower)) if d.code == "drift"]
    assert drift and drift[0].data["change_rel"] > 0.05 and "slower" in drift[0].message
    faster = list(reversed(slower))
    found = [d for d in check_series(series(faster)) if d.code == "not_steady"]
    assert found and found[0].data["change_rel"] < -0.05 and "faster" in found[0].message
    flat = [1e-3 * (1 + rng.gauss(0, 0.02)) for _ in range(100)]
    assert not {"drift", "not_steady"} & codes(check_series(series(flat)))


def test_unsteady_warmup_is_reported() -> None:
    unsteady = WarmupRecord(500, 10.0, False, "never steady: stopped at the 10 s cap", 1.0)
    assert codes(check_warmup(unsteady)) == {"warmup_unsteady"}
    assert check_warmup(WarmupRecord(50, 1.0, True, "steady", 1.0)) == []


def test_launch_verdicts_and_their_thresholds() -> None:
    assert verdict_for(0.11) == "launch-bound"
    assert verdict_for(0.7) == "mixed"
    assert verdict_for(0.98) == "GPU-bound"
    a = launch_analysis(0.71e-3, 250, 6.59e-3)
    assert a.verdict == "launch-bound" and abs(a.busy_fraction - 0.1077) < 1e-3
    d = launch_diagnostic(a)
    assert d.code == "launch_bound" and d.severity == "warning"
    assert "--backend cuda-graph" in (d.advice or "")
    assert launch_diagnostic(launch_analysis(26.5e-3, 250, 27e-3)).code == "regime"


def env(**overrides: object) -> dict:  # type: ignore[type-arg]
    base = {
        "env_vars": {},
        "framework": {
            "tf32_matmul": False,
            "tf32_cudnn": True,
            "cudnn_benchmark": False,
            "threads": 2,
        },
        "host": {"load_average": [0.1, 0.1, 0.1], "logical_cores": 16, "frequency_governor": None},
    }
    base.update(overrides)
    return base


def test_environment_checks() -> None:
    assert codes(check_environment(env(), "cpu")) == set()
    assert "numeric_flags" in codes(check_environment(env(), "cuda"))
    bad = env(
        env_vars={"CUDA_LAUNCH_BLOCKING": "1", "CUDA_INJECTION64_PATH": "/x"},
        host={"load_average": [20.0, 1, 1], "logical_cores": 16, "frequency_governor": "powersave"},
    )
    found = codes(check_environment(bad, "cuda"))
    assert {"launch_blocking", "profiler_attached"} <= found
    assert {"host_busy", "cpu_governor"} <= found
    over = env(framework={"threads": 64})
    assert "threads_oversubscribed" in codes(check_environment(over, "cpu"))


def test_context_checks() -> None:
    good = fake_settings().context
    assert check_context(good) == []
    bad = replace(good, grad_enabled=True, model_training=True)
    assert codes(check_context(bad)) == {"grad_enabled", "training_mode"}


def reading(t_s: float, mhz: int, reasons: int = 0) -> GpuReading:
    return GpuReading(int(t_s * 1e9), mhz, 2619, 60, 400.0, 100, reasons)


def test_clock_event_reasons_decode() -> None:
    assert decode_reasons(0x4 | 0x1) == ["GPU idle", "software power cap"]
    assert is_throttled(0x4) and is_throttled(0x40) and not is_throttled(0x1)


def test_samples_taken_while_throttled_are_flagged() -> None:
    start = 1_000_000_000
    s = series([0.1] * 10, start_ns=start)  # samples end at 0.1, 0.2, ... 1.0 s
    readings = [
        reading(1.0 + 0.05 * k, 1980, 0x4 if 0.45 <= 0.05 * k < 0.75 else 0) for k in range(25)
    ]
    flagged = throttled_samples(s, readings)
    assert flagged == [4, 5, 6]


def test_gpu_state_findings() -> None:
    before = {
        "sm_clock_max_mhz": 1980,
        "other_processes": [{"pid": 7, "used_memory_bytes": 1 << 30}],
        "mig_mode": True,
        "persistence_mode": False,
    }
    readings = [reading(k * 0.1, 1500, 0x4) for k in range(10)]
    summary = clock_summary(readings, 0, 10**9)
    assert summary["sm_clock_mhz_median"] == 1500 and summary["reasons_seen"] == [
        "software power cap"
    ]
    found = codes(check_gpu_state(before, summary, {"latency": 3}))
    assert {"gpu_shared", "mig", "persistence_off", "low_clock", "throttled_samples"} <= found
    calm = check_gpu_state(
        {
            "sm_clock_max_mhz": 1980,
            "other_processes": [],
            "mig_mode": False,
            "persistence_mode": True,
        },
        clock_summary([reading(0.1, 1980)], 0, 10**9),
        {"latency": 0},
    )
    assert calm == []


def test_missing_nvml_is_a_note_not_a_failure() -> None:
    found = check_gpu_state({"error": "nvidia-ml-py not installed"}, {}, {})
    assert codes(found) == {"gpu_state_unknown"} and found[0].severity == "info"


def test_a_host_sync_diagnostic_names_the_count_and_the_idle() -> None:
    from infertime.diagnose.launch import host_sync_diagnostic

    launch = replace(
        launch_analysis(18.8e-3, 100, 20e-3), host_syncs_per_call=2, device_time_s=19.4e-3
    )
    (d,) = host_sync_diagnostic(launch)
    assert d.code == "host_sync" and "2 times a call" in d.message
    assert "19.4 ms against 18.8 ms of kernels" in d.message
    assert host_sync_diagnostic(replace(launch, host_syncs_per_call=0)) == []
    assert host_sync_diagnostic(replace(launch, host_syncs_per_call=None)) == []  # off the GPU


def test_the_load_now_is_the_median_of_its_readings(monkeypatch: pytest.MonkeyPatch) -> None:
    from infertime import host

    readings = iter(["0.0 0.0 0.0 2/300 1\n"] + ["0.0 0.0 0.0 1/300 1\n"] * 4)

    class Proc:
        def __enter__(self) -> Proc:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def read(self) -> str:
            return next(readings)

    monkeypatch.setattr(host, "open", lambda *a, **k: Proc(), raising=False)
    monkeypatch.setattr(host.time, "sleep", lambda s: None)
    # One reading in five saw another task for a moment: nothing was busy.
    assert host._runnable_others() == 0
