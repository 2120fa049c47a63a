"""Input specifications and seeded random inputs created directly on the target device."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from ..errors import InputShapeError
from ..records import InputsRecord

_FLOAT_DTYPES = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}


def torch_dtype(name: str) -> torch.dtype:
    return _FLOAT_DTYPES[name]


@dataclass(frozen=True)
class InputSpec:
    """One model input per item (no batch dimension); integer inputs keep their value range."""

    shape: tuple[int, ...]
    dtype: str = "float32"  # torch dtype name of the example (float inputs follow --dtype)
    name: str | None = None  # keyword argument, or None for positional
    low: int | None = None  # inclusive value range for integer and bool inputs
    high: int | None = None

    @property
    def is_float(self) -> bool:
        return getattr(torch, self.dtype).is_floating_point  # type: ignore[no-any-return]


Inputs = tuple[tuple[torch.Tensor, ...], dict[str, torch.Tensor]]


def specs_from_examples(
    examples: torch.Tensor | Sequence[torch.Tensor] | Mapping[str, torch.Tensor],
) -> tuple[tuple[InputSpec, ...], int]:
    """Input specs and the batch size read off example tensors (batch dimension first)."""
    if isinstance(examples, torch.Tensor):
        named: list[tuple[str | None, torch.Tensor]] = [(None, examples)]
    elif isinstance(examples, Mapping):
        named = [(str(k), v) for k, v in examples.items()]
    else:
        named = [(None, t) for t in examples]
    if not named or not all(isinstance(t, torch.Tensor) for _, t in named):
        raise InputShapeError(
            "example inputs must be a tensor, a sequence of tensors or a dict of tensors"
        )
    specs = []
    for name, t in named:
        if t.dim() < 1:
            raise InputShapeError(
                f"example input {name or ''} is a scalar; it needs a batch dimension"
            )
        low = high = None
        if not t.is_floating_point():
            low, high = int(t.min().item()), int(t.max().item())
        specs.append(
            InputSpec(tuple(t.shape[1:]), str(t.dtype).removeprefix("torch."), name, low, high)
        )
    return tuple(specs), int(named[0][1].shape[0])


def make_inputs(
    specs: Sequence[InputSpec],
    batch: int,
    device: torch.device,
    float_dtype: torch.dtype,
    channels_last: bool,
    seed: int,
) -> Inputs:
    """Seeded inputs on `device`: floats from N(0, 1) (never zeros), integers uniform in range."""
    gen = torch.Generator(device=device)
    gen.manual_seed(seed)
    args: list[torch.Tensor] = []
    kwargs: dict[str, torch.Tensor] = {}
    for spec in specs:
        size = (batch, *spec.shape)
        if spec.is_float:
            t = torch.randn(size, generator=gen, device=device, dtype=torch.float32).to(float_dtype)
            if channels_last and t.dim() == 4:
                t = t.contiguous(memory_format=torch.channels_last)
        else:
            low = spec.low if spec.low is not None else 0
            high = spec.high if spec.high is not None else 1
            t = torch.randint(low, high + 1, size, generator=gen, device=device)
            t = t.to(getattr(torch, spec.dtype))
        if spec.name is None:
            args.append(t)
        else:
            kwargs[spec.name] = t
    return tuple(args), kwargs


def full_shapes(specs: Sequence[InputSpec], batch: int) -> tuple[tuple[int, ...], ...]:
    return tuple((batch, *s.shape) for s in specs)


def describe_inputs(
    specs: Sequence[InputSpec], float_dtype: torch.dtype, seed: int, device_name: str
) -> InputsRecord:
    """What `make_inputs` creates, for the result: shapes per item, dtypes and how."""
    floats = str(float_dtype).removeprefix("torch.")
    source = f"random normal N(0, 1), seed {seed}, created on {device_name}"
    if any(not s.is_float for s in specs):
        source += "; integer inputs uniform in the example's range"
    return InputsRecord(
        item_shapes=tuple(s.shape for s in specs),
        dtypes=tuple(floats if s.is_float else s.dtype for s in specs),
        source=source,
    )
