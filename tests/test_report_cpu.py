"""Reports of tiny real CPU runs, from their files: every number in the tables is the value in
the file as written (its JSON text, not the object it came from)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

import infertime
from infertime.policies import MeasureConfig, StopPolicy, WarmupPolicy
from infertime.reporting.html.report import load_results, write_report
from models_for_tests import TinyCnn
from report_checks import check_numbers

pytest.importorskip("matplotlib")
pytestmark = pytest.mark.slow

CONFIG = MeasureConfig(
    warmup=WarmupPolicy(min_time_s=0.01, min_calls=3, window_time_s=0.005, max_time_s=0.3),
    stop=StopPolicy(precision=0.05, min_samples=6, max_time_s=0.3),
    preset="test",
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("runs")
    x = torch.randn(2, 3, 16, 16)
    results = [
        infertime.measure_latency(TinyCnn(), x, device="cpu", config=CONFIG),
        infertime.measure_throughput(TinyCnn(), x, device="cpu", max_batch=8, config=CONFIG),
        infertime.measure_pitfalls(TinyCnn(), x, device="cpu", samples=10),
    ]
    paths = []
    for r in results:
        paths.append(infertime.save_json(r, folder / f"{r.kind}.json"))
    return paths


def test_numbers_equal_the_files_text(files: list[Path], tmp_path: Path) -> None:
    results, names, skipped = load_results(files)
    out = write_report(tmp_path / "report.html", results, names=names)
    documents = [json.loads(p.read_text()) for p in files]
    assert check_numbers(out.read_text(), documents) > 60
    assert not skipped


def test_a_folder_of_runs_makes_one_report(files: list[Path], tmp_path: Path) -> None:
    results, names, _ = load_results([files[0].parent])
    assert sorted(names) == sorted(str(p) for p in files)
    html = write_report(tmp_path / "r.html", results, names=names).read_text()
    for kind in ("latency", "throughput", "pitfalls"):
        assert f'id="kind-{kind}"' in html
