"""CUDA graphs: the eager call captured once, then replayed (launch overhead removed).

Capture runs on an explicit side stream of the model's own device, never on a stream torch
would pick for "the current device" (torch.cuda.graph's default capture stream is created on
whatever device is current and cached for the whole process).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...errors import CaptureError, ConfigError, first_line, option
from .eager import EAGER

if TYPE_CHECKING:
    from ...devices.base import Device
    from ..prepare import PreparedModel

WARMUP_CALLS = 3  # on the side stream before capture: allocator, cuDNN/cuBLAS handles


class GraphReplay:
    """One replay of a captured graph per call; `close()` frees the graph and its memory pool."""

    def __init__(self, call: Callable[[], Any], torch_device: Any) -> None:
        import torch

        self._device = torch_device
        # The eager call holds the captured inputs: they must live as long as the graph replays.
        self._call: Callable[[], Any] | None = call
        self._replay: Callable[[], Any] | None = None
        self._graph: Any = torch.cuda.CUDAGraph()
        side = torch.cuda.Stream(device=torch_device)  # type: ignore[no-untyped-call]
        main = torch.cuda.current_stream(torch_device)
        try:
            side.wait_stream(main)
            with torch.cuda.stream(side):
                for _ in range(WARMUP_CALLS):
                    call()
            main.wait_stream(side)
            with torch.cuda.graph(self._graph, stream=side):
                call()
            torch.cuda.synchronize(torch_device)
        except Exception as exc:
            self.close()
            raise CaptureError(
                f"the model cannot be captured in a CUDA graph: {first_line(exc, limit=None)}",
                advice="models that synchronize with the host or have data-dependent shapes "
                "cannot be captured; use the eager backend, or try "
                "torch.compile(mode='reduce-overhead')",
            ) from exc
        self._replay = self._graph.replay

    def __call__(self) -> None:
        self._replay()  # type: ignore[misc]  # None only after close()

    def close(self) -> None:
        import torch

        if self._graph is None:
            return
        self._graph = None
        self._replay = None
        self._call = None
        torch.cuda.synchronize(self._device)
        torch.cuda.empty_cache()

    def __del__(self) -> None:
        if getattr(self, "_graph", None) is not None:
            self.close()


class CudaGraph:
    name = "cuda-graph"

    def check(self, device: Device) -> None:
        if device.kind != "cuda":
            raise ConfigError(
                f"CUDA graphs ({option('backend')} cuda-graph, {option('graph_replay')}) need a "
                f"CUDA device, not {device.name}"
            )

    def build(self, prepared: PreparedModel, batch: int) -> Callable[[], Any]:
        return GraphReplay(EAGER.build(prepared, batch), prepared.torch_device)


CUDA_GRAPH = CudaGraph()
