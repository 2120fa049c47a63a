"""A few runs of benchmarks/pytest_gate.py: the plugin's gate at 5 % through pytest, on a
tiny CPU model. What holds whatever the host's speed: noise alone never makes a regression
(an A/A gate says passed or, on a host too noisy to tell, inconclusive), and a 20 % slowdown
never passes. The full target (0 of 50, >= 95 % of 20) is in docs/validation/pytest_gate.md."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))

from pytest_gate import run_cell


@pytest.mark.slow
def test_the_gate_never_calls_noise_a_regression_nor_passes_a_slowdown() -> None:
    same = run_cell(2, 0.0, "5%", 0.0)
    slower = run_cell(2, 0.20, "5%", 0.0)
    assert len(same["tests"]) == 2 and len(slower["tests"]) == 2
    assert same["outcomes"]["regression"] == 0, same["tests"]
    assert slower["outcomes"]["passed"] == 0, slower["tests"]
