"""Put a workload on a device in the requested numeric format and build the callable to time."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch

from ..config import RunSpec
from ..devices.base import Device
from ..errors import (
    InputShapeError,
    ModelCallError,
    NonFiniteOutputError,
    OutOfMemoryError,
)
from .inputs import Inputs, full_shapes, make_inputs, torch_dtype
from .workload import Workload

_SHAPE_WORDS = re.compile(
    r"size|shape|dimension|expected|channels|mat1|mat2|must match|input type|too small", re.I
)


def _tensors(obj: Any) -> Iterator[torch.Tensor]:
    """Every tensor inside a model output (tensor, sequence, mapping, dataclass-like object)."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _tensors(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _tensors(v)


def check_finite(output: Any, what: str) -> None:
    """Refuse to time a model whose output holds NaN or inf: its arithmetic is broken."""
    for t in _tensors(output):
        if (t.is_floating_point() or t.is_complex()) and not bool(torch.isfinite(t).all()):
            raise NonFiniteOutputError(
                f"{what} produced NaN or inf in its output",
                advice="check the model in fp32; fp16 overflows easily, bf16 rarely does",
            )


class PreparedModel:
    """A workload in eval mode, in the run's dtype and memory format, on the run's device."""

    def __init__(self, workload: Workload, device: Device, spec: RunSpec) -> None:
        self.workload = workload
        self.device = device
        self.spec = spec
        self.torch_device: torch.device = device.torch_device  # type: ignore[attr-defined]
        self.autocast = spec.dtype_mode == "autocast"
        self.float_dtype = torch.float32 if self.autocast else torch_dtype(spec.dtype)
        module = workload.module
        try:
            if not self.autocast and spec.dtype != "fp32":
                module = module.to(dtype=self.float_dtype)
            if spec.channels_last:
                module = module.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
            self.module = module.to(self.torch_device)
        except Exception as exc:
            if device.is_oom(exc):
                raise OutOfMemoryError(
                    f"{workload.reference} does not fit on {device.name} even without inputs",
                    advice="use a smaller model or --dtype bf16",
                ) from None
            raise

    @contextmanager
    def in_eval_mode(self) -> Iterator[None]:
        """eval() for the measurement; a caller's module gets its training flag back after."""
        was_training = self.module.training
        self.module.eval()
        try:
            yield
        finally:
            self.module.train(was_training)

    def inputs(self, batch: int) -> Inputs:
        return make_inputs(
            self.workload.inputs,
            batch,
            self.torch_device,
            self.float_dtype,
            self.spec.channels_last,
            self.spec.seed,
        )

    def input_shapes(self, batch: int) -> tuple[tuple[int, ...], ...]:
        return full_shapes(self.workload.inputs, batch)

    def run(self, args: tuple[torch.Tensor, ...], kwargs: dict[str, torch.Tensor]) -> Any:
        """One forward pass on given inputs (under autocast when the run uses it)."""
        if self.autocast:
            with torch.autocast(self.torch_device.type, dtype=torch_dtype(self.spec.dtype)):
                return self.module(*args, **kwargs)
        return self.module(*args, **kwargs)

    def call_for(self, batch: int) -> Callable[[], Any]:
        """The closure the engine times: one forward pass on inputs already on the device."""
        args, kwargs = self.inputs(batch)
        module = self.module
        if self.autocast:
            device_type = self.torch_device.type
            dtype = torch_dtype(self.spec.dtype)

            def call_autocast() -> Any:
                with torch.autocast(device_type=device_type, dtype=dtype):
                    return module(*args, **kwargs)

            return call_autocast
        if kwargs:
            return lambda: module(*args, **kwargs)
        return lambda: module(*args)

    def explain_failure(self, exc: BaseException, batch: int) -> Exception:
        """Turn an exception from the model into one clear error."""
        if self.device.is_oom(exc):
            return OutOfMemoryError(
                f"out of memory at batch {batch} on {self.device.name} ({self.workload.reference}, "
                f"{self.spec.dtype_label})",
                advice="lower --batch-size, try --dtype bf16, or free the device",
            )
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        shapes = " and ".join(str(s) for s in self.input_shapes(batch))
        if isinstance(exc, (RuntimeError, ValueError, TypeError, IndexError)) and (
            _SHAPE_WORDS.search(first_line) or self.workload.shape_source == "--input-shape"
        ):
            return InputShapeError(
                f"{self.workload.reference} rejected inputs of shape {shapes}: {first_line}",
                advice=f"the model expects {self.workload.expected}",
            )
        return ModelCallError(
            f"{self.workload.reference} raised {type(exc).__name__} on inputs of shape {shapes}: "
            f"{first_line}"
        )
