"""A plain callable as a module, so that it can be measured like one (eval mode, inference
mode, its inputs made on the device). Imports torch: imported when a test measures."""

from __future__ import annotations

import re
from typing import Any

import torch

from ..errors import ModelNotFoundError


class CallableModule(torch.nn.Module):
    """Calls `fn(*inputs)`. infertime moves, casts and puts in eval mode this wrapper only:
    a model the callable closes over is used as it is (on its device, in its dtype)."""

    def __init__(self, fn: Any) -> None:
        super().__init__()
        self.fn = fn

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)


def as_module(model: Any) -> Any:
    """A module or a model reference as it is; a callable wrapped, its class named after it
    (the result's model reads 'module:my_model_call')."""
    if isinstance(model, (str, torch.nn.Module)) or type(model).__name__ == "WorkloadSpec":
        return model
    if not callable(model):
        raise ModelNotFoundError(
            f"expected a model: an nn.Module, a callable or a model reference such as "
            f"'timm:resnet50', got {type(model).__name__}"
        )
    name = re.sub(r"\W", "_", getattr(model, "__name__", type(model).__name__)) or "call"
    if not name.isidentifier():
        name = f"call_{name}"
    wrapper = type(name, (CallableModule,), {"__module__": __name__})
    return wrapper(model)
