"""Energy on the fake device: update period, idle baseline, windows, figures, refusals, flags.

The fake device simulates its clock and power draw, so these tests take no real time and no
sleeps: the probe's `sleep` is the device's own idle().
"""

from __future__ import annotations

import json
import math

import pytest

from infertime import serialization
from infertime.devices.fake import CallCost, constant, drifting, noisy
from infertime.energy import findings as found
from infertime.energy.counter import CounterUnavailable, delta
from infertime.energy.crosscheck import cross_check
from infertime.energy.fake import FakeEnergyCounter, PoweredFakeDevice
from infertime.energy.policy import EnergyPolicy
from infertime.energy.probe import EnergyProbe
from infertime.energy.records import EnergySection
from infertime.errors import ConfigError

IDLE_W, BUSY_W = 70.0, 400.0


GPU_BOUND = CallCost(10e-6, 1e-3)


def setup(
    cost: CallCost = GPU_BOUND,
    policy: EnergyPolicy | None = None,
    **counter_kwargs: object,
) -> tuple[PoweredFakeDevice, FakeEnergyCounter, EnergyProbe]:
    device = PoweredFakeDevice(constant(cost.host_s, cost.device_s), idle_w=IDLE_W, busy_w=BUSY_W)
    counter = FakeEnergyCounter(device, **counter_kwargs)  # type: ignore[arg-type]
    return device, counter, EnergyProbe(device, policy, counter=counter, sleep=device.idle)


def codes(section: EnergySection) -> set[str]:
    return {f.code for f in section.findings}


def test_update_period_is_measured_with_its_distribution() -> None:
    for period_s in (0.01, 0.1):
        _device, _counter, probe = setup(update_period_s=period_s)
        probe.prepare()
        assert probe.period is not None
        assert len(probe.period.intervals_s) == probe.policy.period_intervals
        # each interval is known to one polling step (0.5 ms)
        assert all(abs(x - period_s) <= 1e-3 for x in probe.period.intervals_s)
        assert probe.method().min_window_s == pytest.approx(max(2.0, 200 * period_s), rel=0.02)


def test_idle_baseline_lasts_five_seconds_and_reads_idle_power() -> None:
    _device, _counter, probe = setup(update_period_s=0.01)
    probe.prepare()
    idle = probe.idle
    assert idle is not None and idle.seconds >= 5.0 and len(idle.energies_j) == 5
    assert idle.power_w.value == pytest.approx(IDLE_W, rel=0.01)
    assert idle.power_w.ci is not None and idle.power_w.ci[0] <= IDLE_W <= idle.power_w.ci[1]


def test_gpu_bound_calls_give_total_and_above_idle_energy() -> None:
    device, _counter, probe = setup()
    s = probe.measure(device.make_call(8), items_per_call=8)
    assert s.status == "measured" and s.reason is None and s.figures is not None
    f = s.figures
    # The GPU is busy the whole time: 400 W x 1 ms per call, 330 W above idle.
    assert f.j_per_call.value == pytest.approx(BUSY_W * 1e-3, rel=0.01)
    assert f.j_per_call_above_idle is not None
    assert f.j_per_call_above_idle.value == pytest.approx((BUSY_W - IDLE_W) * 1e-3, rel=0.01)
    assert f.j_per_item.value == pytest.approx(f.j_per_call.value / 8)
    assert f.j_per_token is None
    assert f.power_w.value == pytest.approx(BUSY_W, rel=0.01)
    assert f.items_per_s.value == pytest.approx(8 / 1e-3, rel=0.01)
    assert f.windows >= 3 and all(w.duration_s >= 2.0 for w in s.windows)
    assert f.j_per_call.half_width_rel is not None and f.j_per_call.half_width_rel <= 0.02


def test_launch_bound_calls_pay_idle_power_between_kernels() -> None:
    """Back-to-back calls whose launch takes 3 ms and whose GPU work takes 1 ms: the board
    draws idle power for the whole 3 ms and busy power for 1 ms of it."""
    device, _counter, probe = setup(CallCost(3e-3, 1e-3))
    f = probe.measure(device.make_call(1), items_per_call=1).figures
    assert f is not None
    assert f.j_per_call.value == pytest.approx(IDLE_W * 3e-3 + (BUSY_W - IDLE_W) * 1e-3, rel=0.01)
    assert f.j_per_call_above_idle is not None
    assert f.j_per_call_above_idle.value == pytest.approx((BUSY_W - IDLE_W) * 1e-3, rel=0.02)


def test_energy_per_token() -> None:
    device, _counter, probe = setup()
    f = probe.measure(device.make_call(4), items_per_call=4, tokens_per_call=4 * 128).figures
    assert f is not None and f.j_per_token is not None and f.j_per_token_above_idle is not None
    assert f.j_per_token.value == pytest.approx(f.j_per_call.value / 512)
    assert f.j_per_token.ci is not None and f.j_per_call.ci is not None
    assert f.j_per_token.ci[1] == pytest.approx(f.j_per_call.ci[1] / 512)


def test_noisy_calls_add_windows_until_the_ci_is_tight_or_the_cap() -> None:
    device = PoweredFakeDevice(noisy(constant(10e-6, 1e-3), cv=0.6, seed=3), busy_w=BUSY_W)
    policy = EnergyPolicy(precision=0.001, max_windows=6)
    probe = EnergyProbe(device, policy, counter=FakeEnergyCounter(device), sleep=device.idle)
    s = probe.measure(device.make_call(1), items_per_call=1)
    assert len(s.windows) == 6
    assert "energy_imprecise" in codes(s) and s.status == "measured"  # a note, not a flag


def test_a_window_that_reads_zero_joules_withholds_the_figure() -> None:
    device, _counter, probe = setup()
    probe.prepare()  # the counter works for the period and the baseline ...
    stuck = FakeEnergyCounter(device, stuck_from_s=device.now_ns() / 1e9 + 0.5)
    probe.counter = stuck  # ... then stops updating
    s = probe.measure(device.make_call(1), items_per_call=1)
    assert s.status == "withheld" and s.figures is None
    assert "energy_zero_window" in codes(s) and "0 J" in (s.reason or "")
    assert s.windows and s.windows[-1].energy_j == 0


def test_a_counter_that_never_moves_is_refused_before_measuring() -> None:
    device, _counter, probe = setup(stuck_from_s=0.0)
    s = probe.measure(device.make_call(1), items_per_call=1)
    assert s.status == "withheld" and "energy_counter_stuck" in codes(s)
    assert device.calls == 0  # no window was run


def test_counter_wrap_is_unwrapped() -> None:
    # A 500 J range wraps several times in each 800 J window... once per read pair at most:
    # make windows shorter than the range by using a range of 1000 J (2.5 s at 400 W).
    device, _counter, probe = setup(wrap_j=1000.0, offset_j=0.0)
    s = probe.measure(device.make_call(1), items_per_call=1)
    assert s.status == "measured" and any(w.wrapped for w in s.windows)
    assert s.figures is not None
    assert s.figures.j_per_call.value == pytest.approx(BUSY_W * 1e-3, rel=0.01)


def test_a_counter_reset_drops_that_window_only() -> None:
    # The lead-in ends near 7 s (period polling, 5 s baseline, 1 s lead-in): reset in window 2.
    device, _counter, probe = setup(reset_at_s=9.5)
    s = probe.measure(device.make_call(1), items_per_call=1)
    excluded = [w for w in s.windows if not w.used]
    assert len(excluded) == 1 and "reset" in (excluded[0].excluded or "")
    assert "energy_counter_reset" in codes(s) and s.status == "measured"
    assert s.figures is not None and s.figures.windows == len(s.windows) - 1 >= 3
    assert s.figures.j_per_call.value == pytest.approx(BUSY_W * 1e-3, rel=0.01)


def test_delta_per_domain() -> None:
    assert delta((10.0, 5.0), (12.0, 1.0), (None, 8.0)).energy_j == pytest.approx(2.0 + 4.0)
    assert delta((10.0,), (3.0,), (None,)).reset
    assert delta((10.0,), (3.0,), (20.0,)).wrapped


def test_counter_error_mid_run_withholds_energy_without_raising() -> None:
    device, _counter, probe = setup(fail_at_s=10.0)  # during the windows
    s = probe.measure(device.make_call(1), items_per_call=1)
    assert s.status == "withheld" and s.figures is None
    assert "energy_counter_error" in codes(s) and "GPU is lost" in (s.reason or "")
    assert s.windows  # the windows read before the error are kept


def test_counter_error_during_calibration_names_the_phase() -> None:
    device, _counter, probe = setup(fail_at_s=3.0)  # during the idle baseline
    s = probe.measure(device.make_call(1), items_per_call=1)
    assert s.status == "withheld" and "idle baseline" in (s.reason or "")
    assert device.calls == 0


def test_other_processes_flag_the_figure() -> None:
    others = found.other_processes([{"pid": 7, "kind": "compute", "used_memory_bytes": 1}])
    device, _counter, probe = setup(findings=(others,))
    s = probe.measure(device.make_call(1), items_per_call=1)
    assert s.status == "flagged" and s.figures is not None
    assert "other process" in (s.reason or "")


def test_mig_withholds_before_running_any_window() -> None:
    device, _counter, probe = setup(findings=(found.mig(),))
    s = probe.measure(device.make_call(1), items_per_call=1)
    assert s.status == "withheld" and "MIG" in (s.reason or "") and device.calls == 0


def test_no_counter_says_not_measured_with_the_reason() -> None:
    device = PoweredFakeDevice()
    probe = EnergyProbe(device, counter=CounterUnavailable("rapl", "energy not measured: why"))
    s = probe.measure(device.make_call(1), items_per_call=1)
    assert s.status == "not_measured" and s.reason == "energy not measured: why"
    assert s.figures is None and not s.windows and device.calls == 0
    assert [d.severity for d in s.diagnostics] == ["warning"]


def test_fake_device_without_counter_is_not_measured() -> None:
    device = PoweredFakeDevice()
    s = EnergyProbe(device).measure(device.make_call(1), items_per_call=1)
    assert s.status == "not_measured" and "no counter" in (s.reason or "")


def test_power_drift_across_windows_is_flagged() -> None:
    cost = noisy(drifting(constant(10e-6, 1e-3), 2e-5), cv=0.1, seed=1)
    device = PoweredFakeDevice(cost, busy_w=BUSY_W)
    policy = EnergyPolicy(precision=1e-4, max_windows=10, max_time_s=100.0)
    probe = EnergyProbe(device, policy, counter=FakeEnergyCounter(device), sleep=device.idle)
    s = probe.measure(device.make_call(1), items_per_call=1)
    assert len(s.windows) == 10 and "energy_drift" in codes(s) and s.status == "flagged"


def test_cross_check_agrees_or_flags() -> None:
    device, _counter, probe = setup()
    s = probe.measure(device.make_call(1), items_per_call=1)
    start = s.windows[0].start_ns - 10**9  # the monitor ran before and after the windows
    end = device.now_ns() + 10**9
    good = cross_check(s, device.power_readings(start, end), probe.policy)
    assert good.cross_check is not None and good.status == "measured"
    assert good.cross_check.difference_rel is not None
    assert abs(good.cross_check.difference_rel) < 0.01 and good.cross_check.readings >= 50
    off = cross_check(s, device.power_readings(start, end, bias=1.08), probe.policy)
    assert off.status == "flagged" and "energy_cross_check" in codes(off)
    few = cross_check(s, device.power_readings(start, end, interval_s=2.0), probe.policy)
    assert few.status == "measured" and "energy_cross_check_unavailable" in codes(few)


def test_policy_rejects_bad_values() -> None:
    with pytest.raises(ConfigError):
        EnergyPolicy(min_windows=1)
    with pytest.raises(ConfigError):
        EnergyPolicy(min_window_s=0)
    with pytest.raises(ConfigError):
        EnergyPolicy(max_windows=2)
    with pytest.raises(ConfigError):
        EnergyPolicy(confidence=1.0)
    assert EnergyPolicy().window_s(0.1) == pytest.approx(20.0)


def test_section_round_trips_through_json() -> None:
    device, _counter, probe = setup()
    s = probe.measure(device.make_call(2), items_per_call=2, tokens_per_call=10)
    data = json.loads(json.dumps(serialization.dump(s)))
    back = serialization.load(EnergySection, data)
    assert back == s
    assert data["method"]["update_period"]["intervals_s"] and data["figures"]["j_per_call"]["ci"]
    assert not math.isnan(back.figures.j_per_call.value)  # type: ignore[union-attr]


def test_drift_rule() -> None:
    from infertime.energy.figures import drift_rel

    assert drift_rel([1.0, 1.0, 1.0, 1.0, 1.0]) is None  # too few windows
    rising = [1.0, 1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07]
    assert drift_rel(rising) == pytest.approx(0.04 / 1.035, rel=1e-6)
    steady = [1.0, 1.02, 0.99, 1.01, 1.0, 0.98, 1.02, 1.0]
    assert drift_rel(steady) is None


def test_lead_in_lasts_its_time_and_estimates_the_call() -> None:
    from infertime.energy.windows import lead_in

    device = PoweredFakeDevice(constant(10e-6, 2e-3))
    call_s, spent = lead_in(device.make_call(1), device, 1.0, None)
    assert call_s == pytest.approx(2e-3, rel=0.01) and 1.0 <= spent < 1.1
    call_s, spent = lead_in(device.make_call(1), device, 1.0, 2e-3)
    assert 1.0 <= spent < 1.01


def test_flagged_section_round_trips_and_reads_in_words() -> None:
    from infertime.energy.render import section_lines

    others = found.other_processes([{"pid": 7, "kind": "compute", "used_memory_bytes": None}])
    device, _counter, probe = setup(findings=(others,))
    s = probe.measure(device.make_call(2), items_per_call=2, tokens_per_call=10)
    back = serialization.load(EnergySection, json.loads(json.dumps(serialization.dump(s))))
    assert back == s and back.status == "flagged"
    text = "\n".join(section_lines(s))
    assert "energy per item: 200.0 mJ" in text and "above idle" in text and "per token" in text
    assert "update period 10.0 ms" in text and "flagged: 1 other process" in text
    gone = EnergyProbe(device, counter=CounterUnavailable("none", "energy not measured: x"))
    assert section_lines(gone.measure(device.make_call(1), 1)) == ["energy not measured: x"]
