"""NVML's energy counter with the stand-in pynvml: opening by UUID, visible-to-physical mapping,
Not Supported, other processes, MIG, and an NVML error in the middle of a run."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from infertime.energy.counter import CounterReadError, CounterUnavailable
from infertime.energy.fake import FakeEnergyCounter, PoweredFakeDevice
from infertime.energy.nvml_counter import NvmlEnergyCounter, open_nvml_counter, physical_target
from infertime.energy.probe import EnergyProbe

FAKE = str(Path(__file__).parent / "fake_nvml")
GPU = {"uuid": "GPU-0b7a", "index": 0}


@pytest.fixture
def nvml(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The stand-in pynvml, imported afresh (its STATE reset), with no other process."""
    monkeypatch.syspath_prepend(FAKE)
    monkeypatch.delitem(sys.modules, "pynvml", raising=False)
    import pynvml

    pynvml.STATE["compute_pids"] = []
    return sys.modules["pynvml"]


def opened(info: dict[str, object] = GPU) -> NvmlEnergyCounter:
    counter = open_nvml_counter(info, env={})
    assert isinstance(counter, NvmlEnergyCounter), counter
    return counter


def test_opens_the_gpu_by_uuid_and_reads_joules(nvml: ModuleType) -> None:
    nvml.set_energy(lambda: 5_000_250)
    counter = opened()
    assert nvml.STATE["uuids_opened"] == ["GPU-0b7a"]
    assert counter.read_j() == (5000.25,)
    assert counter.wraps_j == (None,) and "whole GPU board" in counter.scope
    assert counter.scope_findings() == ()


def test_visible_index_maps_to_the_physical_gpu() -> None:
    pci = {"CUDA_DEVICE_ORDER": "PCI_BUS_ID"}
    assert physical_target("GPU-1", 0, {}) == ("uuid", "GPU-1")
    assert physical_target(None, 1, {**pci, "CUDA_VISIBLE_DEVICES": "2,3"}) == ("index", 3)
    assert physical_target(None, 0, {"CUDA_VISIBLE_DEVICES": "GPU-9,GPU-8"}) == ("uuid", "GPU-9")
    assert physical_target(None, 0, pci) == ("index", 0)
    assert "PCI_BUS_ID" in str(physical_target(None, 0, {"CUDA_VISIBLE_DEVICES": "1"}))
    assert "does not name" in str(physical_target(None, 2, {**pci, "CUDA_VISIBLE_DEVICES": "1"}))


def test_a_gpu_without_the_counter_is_not_measured(nvml: ModuleType) -> None:
    nvml.STATE["energy_supported"] = False
    counter = open_nvml_counter(GPU, env={})
    assert isinstance(counter, CounterUnavailable)
    assert "no total-energy counter" in counter.reason and "Volta" in counter.reason


def test_missing_nvidia_ml_py_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    counter = open_nvml_counter(GPU, env={})
    assert isinstance(counter, CounterUnavailable)
    assert "pip install 'infertime[gpu]'" in counter.reason


def test_other_processes_exclude_this_one(nvml: ModuleType) -> None:
    nvml.STATE["compute_pids"] = [os.getpid(), 4242]
    nvml.STATE["graphics_pids"] = [4242, 777]
    (finding,) = opened().scope_findings()
    assert finding.code == "energy_other_processes" and finding.effect == "flag"
    pids = {p["pid"]: p["kind"] for p in finding.data["processes"]}
    assert pids == {4242: "compute", 777: "graphics"}
    parent = open_nvml_counter(GPU, env={}, ignore_pids=[4242])
    assert isinstance(parent, NvmlEnergyCounter)
    (finding,) = parent.scope_findings()
    assert [p["pid"] for p in finding.data["processes"]] == [777]


def test_mig_mode_and_mig_instances_withhold(nvml: ModuleType) -> None:
    nvml.STATE["mig_mode"] = (1, 1)
    assert [f.code for f in opened().scope_findings()] == ["energy_mig"]
    nvml.STATE["mig_mode"] = (0, 0)
    nvml.STATE["mig_device"] = True
    counter = opened({"uuid": "MIG-5e1d", "index": 0})
    assert counter.mig_instance and [f.code for f in counter.scope_findings()] == ["energy_mig"]


def test_read_error_becomes_a_counter_error(nvml: ModuleType) -> None:
    counter = opened()
    nvml.STATE["energy_fail_from_read"] = nvml.STATE["energy_reads"] + 1
    with pytest.raises(CounterReadError, match="GPU is lost"):
        counter.read_j()


def probe_on_fake_nvml(nvml: ModuleType) -> tuple[PoweredFakeDevice, EnergyProbe]:
    """The NVML code path, its counter values made by the fake device's power model."""
    device = PoweredFakeDevice()
    meter = FakeEnergyCounter(device, update_period_s=0.02)
    nvml.set_energy(meter.value_mj)
    return device, EnergyProbe(device, counter=opened(), sleep=device.idle)


def test_end_to_end_through_nvml(nvml: ModuleType) -> None:
    device, probe = probe_on_fake_nvml(nvml)
    s = probe.measure(device.make_call(4), items_per_call=4)
    assert s.status == "measured" and s.figures is not None
    assert s.method.source == "nvml" and "GPU-fake" in s.method.counter  # NVML's own UUID
    assert s.method.update_period is not None
    assert s.method.update_period.median_s == pytest.approx(0.02, abs=1e-3)
    assert s.method.min_window_s == pytest.approx(4.0, rel=0.05)  # 200 x 20 ms
    assert s.figures.j_per_call.value == pytest.approx(0.4, rel=0.01)


def test_nvml_error_mid_run_withholds_energy(nvml: ModuleType) -> None:
    device, probe = probe_on_fake_nvml(nvml)
    probe.prepare()
    nvml.STATE["energy_fail_from_read"] = nvml.STATE["energy_reads"] + 3
    s = probe.measure(device.make_call(4), items_per_call=4)
    assert s.status == "withheld" and s.figures is None
    assert "GPU is lost" in (s.reason or "") and len(s.windows) == 1


def test_a_process_that_appears_during_the_windows_is_flagged(nvml: ModuleType) -> None:
    device, probe = probe_on_fake_nvml(nvml)
    call = device.make_call(1)

    def call_then_share() -> None:
        call()
        if device.calls == 3000:
            nvml.STATE["compute_pids"] = [999]

    s = probe.measure(call_then_share, items_per_call=1)
    assert s.status == "flagged" and "other process" in (s.reason or "")
