"""Capture the model in a CUDA graph and return a replay callable (its own, labelled figure)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import CaptureError


@contextmanager
def captured(call: Callable[[], Any], torch_device: Any, warmup_calls: int = 3) -> Iterator[Any]:
    """Yield `graph.replay` for `call` captured on `torch_device`; frees the graph after.

    Capture needs warm-up on a side stream (allocator and cuDNN/cuBLAS handles set up outside
    the capture), as torch.cuda.graphs documents.
    """
    import torch

    graph = torch.cuda.CUDAGraph()
    side = torch.cuda.Stream(device=torch_device)  # type: ignore[no-untyped-call]
    main = torch.cuda.current_stream(torch_device)
    try:
        side.wait_stream(main)
        with torch.cuda.stream(side):
            for _ in range(warmup_calls):
                call()
        main.wait_stream(side)
        with torch.cuda.graph(graph):
            call()
        torch.cuda.synchronize(torch_device)
    except Exception as exc:
        del graph
        torch.cuda.synchronize(torch_device)
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise CaptureError(
            f"the model cannot be captured in a CUDA graph: {first}",
            advice="models that synchronize with the host or have data-dependent shapes cannot "
            "be captured; drop --cuda-graph, or try torch.compile(mode='reduce-overhead')",
        ) from exc
    try:
        yield graph.replay
    finally:
        del graph
        torch.cuda.synchronize(torch_device)
        torch.cuda.empty_cache()


def measure_graph_latency(
    call: Callable[[], Any],
    device: Any,
    config: Any,
    timer_overhead_s: float,
    progress: Any,
) -> Any:
    """Latency of one graph replay per call, synchronized, sampled like the other figures."""
    from dataclasses import replace

    from .. import stats
    from ..engine.sampler import latency_calls_per_sample, sample_series
    from ..engine.timing import gc_paused
    from ..engine.warmup import warm_up

    with gc_paused(config.timing.disable_gc), captured(call, device.torch_device) as replay:
        warm = warm_up(replay, device, replace(config.warmup, min_time_s=0.1), 0.0, progress)
        call_s = stats.median(warm.samples_s[-10:])
        return sample_series(
            "graph_latency",
            replay,
            device,
            calls_per_sample=latency_calls_per_sample(call_s, timer_overhead_s, config.timing),
            sync_each=True,
            policy=config.stop,
            budget_s=config.stop.max_time_s / 2,
            progress=progress,
        )
