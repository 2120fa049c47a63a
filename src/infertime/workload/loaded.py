"""A model as loaded: the module, its input specs, and where its input shape came from."""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from ..errors import InputShapeError
from .inputs import InputSpec


@dataclass(frozen=True)
class LoadedModel:
    reference: str  # e.g. "timm:efficientnet_b0", "mypkg.models:build", "module:TinyCnn"
    module: torch.nn.Module
    inputs: tuple[InputSpec, ...]
    shape_source: str  # e.g. "timm's data config input_size", "--input-shape"
    default_batch: int = 1

    def with_input_shape(self, shape: tuple[int, ...]) -> LoadedModel:
        """The same model with its single input resized to `shape` (per item)."""
        if len(self.inputs) != 1:
            raise InputShapeError(
                f"--input-shape sets one input; {self.reference} takes {len(self.inputs)} inputs"
            )
        spec = replace(self.inputs[0], shape=tuple(shape))
        return replace(self, inputs=(spec,), shape_source="--input-shape")

    @property
    def expected(self) -> str:
        shapes = ", ".join("(" + ", ".join(map(str, s.shape)) + ")" for s in self.inputs)
        return f"{shapes} per item ({self.shape_source})"
