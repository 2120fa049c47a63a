"""`infertime pitfalls` on the CPU: what applies is measured, GPU-only mistakes say so."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

import infertime
from infertime.cli.app import main
from models_for_tests import TinyCnn

HERE = str(Path(__file__).parent)


@pytest.fixture
def child_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", HERE)  # the fresh process imports models_for_tests too


def test_pitfalls_on_cpu(child_path: None) -> None:
    r = infertime.measure_pitfalls("models_for_tests:tiny_cnn", device="cpu", samples=20)
    codes = [row.code for row in r.rows]
    assert codes == [
        "correct",
        "copy_pageable",
        "copy_pinned",
        "no_sync",
        "no_warmup",
        "single_sample",
    ]
    for code in ("copy_pageable", "copy_pinned", "no_sync"):
        assert not r.row(code).applies and "only on GPUs" in r.row(code).note
    cold = r.row("no_warmup")
    assert len(cold.samples_s) == 20 and cold.extra["startup_s"] > 0
    # The fresh process ran the model in the measurement context (read back inside it).
    assert cold.extra["context"]["model_training"] is False
    assert cold.extra["context"]["threads"] == r.settings.threads
    errors = r.single_sample_errors()
    assert 0 <= errors["typical"] <= errors["p95"] <= errors["max"]
    assert len(r.row("correct").samples_s) == 20


def test_pitfalls_with_a_module_skips_the_fresh_process() -> None:
    r = infertime.measure_pitfalls(TinyCnn(), torch.randn(2, 3, 16, 16), device="cpu", samples=10)
    assert not r.row("no_warmup").applies and "model reference" in r.row("no_warmup").note


def test_cli_pitfalls_writes_plot_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], child_path: None
) -> None:
    png, path = tmp_path / "p.png", tmp_path / "p.json"
    code = main(
        [
            "pitfalls",
            "models_for_tests:tiny_cnn",
            "--device",
            "cpu",
            "--samples",
            "12",
            "--plot",
            str(png),
            "--json",
            str(path),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    flat = " ".join(out.split())  # wrapped at words to 80 columns
    assert any(line.split()[:1] == ["correct"] for line in out.splitlines())
    assert "exists only on GPUs" in flat
    assert all(len(line) <= 80 for line in out.splitlines()), out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(path.read_text())
    assert data["kind"] == "pitfalls" and data["errors_vs_correct_median"]["no_warmup"]["mean"]
    assert main(["show", str(path)]) == 0


def test_missing_matplotlib_fails_before_measuring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code = main(
        [
            "pitfalls",
            "models_for_tests:tiny_cnn",
            "--device",
            "cpu",
            "--plot",
            str(tmp_path / "p.png"),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 6 and "pip install 'infertime[plot]'" in err and out == ""


def test_too_few_samples_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["pitfalls", "models_for_tests:tiny_cnn", "--device", "cpu", "--samples", "3"])
    _, err = capsys.readouterr()
    assert code == 2 and "--samples must be at least 6" in err
