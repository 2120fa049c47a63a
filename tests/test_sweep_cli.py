"""`infertime sweep` on the command line: the dry run, bad input (exit codes, one line, nothing
run), Ray missing or unreachable, and (slow) a real sweep of a tiny model whose folder
`infertime report` and `show` read, a failed point included."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from infertime.cli.app import main

TINY = "models_for_tests:tiny_cnn"
TESTS = str(Path(__file__).resolve().parent)


def test_dry_run_lists_points_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    grid = ["run", TINY, "--batch-size", "1,8", "--dtype", "fp32,bf16", "--device", "cpu"]
    code = main(["sweep", *grid, "--preset", "quick", "--dry-run", "-o", str(tmp_path / "s")])
    out = capsys.readouterr().out
    assert code == 0
    assert "4 runs (4 points × 1 round(s)); about" in out
    assert "batch_size=8" in out or "batch-size 8" in out or "8" in out
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["run", TINY, "--bacth-size", "1,2"], "unknown option 'bacth_size'"),
        (["run", TINY, "--dtype", "fp32,fp8"], "dtype must be one of"),
        (["throughput", TINY, "--batch-size", "1,2"], "throughput varies the batch itself"),
        (["runs", TINY], "unknown sweep kind 'runs'"),
        (["run", TINY, "--executor", "slurm"], "unknown executor"),
    ],
)
def test_bad_grids_exit_2_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    assert main(["sweep", *args, "-o", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "s").exists()


def test_an_empty_grid_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "spec.toml"
    spec.write_text('kind = "run"\n[matrix]\nmodel = ["a:b"]\nbatch_size = [1]\n'
                    '[[exclude]]\nbatch_size = 1\n')  # fmt: skip
    assert main(["sweep", str(spec), "-o", str(tmp_path / "s")]) == 2
    assert "no points" in capsys.readouterr().err


def test_without_ray_exit_6_names_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    args = ["sweep", "run", TINY, "--device", "cpu", "--executor", "ray", "-o", str(tmp_path / "s")]
    assert main(args) == 6
    err = capsys.readouterr().err
    assert "infertime[ray]" in err and len(err.strip().splitlines()) == 1, err


def test_a_ray_address_that_does_not_answer_is_one_line_fast(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("ray")
    started = time.monotonic()
    args = ["sweep", "run", TINY, "--device", "cpu", "--executor", "ray",
            "--ray-address", "ray://127.0.0.1:9", "-o", str(tmp_path / "s")]  # fmt: skip
    code = main(args)
    err = capsys.readouterr().err
    assert code != 0 and "127.0.0.1:9" in err and len(err.strip().splitlines()) == 1, err
    assert time.monotonic() - started < 30
    assert not (tmp_path / "s" / "points").exists()


@pytest.mark.slow
def test_a_real_sweep_and_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([TESTS, os.environ.get("PYTHONPATH", "")]))
    monkeypatch.syspath_prepend(TESTS)
    folder = tmp_path / "s"
    spec = tmp_path / "spec.toml"
    spec.write_text(
        'kind = "run"\n[options]\ndevice = "cpu"\nthreads = 1\npreset = "quick"\nmax_time = 1.0\n'
        f'[matrix]\nmodel = ["{TINY}"]\nbatch_size = [1, 2]\n'
        '[[include]]\nmodel = "models_for_tests:nan_model"\n'
    )
    code = main(["sweep", str(spec), "-o", str(folder), "--export-json", str(tmp_path / "s.json")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "FAILED" in out and "nan" in out.lower()
    summary = json.loads((tmp_path / "s.json").read_text())
    assert len(summary["rows"]) == 3
    html = tmp_path / "r.html"
    assert main(["report", str(folder), "-o", str(html)]) == 0, capsys.readouterr().err
    text = html.read_text()
    assert "tiny_cnn" in text and "failed sweep point" in text
