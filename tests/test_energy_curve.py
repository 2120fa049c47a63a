"""Energy per item across batches: the energy-optimal batch beside the throughput peak."""

from __future__ import annotations

import pytest

from infertime.devices.fake import by_batch, noisy
from infertime.energy.curve import energy_curve
from infertime.energy.estimate import Estimate
from infertime.energy.fake import FakeEnergyCounter, PoweredFakeDevice
from infertime.energy.figures import finish
from infertime.energy.probe import EnergyProbe
from infertime.energy.records import EnergyFigures, EnergyMethod, EnergySection


def est(value: float, rel: float = 0.01) -> Estimate:
    return Estimate(value, (value * (1 - rel), value * (1 + rel)), 3)


METHOD = EnergyMethod("fake", "fake", "fake", None, None, 2.0, "rule", 0.95)


def section(batch: int, j_per_item: float | None, items_per_s: float) -> EnergySection:
    if j_per_item is None:
        return finish(METHOD, batch, None, (), None, [])
    per_call = est(j_per_item * batch)
    fig = EnergyFigures(
        per_call, None, est(j_per_item), None, None, None, est(300.0), est(items_per_s), 3, 6.0
    )
    return finish(METHOD, batch, None, (), fig, [])


def test_optimum_and_peak_apart_beyond_noise() -> None:
    curve = energy_curve([section(64, 3.0, 900), section(256, 2.0, 1500), section(1024, 2.6, 2000)])
    assert curve.energy_optimal_batch == 256 and curve.throughput_peak_batch == 1024
    assert curve.excess_at_peak_rel == pytest.approx(0.3) and curve.separated is True
    assert "beyond noise" in curve.verdict and "+30.0%" in curve.verdict
    assert curve.above_idle_optimal_batch is None  # no baseline in these sections


def test_within_noise_ties_go_to_the_smaller_batch() -> None:
    curve = energy_curve([section(128, 2.01, 1000), section(256, 2.0, 1005)])
    assert curve.energy_optimal_batch == 128 and curve.throughput_peak_batch == 128
    assert "also the throughput peak" in curve.verdict


def test_within_noise_between_optimum_and_peak() -> None:
    s = [section(128, 2.0, 1000), section(512, 2.02, 1500)]
    curve = energy_curve(s, throughput={128: est(1000), 512: est(1500)})
    assert curve.energy_optimal_batch == 128 and curve.throughput_peak_batch == 512
    assert curve.separated is False and "within noise" in curve.verdict
    assert curve.throughput_source == "the caller's throughput figures"


def test_withheld_points_are_listed_not_chosen() -> None:
    curve = energy_curve([section(64, None, 0), section(256, 2.0, 1500)])
    assert [p.status for p in curve.points] == ["withheld", "measured"]
    assert curve.energy_optimal_batch == 256 and curve.throughput_peak_batch == 256
    assert energy_curve([section(64, None, 0)]).verdict == "no batch has an energy figure"


def test_fake_gpu_whose_power_grows_with_batch() -> None:
    """Device time 1 ms + 10 µs per item, power 150 W + 0.3 W per item: throughput keeps rising
    to batch 1024 while energy per item is lowest near batch 256."""
    device = PoweredFakeDevice(
        noisy(by_batch(lambda b: 1e-3 + 1e-5 * b), cv=0.01), busy_w=lambda b: 150 + 0.3 * b
    )
    probe = EnergyProbe(device, counter=FakeEnergyCounter(device), sleep=device.idle)
    sections = [probe.measure(device.make_call(b), items_per_call=b) for b in (64, 256, 1024)]
    curve = energy_curve(sections)
    assert curve.energy_optimal_batch == 256 and curve.throughput_peak_batch == 1024
    assert curve.above_idle_optimal_batch == 256
    assert curve.separated is True and curve.excess_at_peak_rel is not None
    assert curve.excess_at_peak_rel == pytest.approx(
        457.2 * 1.0977 / (226.8 * 1.3906) - 1, rel=0.03
    )
    assert probe.idle is not None and all(s.method.idle == probe.idle for s in sections)


def test_wide_cis_never_make_a_worse_batch_the_optimum() -> None:
    curve = energy_curve([section(1, 0.25, 900), section(16, 0.024, 6600)])
    assert curve.energy_optimal_batch == 16  # CIs of ±1 % do not overlap anyway
    wide = [
        finish(METHOD, 1, None, (), _wide(0.25, 900), []),
        finish(METHOD, 16, None, (), _wide(0.024, 6600), []),
    ]
    curve = energy_curve(wide)
    assert curve.energy_optimal_batch == 16 and curve.throughput_peak_batch == 16


def _wide(j_per_item: float, items_per_s: float) -> EnergyFigures:
    e = Estimate(j_per_item, (0.0, j_per_item * 2.1), 3)
    return EnergyFigures(e, None, e, None, None, None, est(50.0), est(items_per_s), 3, 6.0)
