"""Backends: one small interface that turns a prepared model into the call the engine times.

A backend says whether it can run on a device (`check`, before anything is built) and builds,
for one batch size, a callable that runs one forward pass on inputs already on the device.
The callable owns what it needs (inputs, a captured graph) and frees it when closed or dropped.
Adding a runtime (torch.compile, ONNX Runtime) is one file here and one entry in BACKENDS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from ...errors import ConfigError
from ...sections import BackendBuild

if TYPE_CHECKING:
    from ...devices.base import Device
    from ..prepare import PreparedModel


class Backend(Protocol):
    name: str

    def check(self, device: Device) -> None:
        """Raise ConfigError when this backend cannot run on `device`."""
        ...

    def build(self, prepared: PreparedModel, batch: int) -> Callable[[], Any]:
        """The call to time: one forward pass at `batch`, inputs created on the device."""
        ...


def build_call(prepared: PreparedModel, batch: int) -> Callable[[], Any]:
    """The call every measurement times: the spec's backend (`--backend`), built at `batch`."""
    return get_backend(prepared.spec.backend).build(prepared, batch)


def setup_of(call: Callable[[], Any]) -> BackendBuild | None:
    """What building the call cost and chose (a compile's time), where the backend says."""
    setup = getattr(call, "setup", None)
    return setup if isinstance(setup, BackendBuild) else None


def close_call(call: Callable[[], Any]) -> None:
    close = getattr(call, "close", None)
    if close is not None:
        close()


@contextmanager
def opened(backend: Backend, prepared: PreparedModel, batch: int) -> Iterator[Callable[[], Any]]:
    """`backend.build(...)`, closed (its graph or buffers freed) when the block ends."""
    call = backend.build(prepared, batch)
    try:
        yield call
    finally:
        close_call(call)


def get_backend(name: str) -> Backend:
    from .compiled import COMPILED
    from .cuda_graph import CUDA_GRAPH
    from .eager import EAGER
    from .onnxruntime import ONNXRUNTIME

    backends: dict[str, Backend] = {
        "eager": EAGER,
        "cuda-graph": CUDA_GRAPH,
        "compile": COMPILED,
        "onnxruntime": ONNXRUNTIME,
    }
    try:
        return backends[name]
    except KeyError:
        raise ConfigError(
            f"unknown backend {name!r}", advice=f"choose one of: {', '.join(backends)}"
        ) from None
