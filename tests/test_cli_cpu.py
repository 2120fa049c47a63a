"""The CLI end to end on the CPU with tiny models; every error case is one line and no file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infertime.cli.app import main

FAST = ["--device", "cpu", "--preset", "quick", "--max-time", "0.4"]
TINY = "models_for_tests:tiny_cnn"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_prints_labelled_figures_and_writes_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.json"
    code, out, err = run_cli(capsys, "run", TINY, *FAST, "-b", "4", "--json", str(path))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("models_for_tests:tiny_cnn · batch 4 · fp32 · NCHW · cpu")
    assert lines[1].split()[0] == "latency" and lines[2].split()[0] == "throughput"
    # On a CPU throughput is made of latency, the one figure (never withheld for crossing).
    assert "items/s" in lines[2] and "batch / latency" in lines[2]
    assert "±" in lines[1] and "tails" in out
    # On a CPU device time is the same quantity as latency: its row is in --details only.
    assert not any(line.split()[:2] == ["device", "time"] for line in lines)
    assert all(len(line) <= 80 for line in lines), out  # the answer fits 80 columns
    data = json.loads(path.read_text())
    assert data["kind"] == "latency" and data["settings"]["workload"]["batch_size"] == 4
    assert data["settings"]["inputs"]["item_shapes"] == [[3, 16, 16]]
    assert len(data["figures"]["latency"]["samples_s"]) == data["statistics"]["latency"]["n"]
    assert data["environment"]["framework"]["torch"]
    context = data["settings"]["context"]
    assert context["grad_enabled"] is False and context["inference_mode"] is True
    assert context["model_training"] is False and context["gc_enabled"] is False
    assert data["figures"]["latency"]["stop"]["reason"] in ("precision", "max_time")

    code, shown, _ = run_cli(capsys, "show", str(path))
    assert code == 0 and shown == out
    code, shown, _ = run_cli(capsys, "show", str(path), "--details")
    flat = " ".join(shown.split())  # prose is wrapped at words to 80 columns
    for label in ("device time is the same quantity", "95 % CI", "cold first call", "warm-up:"):
        assert label in flat


def test_run_labels_dtype_layout_and_threads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "r.json"
    code, out, err = run_cli(
        capsys,
        "run",
        TINY,
        *FAST,
        "--dtype",
        "bf16",
        "--channels-last",
        "--threads",
        "1",
        "--json",
        str(path),
    )
    assert code == 0, err
    assert "bf16 (model cast)" in out and "channels-last" in out and "1 threads" in out
    data = json.loads(path.read_text())
    assert data["settings"]["context"]["threads"] == 1
    assert data["settings"]["workload"]["channels_last"] is True
    code, out, err = run_cli(capsys, "run", TINY, *FAST, "--dtype", "bf16", "--autocast")
    assert code == 0, err
    assert "bf16 (autocast)" in out


def test_quiet_hides_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "run", TINY, *FAST, "--precision", "0.0001", "-q")
    assert code == 0 and err == ""
    code, _, err = run_cli(capsys, "run", TINY, *FAST, "--precision", "0.0001")
    assert code == 0 and "precision_missed" in err and "--details" in err
    code, _, err = run_cli(capsys, "run", TINY, *FAST, "--precision", "0.0001", "--details")
    assert code == 0 and "precision target missed" in " ".join(err.split())  # wrapped at words


def test_env_lists_what_results_depend_on(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "env", "--device", "cpu")
    assert code == 0
    for key in ("framework.torch", "framework.tf32_matmul", "host.cpu_model", "framework.threads"):
        assert key in out


ERRORS = [
    (["run", "timm:efficientnetb0"], 2, "close matches: timm:efficientnet_b0"),
    (["run", "torchvision:resnet5"], 2, "close matches: torchvision:resnet50"),
    (["run", "nonsense"], 2, "cannot read model reference"),
    (["run", TINY, "--input-shape", "5,16,16"], 2, "rejected inputs of shape (2, 5, 16, 16)"),
    (["run", "models_for_tests:tiny_cnn_module"], 2, "--input-shape"),
    (["run", "models_for_tests:nope"], 2, "has no attribute"),
    (["run", "models_for_tests:NOT_CALLABLE"], 2, "not callable"),
    (["run", "no_such_package_xyz:build"], 2, "cannot import"),
    (["run", "models_for_tests:broken_factory"], 1, "weights file missing"),
    (["run", "models_for_tests:oom_model"], 4, "out of memory at batch 1 on cpu"),
    (["run", "models_for_tests:nan_model"], 5, "NaN or inf"),
    (["run", TINY, "--device", "tpu"], 2, "unknown device"),
    (["run", TINY, "-b", "0"], 2, "--batch-size must be an integer >= 1"),
    (["run", TINY, "-b", "abc"], 2, "Invalid value for '--batch-size'"),
    (["run", TINY, "--dtype", "fp64"], 2, "--dtype must be one of fp32, fp16, bf16"),
    (["run", TINY, "--precision", "5"], 2, "--precision is a fraction"),
    (["run", TINY, "--max-time", "-1"], 2, "--max-time must be a positive number"),
    (["run", TINY, "--input-shape", "3,a"], 2, "--input-shape must look like C,H,W"),
    (["run", TINY, "--autocast"], 2, "--autocast needs --dtype fp16 or bf16"),
    (["run", TINY, "--preset", "slow"], 2, "unknown preset"),
    (["run", TINY, "--threads", "0"], 2, "--threads must be an integer >= 1"),
    (["run", TINY, "--bogus"], 2, "No such option"),
    (["show", "no-such-file.json"], 7, "no such result file"),
]


@pytest.mark.parametrize(("args", "exit_code", "message"), ERRORS)
def test_errors_are_one_line_with_exit_code_and_no_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    exit_code: int,
    message: str,
) -> None:
    path = tmp_path / "r.json"
    extra = ["--json", str(path), *FAST] if args[0] == "run" else []
    code, out, err = run_cli(capsys, args[0], *extra, *args[1:])  # the case's flags win
    assert code == exit_code, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("infertime: error: ") and message in lines[0]
    assert "Traceback" not in err and out == ""
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_cuda_request_without_gpu_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, _, err = run_cli(capsys, "run", TINY, "--device", "cuda:0")
    assert code == 3 and "asked for a GPU" in err and len(err.strip().splitlines()) == 1


def test_unwritable_json_path_fails_before_measuring(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", TINY, *FAST, "--json", "/no/such/dir/r.json")
    assert code == 7 and "does not exist" in err and out == ""


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "run", "models_for_tests:nan_model", *FAST, "--debug")
    assert code == 5 and "Traceback" in err


def test_python_dash_m_and_help() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "infertime", "run", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0 and "--batch-size" in proc.stdout


@pytest.mark.slow
def test_default_model_end_to_end(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "run", "--device", "cpu", "--preset", "quick")
    assert code == 0, err
    assert "timm:efficientnet_b0 · batch 1 · fp32 · NCHW · cpu" in out
