"""NVML code paths with a stand-in pynvml: snapshot decoding and the monitor child process."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

FAKE = str(Path(__file__).parent / "fake_nvml")


@pytest.fixture
def fake_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(FAKE)
    monkeypatch.setenv("PYTHONPATH", FAKE)  # for the monitor's child process
    monkeypatch.delitem(sys.modules, "pynvml", raising=False)


def test_snapshot_reads_and_decodes_state(fake_nvml: None) -> None:
    from infertime.telemetry.nvml import snapshot

    s = snapshot("GPU-fake")
    assert s["driver_version"] == "580.159.04" and s["persistence_mode"] is True
    assert s["sm_clock_mhz"] == 1755 and s["sm_clock_max_mhz"] == 1980
    assert s["clock_event_reasons"] == ["software power cap"] and s["mig_mode"] is False
    assert s["power_w"] == 412.0 and s["power_limit_w"] == 700.0
    assert s["other_processes"] == [{"pid": 424242, "used_memory_bytes": 1 << 28}]


def test_monitor_child_samples_until_stopped(fake_nvml: None) -> None:
    import time

    from infertime.telemetry.gpu_monitor import GpuWatch

    with GpuWatch("GPU-fake", 0, interval_s=0.02) as monitor:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and monitor._path and monitor._path.stat().st_size < 400:
            time.sleep(0.05)  # wait for the child's first lines (polling a file, not timing)
    readings = monitor.readings
    assert len(readings) >= 2
    assert all(r.sm_clock_mhz == 1755 and r.reasons == 0x4 for r in readings)
    assert readings == sorted(readings, key=lambda r: r.t_ns)


def test_missing_pynvml_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from infertime.telemetry import nvml

    monkeypatch.setitem(sys.modules, "pynvml", None)
    assert "error" in nvml.snapshot(None)
