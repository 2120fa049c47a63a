"""Shared fixtures: GPU markers skip without CUDA; small measurement policies for fast tests."""

from __future__ import annotations

import gc

import pytest

from infertime.policies import MeasureConfig, StopPolicy, WarmupPolicy

# The fault matrix's fixtures (cli, case, files), loaded here so that their asserts are rewritten.
pytest_plugins = ["fault_harness", "fault_files"]


def _cuda_count() -> int:
    try:
        import torch

        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    except Exception:
        return 0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    count = _cuda_count()
    for item in items:
        if "cuda" in item.keywords and count < 1:
            item.add_marker(pytest.mark.skip(reason="needs a CUDA GPU"))
        if "multigpu" in item.keywords and count < 2:
            item.add_marker(pytest.mark.skip(reason="needs two or more CUDA GPUs"))


def pytest_collection_finish(session: pytest.Session) -> None:
    # The measuring code collects garbage before each timed loop (engine/timing.py, as it
    # should); in a test session holding torch, transformers and every test module, each such
    # collection walks hundreds of thousands of objects. Objects alive now stay alive for the
    # session: move them out of the collector's sight so that those collections are cheap.
    gc.collect()
    gc.freeze()


@pytest.fixture
def fast_config() -> MeasureConfig:
    """Short budgets for real-CPU tests: correctness of the flow, not precision."""
    return MeasureConfig(
        warmup=WarmupPolicy(min_time_s=0.01, min_calls=3, window_time_s=0.005, max_time_s=0.5),
        stop=StopPolicy(precision=0.05, min_samples=6, max_time_s=0.5),
        preset="test",
    )
