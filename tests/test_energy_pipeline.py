"""The energy probe in the measurement pipeline: the pass after the timed figures, the curve of
a throughput measurement, interleaved configurations, the result's `energy` section through
the kinds' measure functions on the stand-in pynvml, files, renderers, exports and the CLI."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from infertime.devices import fake
from infertime.devices.fake import FakeDevice
from infertime.energy.crosscheck import cross_check_joint
from infertime.energy.estimate import Estimate
from infertime.energy.fake import FakeEnergyCounter, PoweredFakeDevice
from infertime.energy.policy import EnergyPolicy, energy_policy
from infertime.energy.probe import EnergyProbe
from infertime.errors import ConfigError
from infertime.latency.result import LatencyAnalysis
from infertime.pipeline.energy import EnergyTarget
from infertime.pipeline.measurement import Measurement
from infertime.policies import MeasureConfig

FAKE = str(Path(__file__).parent / "fake_nvml")
TINY = "models_for_tests:tiny_cnn"


def probe_of(dev: PoweredFakeDevice, **counter: Any) -> EnergyProbe:
    """A probe on the simulated clock: the host 'sleeps' by moving it."""
    counter_ = FakeEnergyCounter(dev, **counter)
    return EnergyProbe(dev, EnergyPolicy(), counter=counter_, sleep=dev.idle)


def measuring(dev: FakeDevice) -> Measurement:
    return Measurement(dev, MeasureConfig(), diagnose=False, energy=EnergyPolicy())


def test_the_energy_pass_writes_the_analysis_energy_section() -> None:
    dev = PoweredFakeDevice(fake.constant(10e-6, 1e-3), idle_w=70.0, busy_w=400.0)
    with measuring(dev) as m:
        m.energy_probe = probe_of(dev)
        record = m.measure_energy([EnergyTarget("batch 8", [dev.make_call(8)], 8, call_s=1e-3)])
        analysis = m.analysis(LatencyAnalysis)
    assert record is not None and analysis.energy is record
    (s,) = record.sections
    assert s.status == "measured" and record.names == ("batch 8",)
    assert s.figures is not None and s.figures.windows >= 3
    # GPU-bound: 400 W for 1 ms a call, 8 items a call; above idle 330 W.
    assert s.figures.j_per_item.value == pytest.approx(400 * 1e-3 / 8, rel=0.01)
    above = s.figures.j_per_item_above_idle
    assert above is not None and above.value == pytest.approx(330 * 1e-3 / 8, rel=0.02)
    assert record.gpu_state is None  # not NVML's counter: no watch, no cross-check
    assert analysis.wall_s is not None and analysis.wall_s.energy_s is not None


def test_no_energy_asked_no_section_and_no_counter_costs_no_calls() -> None:
    dev = FakeDevice()
    with Measurement(dev, MeasureConfig(), diagnose=False) as m:
        assert m.measure_energy([EnergyTarget("batch 1", [dev.make_call(1)], 1)]) is None
        assert m.analysis(LatencyAnalysis).energy is None
    with measuring(dev) as m:  # a fake device has no counter: said, and nothing runs
        record = m.measure_energy([EnergyTarget("batch 1", [dev.make_call(1)], 1)])
    assert record is not None and dev.calls == 0 and record.seconds == 0.0
    (s,) = record.sections
    assert s.status == "not_measured" and s.figures is None
    assert (s.reason or "").startswith("energy not measured")
    assert [d.severity for d in record.diagnostics] == ["warning"]


def test_a_curve_builds_each_batch_in_turn_and_finds_the_energy_optimum() -> None:
    # Device time grows with the batch, power too (more SMs busy): J/item is lowest at 64,
    # while throughput keeps rising to 256.
    def device_s(b: int) -> float:
        return 1e-3 + 2e-5 * b

    dev = PoweredFakeDevice(
        fake.by_batch(device_s, host_s=10e-6),
        idle_w=70.0,
        busy_w=lambda b: 150.0 + 250.0 * min(b, 64) / 64 + 2.0 * max(b - 64, 0),
    )
    opened: list[int] = []

    @contextmanager
    def opener(batch: int) -> Iterator[Any]:
        opened.append(batch)
        yield dev.make_call(batch)
        opened.append(-batch)  # closed before the next batch is built

    batches = (1, 16, 64, 256)

    def target(b: int) -> EnergyTarget:
        return EnergyTarget(f"batch {b}", (), b, call_s=device_s(b), opener=lambda: opener(b))

    targets = [target(b) for b in batches]
    throughput = {b: Estimate(b / device_s(b), None, 10) for b in batches}
    with measuring(dev) as m:
        m.energy_probe = probe_of(dev)
        record = m.measure_energy(targets, throughput=throughput, peak_batch=256)
    assert opened == [1, -1, 16, -16, 64, -64, 256, -256]
    assert record is not None and record.curve is not None
    curve = record.curve
    assert curve.throughput_peak_batch == 256 and curve.energy_optimal_batch == 64
    assert curve.excess_at_peak_rel is not None and curve.excess_at_peak_rel > 0.2
    assert curve.throughput_source == "the caller's throughput figures"
    assert [s.items_per_call for s in record.sections] == list(batches)


def test_interleaved_configurations_alternate_windows_and_pair_their_ratio() -> None:
    dev = PoweredFakeDevice(fake.by_batch(lambda b: {1: 1e-3, 2: 0.5e-3}[b], host_s=10e-6))
    a, b = dev.make_call(1), dev.make_call(2)  # "batch" 1 and 2 stand for two models
    targets = [EnergyTarget("A", [a], 8, call_s=1e-3), EnergyTarget("B", [b], 8, call_s=5e-4)]
    with measuring(dev) as m:
        m.energy_probe = probe_of(dev)
        record = m.measure_energy(targets, interleaved=True)
    assert record is not None and "interleaved" in record.arrangement
    sa, sb = record.sections
    assert sa.status == sb.status == "measured"
    assert len(sa.windows) == len(sb.windows) >= 3
    starts = sorted(
        [(w.start_ns, "A") for w in sa.windows] + [(w.start_ns, "B") for w in sb.windows]
    )
    order = "".join(name for _, name in starts)
    assert order.startswith("ABBA")  # one of each per round, reversed every other round
    # Consecutive windows share their edges, whichever configuration they belong to.
    ends = {w.start_ns + round(w.duration_s * 1e9) for w in (*sa.windows, *sb.windows)}
    assert sum(1 for w in (*sa.windows, *sb.windows) if w.start_ns in ends) == len(starts) - 1
    ratio = record.ratios[1]
    assert record.ratios[0] is None and ratio is not None and ratio.ci is not None
    assert ratio.value == pytest.approx(0.5, rel=0.02)  # half the busy time, same power
    # One cross-check over the whole span; a biased sensor flags both.
    span = (min(w.start_ns for w in sa.windows), max(w.start_ns for w in sb.windows) + 10**10)
    good = cross_check_joint([sa, sb], dev.power_readings(*span), EnergyPolicy())
    assert all(s.cross_check and abs(s.cross_check.difference_rel or 1) < 0.01 for s in good)
    assert all("every configuration" in (s.cross_check.note if s.cross_check else "") for s in good)
    off = cross_check_joint([sa, sb], dev.power_readings(*span, bias=1.08), EnergyPolicy())
    assert [s.status for s in off] == ["flagged", "flagged"]


def test_a_counter_error_mid_run_withholds_energy_and_keeps_the_windows() -> None:
    dev = PoweredFakeDevice(fake.constant(10e-6, 1e-3))
    # Calibration ends near 5.1 s of simulated time; the 1-s lead-in, then 2-s windows.
    with measuring(dev) as m:
        m.energy_probe = probe_of(dev, fail_at_s=9.0)
        record = m.measure_energy([EnergyTarget("batch 4", [dev.make_call(4)], 4, call_s=1e-3)])
    assert record is not None
    (s,) = record.sections
    assert s.status == "withheld" and s.figures is None and len(s.windows) >= 1
    assert "the counter failed during the windows" in (s.reason or "")
    codes = {d.code: d.severity for d in record.diagnostics}
    assert codes.get("energy_counter_error") == "warning"


def test_the_keyword_takes_true_a_policy_or_a_dict_and_refuses_the_rest() -> None:
    assert energy_policy(False) is None and energy_policy(None) is None
    assert energy_policy(True) == EnergyPolicy()
    assert energy_policy({"min_windows": 4}) == EnergyPolicy(min_windows=4)
    with pytest.raises(ConfigError, match="energy"):
        energy_policy("yes")
    with pytest.raises(ConfigError, match="energy"):
        energy_policy({"windows": 4})


# -- through the kinds' measure functions, on the stand-in pynvml ------------------------------


@pytest.fixture
def nvml(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The stand-in pynvml (also for the NVML watch's child process), its counter driven by
    the host clock at the 412 W its power reading says, no other process on the GPU; and the
    energy probe of a CPU model opened through NVML, as a GPU's would be."""
    monkeypatch.syspath_prepend(FAKE)
    monkeypatch.setenv("PYTHONPATH", FAKE)
    monkeypatch.delitem(sys.modules, "pynvml", raising=False)
    import pynvml

    from infertime.pipeline import energy, measurement

    pynvml.STATE["compute_pids"] = []
    pynvml.set_energy(lambda: int(412_000 * time.perf_counter()))
    monkeypatch.setattr(measurement, "open_probe", energy.nvml_probe)
    return sys.modules["pynvml"]


def nvml_gpu() -> Any:
    from infertime.devices import CpuDevice

    class NvmlCpu(CpuDevice):
        """The CPU, described as NVML's GPU-fake: the model runs here, energy is NVML's."""

        def describe(self) -> dict[str, Any]:
            return {**super().describe(), "uuid": "GPU-fake", "index": 0}

    return NvmlCpu()


# Short windows for a test (the host's clock is real here): 4 of 0.25 s, 0.5 s of idle.
QUICK = EnergyPolicy(
    min_window_s=0.25,
    period_multiple=5,
    min_windows=4,
    max_windows=4,
    idle_s=0.5,
    lead_in_s=0.1,
    cross_check_min_readings=2,
)


def tiny_latency(**options: Any) -> Any:
    import torch

    from infertime import measure_latency

    return measure_latency(
        torch.nn.Linear(8, 8),
        torch.randn(4, 8),
        device=nvml_gpu(),
        diagnose=False,
        energy=QUICK,
        max_time_s=0.3,
        preset="quick",
        **options,
    )


def test_run_measures_energy_through_nvml_and_keeps_it_in_its_file(
    nvml: ModuleType, tmp_path: Path
) -> None:
    from infertime import load_result, save_json
    from infertime.reporting.export import export_text
    from infertime.reporting.show import render_text

    r = tiny_latency()
    s = r.energy
    assert s is not None and s.status == "measured", s.reason
    assert s.method.source == "nvml" and "GPU-fake" in s.method.counter
    assert s.method.idle is not None and s.method.update_period is not None
    record = r.analysis.energy
    assert record is not None and record.gpu_state is not None  # the NVML watch ran
    check = s.cross_check
    assert check is not None  # with or without enough readings, it says
    if check.difference_rel is not None:  # the counter and the power readings are both 412 W
        assert abs(check.difference_rel) < 0.05
    assert not any(d.severity == "warning" for d in record.diagnostics)
    path = save_json(r, tmp_path / "r.json")
    back = load_result(path)
    assert back.analysis.energy == record  # type: ignore[attr-defined]
    text = render_text(back)
    assert "energy/item" in text and "back-to-back calls (pipelined)" in text
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert "energy counter: NVML" in render_text(back, details=True)
    rows = list(__import__("csv").DictReader(export_text(back, "csv").splitlines()))
    energy_rows = [row for row in rows if row["j_per_item"]]
    assert len(energy_rows) == 1 and energy_rows[0]["energy_status"] == "measured"
    assert s.figures is not None
    assert float(energy_rows[0]["j_per_item"]) == pytest.approx(s.figures.j_per_item.value)
    data = json.loads(path.read_text())
    assert data["analysis"]["energy"]["sections"][0]["status"] == "measured"


def test_another_process_on_the_gpu_flags_the_figure(nvml: ModuleType) -> None:
    from infertime.reporting.show import render_text

    nvml.STATE["compute_pids"] = [424242]
    r = tiny_latency()
    s = r.energy
    assert s is not None and s.status == "flagged" and s.figures is not None
    assert "other process" in (s.reason or "")
    codes = {d.code: d.severity for d in r.diagnostics}
    assert codes.get("energy_other_processes") == "warning"
    assert "energy FLAGGED" in render_text(r)


def test_a_gpu_without_the_counter_is_not_measured_and_timing_stands(nvml: ModuleType) -> None:
    nvml.STATE["energy_supported"] = False
    r = tiny_latency()
    s = r.energy
    assert s is not None and s.status == "not_measured"
    assert "no total-energy counter" in (s.reason or "") and "Volta" in (s.reason or "")
    record = r.analysis.energy
    assert r.latency.summary.n > 0 and record is not None and record.gpu_state is None


def test_mig_withholds_energy_before_any_calibration(nvml: ModuleType) -> None:
    nvml.STATE["mig_mode"] = (1, 1)
    r = tiny_latency()
    s = r.energy
    assert s is not None and s.status == "withheld" and "MIG" in (s.reason or "")
    assert s.method.update_period is None and s.method.idle is None and not s.windows


# -- the CLI on the CPU -------------------------------------------------------------------------


def test_cli_energy_on_a_cpu_without_a_counter_says_so_and_exits_0(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from infertime.cli.app import main
    from infertime.energy import rapl

    def unreadable(path: Path) -> int:  # as on most Linux hosts since 5.10 (root only)
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(rapl, "_read_uj", unreadable)
    path = tmp_path / "r.json"
    args = ["run", TINY, "--device", "cpu", "--preset", "quick", "--max-time", "0.3", "-b", "2"]
    code = main([*args, "--energy", "--json", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    flat = " ".join(out.split())
    assert "energy not measured on this CPU: no readable counter" in flat
    assert "energy_not_measured" in err  # among the findings on stderr too
    assert all(len(line) <= 80 for line in out.splitlines()), out
    data = json.loads(path.read_text())
    assert data["analysis"]["energy"]["sections"][0]["status"] == "not_measured"
    assert data["analysis"]["energy"]["sections"][0]["figures"] is None


# Shorter still where only the wiring is checked: 3 windows of 0.1 s.
WIRING = EnergyPolicy(
    min_window_s=0.1, period_multiple=5, min_windows=3, max_windows=3, idle_s=0.2, lead_in_s=0.05
)


def test_throughput_gives_energy_per_item_across_its_curve(nvml: ModuleType) -> None:
    import torch

    from infertime import measure_throughput
    from infertime.reporting.export import export_text
    from infertime.reporting.show import render_text

    r = measure_throughput(
        torch.nn.Linear(8, 8),
        torch.randn(1, 8),
        device=nvml_gpu(),
        diagnose=False,
        energy=WIRING,
        max_batch=4,
        max_time_s=0.2,
        preset="quick",
    )
    ok = sorted(p.batch for p in r.points if p.ok)
    record = r.analysis.energy
    assert record is not None and [s.items_per_call for s in record.sections] == ok
    curve = r.energy_curve
    assert curve is not None and curve.throughput_peak_batch == r.peak_batch
    assert curve.energy_optimal_batch in ok and curve.throughput_source.startswith("the caller")
    assert r.energy_at(ok[0]).status == "measured"
    text = render_text(r)
    assert "J/item" in text and "energy-optimal batch" in text
    assert all(len(line) <= 80 for line in text.splitlines()), text
    rows = list(__import__("csv").DictReader(export_text(r, "csv").splitlines()))
    assert {row["batch"] for row in rows if row["energy_status"] == "measured"} == set(map(str, ok))


def test_compare_measures_each_configuration_interleaved(nvml: ModuleType) -> None:
    import infertime
    from infertime.reporting.export import export_text
    from infertime.reporting.show import render_text

    r = infertime.compare(
        TINY,
        f"{TINY} --channels-last",
        device=nvml_gpu(),
        copies=1,
        max_time_s=0.3,
        preset="quick",
        energy=WIRING,
    )
    record = r.analysis.energy
    assert record is not None and record.names == tuple(a.name for a in r.arms)
    assert "interleaved" in record.arrangement
    assert [s.status for s in record.sections] == ["measured", "measured"]
    assert record.ratios[0] is None and record.ratios[1] is not None
    assert len(record.sections[0].windows) == len(record.sections[1].windows)
    text = render_text(r)
    assert "energy/item vs A" in text and all(len(line) <= 80 for line in text.splitlines())
    assert "energy_ratio" in export_text(r, "csv").splitlines()[0]


def test_energy_on_files_is_refused_and_every_measuring_command_takes_the_flag(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import infertime
    from infertime.cli.app import main

    golden = Path(__file__).parent / "golden"
    files = [str(golden / "v3_latency_cpu.json")] * 2
    with pytest.raises(ConfigError, match="live comparison"):
        infertime.compare(*files, energy=True)
    for command in ("run", "throughput", "compare"):
        assert main([command, "--help"]) == 0
        assert "--energy" in capsys.readouterr().out


def test_fresh_processes_measure_energy_in_the_last_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from infertime import measure_latency

    here = Path(__file__).parent  # the children import TINY, and this infertime
    monkeypatch.setenv("PYTHONPATH", f"{here}:{here.parent / 'src'}")
    r = measure_latency(
        TINY, device="cpu", processes=2, energy=WIRING, max_time_s=0.2, preset="quick"
    )
    assert len(r.processes) == 2
    record = r.analysis.energy  # the last process's, sent back in its result document
    assert record is not None and len(record.sections) == 1
    assert record.sections[0].method.source in ("rapl", "none")


def test_a_worker_knows_its_parent_and_no_other_process_does(tmp_path: Path) -> None:
    import os
    import subprocess

    from infertime.execution import worker

    assert worker.PARENT_PID is None
    request, answer = tmp_path / "request.json", tmp_path / "answer.json"
    request.write_text("{}")
    # The worker run as a script (python -m), with a task that answers what it knows.
    code = (
        "import sys, runpy, importlib; from infertime.execution import tasks; "
        "tasks.task_function = lambda name: lambda request: {'parent': importlib.import_module("
        "'infertime.execution.worker').PARENT_PID}; "
        f"sys.argv = ['worker', 'echo', {str(request)!r}, {str(answer)!r}]; "
        "runpy.run_module('infertime.execution.worker', run_name='__main__')"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "src")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(answer.read_text())["answer"] == {"parent": os.getpid()}
