"""--energy on generate: the pipeline's energy pass over whole calls of the timed batch (J per
sequence and per generated token, total and above idle), through the stand-in pynvml on a CPU
model described as its GPU; on a CPU without a readable counter it says so and exits 0; in a
live comparison of generate configurations, interleaved with a paired ratio."""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from infertime import resultfile
from infertime.cli.app import main
from infertime.devices import CpuDevice
from infertime.energy.policy import EnergyPolicy
from infertime.errors import ConfigError
from infertime.reporting.export import export_text
from infertime.reporting.show import render_text

FAKE = str(Path(__file__).parent / "fake_nvml")
GPT2 = ("n_layer=2", "n_embd=64", "n_head=4", "vocab_size=1000")
HF = [w for c in GPT2 for w in ("--hf-config", c)]
# Wiring only: 3 windows of 0.1 s, 0.2 s of idle.
WIRING = EnergyPolicy(
    min_window_s=0.1, period_multiple=5, min_windows=3, max_windows=3, idle_s=0.2, lead_in_s=0.05
)


class NvmlCpu(CpuDevice):
    """The CPU, described as NVML's GPU-fake: the model runs here, energy is NVML's."""

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "uuid": "GPU-fake", "index": 0}


@pytest.fixture
def nvml(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The stand-in pynvml, its counter at 412 W of the host clock; the energy probe opened
    through NVML and generate's device the NVML-described CPU."""
    monkeypatch.syspath_prepend(FAKE)
    monkeypatch.setenv("PYTHONPATH", FAKE)
    monkeypatch.delitem(sys.modules, "pynvml", raising=False)
    import pynvml

    from infertime import devices
    from infertime.generation import api
    from infertime.pipeline import energy, measurement

    pynvml.STATE["compute_pids"] = []
    pynvml.set_energy(lambda: int(412_000 * time.perf_counter()))
    monkeypatch.setattr(measurement, "open_probe", energy.nvml_probe)
    monkeypatch.setattr(api, "resolve_device", lambda name: NvmlCpu())
    monkeypatch.setattr(devices, "resolve_device", lambda name: NvmlCpu())
    return sys.modules["pynvml"]


def tiny(**options: Any) -> Any:
    from infertime import measure_generation

    return measure_generation(
        "hf:gpt2", hf_config=GPT2, prompt_len=8, new_tokens=4, batch_size=2, device="cpu",
        preset="quick", max_time_s=0.3, caller=False, diagnose=False, **options,
    )  # fmt: skip


def test_generate_measures_energy_per_sequence_and_per_token(
    nvml: ModuleType, tmp_path: Path
) -> None:
    r = tiny(energy=WIRING)
    record = r.analysis.energy
    assert record is not None
    (s,) = record.sections
    assert s.status in ("measured", "flagged"), s.reason
    assert s.items_per_call == 2 and s.tokens_per_call == 2 * 4
    assert s.method.source == "nvml" and s.figures is not None
    f = s.figures
    assert f.j_per_token is not None
    # A call makes 2 sequences of 4 tokens: J/token = J/sequence / 4.
    assert f.j_per_token.value == pytest.approx(f.j_per_item.value / 4, rel=1e-9)
    path = resultfile.save_json(r, tmp_path / "g.json")
    back: Any = resultfile.load_result(path)
    assert back.analysis.energy == record
    text = render_text(back)
    assert "energy/seq" in text and "energy/token" in text
    assert all(len(line) <= 80 for line in text.splitlines()), text
    rows = list(csv.DictReader(export_text(back, "csv").splitlines()))
    energy_rows = [row for row in rows if row["j_per_item"]]
    assert [(row["path"], row["figure"]) for row in energy_rows] == [("device", "e2e_s")]
    assert float(energy_rows[0]["j_per_token"]) == pytest.approx(f.j_per_token.value)
    assert "J/token" in export_text(back, "markdown")


def test_a_generate_comparison_measures_energy_interleaved(nvml: ModuleType) -> None:
    import infertime

    a = "hf:gpt2 " + " ".join(HF) + " --prompt-len 8 --new-tokens 4"
    r = infertime.compare(a, f"{a} --cache static", figure="tpot", max_time_s=0.3,
                          diagnose=False, energy=WIRING)  # fmt: skip
    record = r.analysis.energy
    assert record is not None and len(record.sections) == 2
    assert all(s.tokens_per_call == 4 for s in record.sections)
    assert "interleaved" in record.arrangement and len(record.ratios) == 2


def test_energy_on_a_cpu_without_a_counter_says_so_and_exits_0(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from infertime.energy import rapl

    def unreadable(path: Path) -> int:  # as on most Linux hosts since 5.10 (root only)
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(rapl, "_read_uj", unreadable)
    path = tmp_path / "g.json"
    code = main(["generate", "hf:gpt2", *HF, "--prompt-len", "8", "--new-tokens", "3",
                 "--device", "cpu", "--preset", "quick", "--max-time", "0.3", "--no-caller",
                 "--energy", "--json", str(path)])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "energy not measured on this CPU: no readable counter" in " ".join(out.split())
    assert all(len(line) <= 80 for line in out.splitlines()), out
    data = json.loads(path.read_text())
    section = data["analysis"]["energy"]["sections"][0]
    assert section["status"] == "not_measured" and section["figures"] is None


def test_energy_is_refused_for_a_sweep() -> None:
    from infertime import measure_generation

    with pytest.raises(ConfigError, match="one batch"):
        measure_generation("hf:gpt2", batch_size=(1, 2), device="cpu", energy=True)


def test_fresh_processes_measure_energy_in_the_last_one(monkeypatch: pytest.MonkeyPatch) -> None:
    from infertime.energy import rapl
    from infertime.execution import executors, repeat

    def unreadable(path: Path) -> int:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(repeat, "default_executor", executors.InProcess)  # through JSON
    monkeypatch.setattr(rapl, "_read_uj", unreadable)
    r = tiny(processes=2, energy=True)
    assert len(r.processes) == 2
    record = r.analysis.energy
    assert record is not None and record.sections[0].status == "not_measured"
    assert record.sections[0].tokens_per_call == 2 * 4
