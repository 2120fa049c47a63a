"""What a model returned: every tensor in it, and whether its arithmetic is finite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from ..errors import NonFiniteOutputError


def tensors_in(obj: Any) -> Iterator[torch.Tensor]:
    """Every tensor inside a model output (tensor, sequence, mapping, dataclass-like object)."""
    if isinstance(obj, torch.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from tensors_in(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from tensors_in(v)


def check_finite(output: Any, what: str) -> None:
    """Refuse to time a model whose output holds NaN or inf: its arithmetic is broken."""
    for t in tensors_in(output):
        if (t.is_floating_point() or t.is_complex()) and not bool(torch.isfinite(t).all()):
            raise NonFiniteOutputError(
                f"{what} produced NaN or inf in its output",
                advice="check the model in fp32; fp16 overflows easily, bf16 rarely does",
            )
