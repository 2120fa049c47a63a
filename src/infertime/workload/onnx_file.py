"""`onnx:path/to/model.onnx`: an ONNX file timed as it is, with `--backend onnxruntime`.

There is no torch model to export: the file's bytes go to the session, and its graph inputs say
what to feed. The first dimension of every input is the batch (symbolic, or fixed and then the
only batch it takes); the others must be fixed numbers (`--input-shape` sets them for a single
input). Float inputs get seeded N(0, 1) values; integer inputs get 0 or 1 (valid token ids in
any vocabulary; all ones for an input whose name says "mask"), since the file does not say its
vocabulary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..errors import InputShapeError, MissingDependencyError, ModelCallError, ModelNotFoundError
from .inputs import InputSpec
from .loaded import LoadedModel

# ONNX TensorProto element types infertime can feed, and their torch dtype names.
# (Float inputs follow --dtype, and ONNX Runtime runs fp32 here: float16 files are not fed.)
ELEMENT_TYPES = {1: "float32", 6: "int32", 7: "int64", 9: "bool"}


class OnnxFile(torch.nn.Module):
    """Holds an ONNX file's bytes where a torch model would be; only ONNX Runtime can run it."""

    def __init__(self, path: Path, model_bytes: bytes) -> None:
        super().__init__()
        self.path = path
        self.model_bytes = model_bytes

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise ModelCallError(
            f"onnx:{self.path} is an ONNX file: it runs with --backend onnxruntime only"
        )


def load_onnx(path_text: str, input_shape: tuple[int, ...] | None = None) -> LoadedModel:
    """The file's bytes and its inputs; `input_shape` fills the item dimensions of a single
    input whose graph leaves them symbolic."""
    try:
        import onnx
    except ImportError:
        raise MissingDependencyError("onnx", "onnx", f"model onnx:{path_text}") from None
    path = Path(path_text).expanduser()
    if path.is_dir():
        raise ModelNotFoundError(
            f"onnx:{path_text} is a folder, not an .onnx file",
            advice="name the model file inside it (onnx:DIR/model.onnx)",
        )
    if not path.is_file():
        raise ModelNotFoundError(f"onnx:{path_text}: no such file")
    model_bytes = path.read_bytes()
    try:
        model = onnx.load_model_from_string(model_bytes)
    except Exception as exc:  # the parser's own error types vary by version
        raise ModelNotFoundError(f"onnx:{path_text} is not an ONNX model: {exc}") from None
    initializers = {i.name for i in model.graph.initializer}
    specs, batches = [], set()
    for value in model.graph.input:
        if value.name in initializers:  # old exporters list weights as inputs too
            continue
        specs.append(_spec(path_text, value, input_shape))
        first = value.type.tensor_type.shape.dim[0]
        if first.HasField("dim_value"):
            batches.add(int(first.dim_value))
    if not specs:
        raise InputShapeError(f"onnx:{path_text} has no inputs to feed")
    default_batch = batches.pop() if len(batches) == 1 else 1
    return LoadedModel(
        f"onnx:{path_text}", OnnxFile(path, model_bytes), tuple(specs), "the ONNX graph's inputs",
        default_batch=default_batch,
    )  # fmt: skip


def _spec(path_text: str, value: Any, input_shape: tuple[int, ...] | None) -> InputSpec:
    tensor = value.type.tensor_type
    dtype = ELEMENT_TYPES.get(int(tensor.elem_type))
    if dtype is None:
        raise InputShapeError(
            f"onnx:{path_text}: input {value.name!r} has element type {tensor.elem_type}, "
            "which infertime does not generate"
        )
    dims = list(tensor.shape.dim)
    if not dims:
        raise InputShapeError(f"onnx:{path_text}: input {value.name!r} has no batch dimension")
    item = []
    for d in dims[1:]:
        if not d.HasField("dim_value") and input_shape is not None:
            item = list(input_shape)  # --input-shape gives the item shape (checked by the caller)
            break
        if not d.HasField("dim_value"):
            raise InputShapeError(
                f"onnx:{path_text}: input {value.name!r} has a symbolic dimension "
                f"{d.dim_param or '?'} besides the batch",
                advice="give the item shape with --input-shape (one input), or export it fixed",
            )
        item.append(int(d.dim_value))
    if dtype in ("float32", "float16", "bfloat16"):
        return InputSpec(tuple(item), dtype, value.name)
    low = 1 if "mask" in value.name.lower() else 0
    return InputSpec(tuple(item), dtype, value.name, low, 1)
