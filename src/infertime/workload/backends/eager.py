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
        args, kwargs = prepared.inputs(batch)
        module = prepared.module
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
