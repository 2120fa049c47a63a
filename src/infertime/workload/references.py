"""Model reference to loaded model: 'timm:NAME', 'torchvision:NAME', 'hf:TYPE' (or 'hf:./dir')
or 'package.module:callable'."""

from __future__ import annotations

import difflib
import importlib
import re
from typing import Any

import torch

from ..errors import InputShapeError, ModelCallError, ModelNotFoundError, from_command_line
from .inputs import InputSpec, specs_from_examples
from .loaded import LoadedModel
from .zoo import load_timm, load_torchvision

_CALLABLE_REF = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def load_reference(
    reference: str,
    input_shape: tuple[int, ...] | None = None,
    seq_len: int | None = None,
    hf_config: tuple[str, ...] = (),
) -> LoadedModel:
    """Build the model a reference names, with random weights; nothing is downloaded."""
    ref = reference.strip()
    zoo, _, name = ref.partition(":")
    if zoo == "onnx" and name:
        from .onnx_file import load_onnx

        workload = load_onnx(name, input_shape)
    elif zoo == "hf" and name:
        from .hf import load_hf

        workload = load_hf(name, seq_len, hf_config)
    elif zoo == "timm" and name:
        workload = load_timm(name)
    elif zoo == "torchvision" and name:
        workload = load_torchvision(name)
    elif _CALLABLE_REF.match(ref):
        workload = _load_callable(ref, input_shape)
    else:
        raise ModelNotFoundError(
            f"cannot read model reference {reference!r}",
            advice="use timm:NAME, torchvision:NAME, hf:TYPE or package.module:callable "
            "(e.g. timm:resnet50, torchvision:resnet50, hf:bert)",
        )
    if input_shape is not None and workload.shape_source != "--input-shape":
        workload = workload.with_input_shape(input_shape)
    return workload


def from_module(
    module: torch.nn.Module, example_inputs: Any, reference: str | None = None
) -> LoadedModel:
    """A loaded model from a module and example inputs (the Python API's direct form)."""
    if not isinstance(module, torch.nn.Module):
        raise ModelNotFoundError(f"expected a torch.nn.Module, got {type(module).__name__}")
    if example_inputs is None:
        if from_command_line():
            raise InputShapeError(
                f"{reference or 'the model'} returned no example inputs",
                advice="pass --input-shape C,H,W, or return (model, example_inputs)",
            )
        raise InputShapeError(
            "a module needs example inputs",
            advice="pass example_inputs=torch.randn(1, 3, 224, 224)",
        )
    specs, batch = specs_from_examples(example_inputs)
    label = reference or f"module:{type(module).__name__}"
    return LoadedModel(label, module, specs, "example inputs", default_batch=batch)


ZOOS = ("timm", "torchvision", "hf", "onnx")


def _load_callable(ref: str, input_shape: tuple[int, ...] | None) -> LoadedModel:
    module_path, attr_path = ref.split(":", 1)
    try:
        mod = importlib.import_module(module_path)
    except ImportError as exc:
        # 'timmm:resnet18' is a typo of a zoo more often than a package of that name.
        zoo = difflib.get_close_matches(module_path, ZOOS, n=1, cutoff=0.75)
        advice = (
            f"did you mean {zoo[0]}:{attr_path}?"
            if zoo
            else "check the package is installed and on PYTHONPATH"
        )
        raise ModelNotFoundError(
            f"cannot import {module_path!r} for model {ref!r}: {exc}", advice=advice
        ) from None
    obj: Any = mod
    for part in attr_path.split("."):
        if not hasattr(obj, part):
            close = difflib.get_close_matches(part, [n for n in dir(obj) if not n.startswith("_")])
            hint = f"close matches: {', '.join(close)}" if close else None
            raise ModelNotFoundError(f"{module_path} has no attribute {attr_path!r}", advice=hint)
        obj = getattr(obj, part)
    if not callable(obj):
        raise ModelNotFoundError(f"{ref} is not callable; it must return an nn.Module")
    try:
        made = obj()
    except SystemExit as exc:  # must not pick infertime's exit code
        raise ModelCallError(f"the factory {ref} called sys.exit({exc.code!r})") from None
    except Exception as exc:  # a user factory can raise anything; say where it came from
        raise ModelCallError(f"the factory {ref} raised {type(exc).__name__}: {exc}") from exc
    if isinstance(made, torch.nn.Module):
        if input_shape is None:
            raise InputShapeError(
                f"{ref} returned a module without example inputs",
                advice="pass --input-shape C,H,W or return (model, example_inputs)",
            )
        return LoadedModel(ref, made, (InputSpec(tuple(input_shape)),), "--input-shape")
    if isinstance(made, tuple) and len(made) == 2 and isinstance(made[0], torch.nn.Module):
        return from_module(made[0], made[1], reference=ref)
    raise ModelNotFoundError(
        f"{ref} returned {type(made).__name__}; it must return an nn.Module "
        "or a (module, example_inputs) tuple"
    )
