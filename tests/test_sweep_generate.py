"""A generate point in a sweep: its result (the golden CPU file) is accepted as the point's,
by the workload and by generate's own options, and its table figures are TTFT and tokens/s."""

from __future__ import annotations

import json
from pathlib import Path

from infertime.sweep.cliargs import parse_grid_args
from infertime.sweep.figures import read_figures
from infertime.sweep.identity import PlannedPoint, plan_point
from infertime.sweep.store import result_matches

GOLDEN = Path(__file__).parent / "golden" / "v6_generate_cpu.json"
HF = ["--hf-config", "n_layer=2", "--hf-config", "n_embd=64", "--hf-config", "n_head=4",
      "--hf-config", "vocab_size=1000", "--hf-config", "n_positions=64"]  # fmt: skip


def point(*args: str) -> PlannedPoint:
    grid = parse_grid_args("generate", ["hf:gpt2", *HF, "--device", "cpu", "--threads", "1", *args])
    return plan_point(grid.points()[0], False)


def test_the_golden_generate_result_is_its_points_and_reads_as_ttft() -> None:
    document = json.loads(GOLDEN.read_text())
    ok = point("--batch-size", "2", "--prompt-len", "12", "--new-tokens", "6")
    assert result_matches(document, ok, "golden")
    other = point("--batch-size", "2", "--prompt-len", "16", "--new-tokens", "6")
    assert not result_matches(document, other, "golden")
    figures = read_figures(document)
    assert figures.headline == "TTFT" and figures.batch == 2
    assert figures.latency_s and figures.ci and figures.items_per_s
