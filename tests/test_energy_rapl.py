"""RAPL through powercap files laid out in a temporary folder: package domains, wrap, refusal."""

from __future__ import annotations

from pathlib import Path

import pytest

from infertime.devices import CpuDevice
from infertime.energy import rapl
from infertime.energy.counter import CounterReadError, CounterUnavailable, delta
from infertime.energy.probe import EnergyProbe, open_counter


def domain(root: Path, name: str, label: str, energy_uj: int, range_uj: int) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "name").write_text(label + "\n")
    (d / "energy_uj").write_text(f"{energy_uj}\n")
    (d / "max_energy_range_uj").write_text(f"{range_uj}\n")
    return d


@pytest.fixture
def powercap(tmp_path: Path) -> Path:
    domain(tmp_path, "intel-rapl:1", "package-1", 2_000_000, 262_143_328_850)
    domain(tmp_path, "intel-rapl:0", "package-0", 1_000_000, 262_143_328_850)
    domain(tmp_path, "intel-rapl:0:0", "core", 5, 262_143_328_850)
    domain(tmp_path, "intel-rapl:0:1", "dram", 7, 65_712_999_613)
    domain(tmp_path, "intel-rapl-mmio:0", "package-0", 9, 262_143_328_850)
    return tmp_path


def test_package_domains_only_in_order(powercap: Path) -> None:
    counter = rapl.open_rapl_counter(powercap)
    assert isinstance(counter, rapl.RaplCounter)
    assert [d.name for d in counter.domains] == ["intel-rapl:0", "intel-rapl:1"]
    assert counter.read_j() == (1.0, 2.0)
    assert counter.wraps_j == (262_143.32885, 262_143.32885)
    assert "package-0 and package-1" in counter.scope
    assert [f.code for f in counter.scope_findings()] == ["energy_whole_package"]


def test_each_package_wraps_on_its_own(powercap: Path) -> None:
    counter = rapl.open_rapl_counter(powercap)
    assert isinstance(counter, rapl.RaplCounter)
    before = counter.read_j()
    (powercap / "intel-rapl:0" / "energy_uj").write_text("262143000000\n")
    (powercap / "intel-rapl:1" / "energy_uj").write_text("1000\n")  # wrapped
    d = delta(before, counter.read_j(), counter.wraps_j)
    assert d.wrapped
    assert d.energy_j == pytest.approx((262_143.0 - 1.0) + (0.001 + 262_143.32885 - 2.0))


def test_no_powercap_is_not_measured(tmp_path: Path) -> None:
    counter = rapl.open_rapl_counter(tmp_path / "absent")
    assert isinstance(counter, CounterUnavailable)
    assert counter.reason.startswith("energy not measured on this CPU: no readable counter")


def test_unreadable_counter_is_not_measured(
    powercap: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = rapl._read_uj

    def root_only(path: Path) -> int:
        if path.name == "energy_uj":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(rapl, "_read_uj", root_only)
    counter = rapl.open_rapl_counter(powercap)
    assert isinstance(counter, CounterUnavailable)
    assert counter.reason.startswith(rapl.NOT_MEASURED) and "permission denied" in counter.reason
    assert "TDP" not in counter.reason


def test_a_vanished_file_is_a_read_error(powercap: Path) -> None:
    counter = rapl.open_rapl_counter(powercap)
    assert isinstance(counter, rapl.RaplCounter)
    (powercap / "intel-rapl:1" / "energy_uj").unlink()
    with pytest.raises(CounterReadError, match="RAPL"):
        counter.read_j()


def test_cpu_device_without_readable_rapl_says_not_measured() -> None:
    counter = open_counter(CpuDevice())
    if not isinstance(counter, CounterUnavailable):
        pytest.skip("this machine's RAPL counters are readable")
    device = CpuDevice()
    s = EnergyProbe(device, counter=counter).measure(lambda: None, items_per_call=1)
    assert s.status == "not_measured" and s.figures is None
    assert (s.reason or "").startswith("energy not measured on this CPU: no readable counter")
