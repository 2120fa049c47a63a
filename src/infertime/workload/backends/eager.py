"""Eager PyTorch: the module called directly (under torch.autocast when the spec asks for it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch

from ..inputs import torch_dtype

if TYPE_CHECKING:
    from ...devices.base import Device
    from ..prepare import PreparedModel


class Eager:
    name = "eager"

    def check(self, device: Device) -> None:
        return None  # runs wherever torch runs

    def build(self, prepared: PreparedModel, batch: int) -> Callable[[], Any]:
        return bind_call(prepared.module, prepared, batch)


def bind_call(module: Callable[..., Any], prepared: PreparedModel, batch: int) -> Callable[[], Any]:
    """`module` called on the prepared inputs at `batch`, in the spec's autocast, with nothing
    else in the call: one closure per case, so the timed call makes no test of its own."""
    args, kwargs = prepared.inputs(batch)
    if prepared.autocast:
        device_type = prepared.torch_device.type
        dtype = torch_dtype(prepared.spec.dtype)

        def call_autocast() -> Any:
            with torch.autocast(device_type=device_type, dtype=dtype):
                return module(*args, **kwargs)

        return call_autocast
    if kwargs:
        return lambda: module(*args, **kwargs)
    return lambda: module(*args)


EAGER = Eager()
