"""The one measurement context: every path that calls the model calls it in eval mode, under
inference mode, with the requested threads, dtype and layout, and records what it set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import infertime
from infertime.cli.app import main
from infertime.policies import MeasureConfig
from models_for_tests import EvalOnly, TinyCnn

HERE = str(Path(__file__).parent)
CHECKED = ["--threads", "1", "--dtype", "bf16", "--channels-last", "--device", "cpu"]


@pytest.fixture
def expect_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """EvalOnly, here and in every child process, refuses any other context than CHECKED's."""
    monkeypatch.setenv("PYTHONPATH", HERE)
    monkeypatch.setenv("INFERTIME_TEST_EXPECT", "1,torch.bfloat16,channels_last")


def test_isolated_probes_run_the_model_in_the_measurement_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], expect_context: None
) -> None:
    path = tmp_path / "tp.json"
    args = ["throughput", "models_for_tests:eval_only", *CHECKED, "--isolate", "--max-batch", "2"]
    code = main([*args, "--preset", "quick", "--max-time", "0.2", "--json", str(path)])
    _, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(path.read_text())
    assert data["policy"]["isolate"] and data["search"]["max_fit"] == 2
    assert [p["batch"] for p in data["search"]["probes"]] == [1, 2, 2]  # in fresh processes
    assert all(p["fit"] for p in data["search"]["probes"])
    assert data["settings"]["context"]["threads"] == 1
    assert data["settings"]["context"]["model_training"] is False


def test_cold_start_child_runs_the_model_in_the_measurement_context(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], expect_context: None
) -> None:
    path = tmp_path / "pf.json"
    args = ["pitfalls", "models_for_tests:eval_only", *CHECKED, "-b", "1", "--samples", "6"]
    code = main([*args, "--json", str(path)])
    _, err = capsys.readouterr()
    assert code == 0, err
    cold = next(r for r in json.loads(path.read_text())["rows"] if r["code"] == "no_warmup")
    assert len(cold["samples_s"]) == 6
    child = cold["extra"]["context"]  # read inside the child's context
    assert child["model_training"] is False and child["inference_mode"] is True
    assert child["threads"] == 1 and child["grad_enabled"] is False


def test_a_model_in_training_mode_is_refused_by_the_test_model() -> None:
    """The test model above would catch a child that forgot eval mode."""
    model = EvalOnly().train()
    with pytest.raises(RuntimeError, match="training mode"):
        model(torch.randn(1, 3, 8, 8))


def other_thread_count() -> int:
    return 1 if torch.get_num_threads() != 1 else 2


def test_settings_record_the_requested_threads_for_every_kind(fast_config: MeasureConfig) -> None:
    threads = other_thread_count()
    before = torch.get_num_threads()
    common = {"device": "cpu", "threads": threads}
    example = torch.randn(1, 3, 16, 16)
    latency = infertime.measure_latency(TinyCnn(), example, config=fast_config, **common)
    throughput = infertime.measure_throughput(
        TinyCnn(), example, max_batch=2, config=fast_config, **common
    )
    pitfalls = infertime.measure_pitfalls(TinyCnn(), example, samples=6, **common)
    for result in (latency, throughput, pitfalls):
        assert result.settings.threads == threads, result.kind
        assert result.settings.workload.threads == threads
        assert result.environment["framework"]["threads"] == threads
        assert result.settings.context.model_training is False
        assert result.settings.context.inference_mode is True
    assert torch.get_num_threads() == before  # the context restored it
