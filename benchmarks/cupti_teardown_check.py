"""Does a torch.profiler pass leave CUPTI attached and slow later launches? (one process per mode)

    PYTHONPATH=src python benchmarks/cupti_teardown_check.py            # Kineto's default
    PYTHONPATH=src python benchmarks/cupti_teardown_check.py --teardown # TEARDOWN_CUPTI=1

Prints the article-method median latency of EfficientNet-B0 at batch 1 before profiling, after
one profiling pass, after a second one, and checks that CUDA-graph capture still works after.
"""

from __future__ import annotations

import os
import statistics
import sys

if "--teardown" in sys.argv:
    os.environ["TEARDOWN_CUPTI"] = "1"

import timm
import torch
from torch.profiler import ProfilerActivity, profile


def article_median_ms(model: torch.nn.Module, x: torch.Tensor, reps: int = 300) -> float:
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(reps):
        start.record()
        model(x)
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def main() -> None:
    model = timm.create_model("efficientnet_b0", pretrained=False).cuda().eval()
    x = torch.randn(1, 3, 224, 224, device="cuda")
    with torch.inference_mode():
        for _ in range(50):
            model(x)
        before = article_median_ms(model, x)
        results = [before]
        for _ in range(2):
            with profile(activities=[ProfilerActivity.CUDA]):
                for _ in range(20):
                    model(x)
                torch.cuda.synchronize()
            results.append(article_median_ms(model, x))
        g = torch.cuda.CUDAGraph()
        s = torch.cuda.Stream()
        s.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(s):
            model(x)
        torch.cuda.current_stream().wait_stream(s)
        with torch.cuda.graph(g):
            model(x)
        g.replay()
        torch.cuda.synchronize()
    mode = os.environ.get("TEARDOWN_CUPTI", "unset")
    print(
        f"TEARDOWN_CUPTI={mode}: median latency before profiling {results[0]:.3f} ms, after one "
        f"pass {results[1]:.3f} ms, after two {results[2]:.3f} ms; graph capture after: ok"
    )


if __name__ == "__main__":
    main()
