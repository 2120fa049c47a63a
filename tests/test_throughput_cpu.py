"""Throughput end to end on the CPU with a tiny model: API, CLI, JSON, --isolate, errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import infertime
from infertime.cli.app import main
from infertime.policies import MeasureConfig
from models_for_tests import TinyCnn

FAST = ["--device", "cpu", "--preset", "quick", "--max-time", "0.2"]


def test_measure_throughput_api(fast_config: MeasureConfig) -> None:
    r = infertime.measure_throughput(
        TinyCnn(), torch.randn(1, 3, 16, 16), device="cpu", max_batch=16, config=fast_config
    )
    assert r.max_fit_batch == 16 and r.search.stopped_by == "max_batch"
    assert {1, 2, 4, 8, 16} <= {p.batch for p in r.points}
    # Every point was measured; whether one is marked a dip depends on the host's noise, so
    # what is asserted is what the code decides from the figures: choices among ok points.
    assert all(p.status in ("ok", "dip") and p.items_per_s > 0 for p in r.points)
    assert r.point(r.peak_batch).ok and r.point(r.knee_batch).ok
    assert r.knee_batch <= r.peak_batch
    assert r.point(r.knee_batch).items_per_s >= 0.95 * r.point(r.peak_batch).items_per_s
    assert r.settings.inputs.item_shapes == ((3, 16, 16),)


def test_cli_throughput_writes_every_probe_and_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tp.json"
    code = main(
        [
            "throughput",
            "models_for_tests:tiny_cnn",
            *FAST,
            "--max-batch",
            "8",
            "--latency-budget",
            "50ms",
            "--budget-stat",
            "median",
            "--json",
            str(path),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "items/s" in out and "peak" in out and "max-fit" in out and "budget" in out
    data = json.loads(path.read_text())
    assert data["kind"] == "throughput"
    assert data["search"]["max_fit"] == 8
    assert all({"batch", "fit", "seconds", "phase"} <= set(p) for p in data["search"]["probes"])
    point = data["points"][0]
    assert point["device_time"]["samples_s"] and point["latency"]["samples_s"]
    assert data["choices"]["budget"]["batch"] is not None
    code = main(["show", str(path)])
    shown, _ = capsys.readouterr()
    assert code == 0 and "max-fit" in shown


def test_isolated_probes_run_in_fresh_processes(
    fast_config: MeasureConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))
    r = infertime.measure_throughput(
        "models_for_tests:tiny_cnn", device="cpu", max_batch=2, isolate=True, config=fast_config
    )
    assert r.max_fit_batch == 2 and r.policy.isolate
    assert all(p.fit for p in r.search.probes) and len(r.search.probes) == 3  # 1, 2, confirm


def test_isolate_needs_a_reference(fast_config: MeasureConfig) -> None:
    with pytest.raises(infertime.ConfigError, match="needs a model reference"):
        infertime.measure_throughput(
            TinyCnn(), torch.randn(1, 3, 16, 16), device="cpu", isolate=True, config=fast_config
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--memory-fraction", "1.5"], "--memory-fraction must be in (0, 1]"),
        (["--budget-stat", "p50"], "--budget-stat must be p99 or median"),
        (["--latency-budget", "fast"], "not a duration"),
        (["--knee", "2"], "--knee must be a fraction"),
        (["--max-batch", "0"], "--max-batch must be at least 1"),
    ],
)
def test_throughput_flag_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    path = tmp_path / "tp.json"
    code = main(["throughput", "models_for_tests:tiny_cnn", *FAST, *args, "--json", str(path)])
    _, err = capsys.readouterr()
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not path.exists()
