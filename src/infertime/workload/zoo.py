"""Model zoos: timm and torchvision, imported lazily, random weights, input size from the zoo."""

from __future__ import annotations

import difflib
import importlib
from types import ModuleType

from ..errors import InputShapeError, MissingDependencyError, ModelNotFoundError
from .inputs import InputSpec
from .loaded import LoadedModel


def _require(package: str, purpose: str) -> ModuleType:
    try:
        return importlib.import_module(package)
    except ImportError:
        raise MissingDependencyError(package, "zoo", purpose) from None


def _not_found(zoo: str, name: str, known: list[str]) -> ModelNotFoundError:
    close = difflib.get_close_matches(name, known, n=5, cutoff=0.6)
    if not close:
        close = [k for k in known if name.lower() in k.lower()][:5]
    hint = f"close matches: {', '.join(f'{zoo}:{c}' for c in close)}" if close else None
    return ModelNotFoundError(f"{zoo} has no model named {name!r}", advice=hint)


def load_timm(name: str) -> LoadedModel:
    timm = _require("timm", f"model timm:{name}")
    from timm.models import is_model, split_model_name_tag

    arch, _tag = split_model_name_tag(name)
    if not is_model(arch):
        raise _not_found("timm", name, timm.list_models())
    module = timm.create_model(name, pretrained=False)
    config = timm.data.resolve_model_data_config(module)
    shape = tuple(int(d) for d in config["input_size"])
    return LoadedModel(f"timm:{name}", module, (InputSpec(shape),), "timm's data config input_size")


def load_torchvision(name: str) -> LoadedModel:
    tv = _require("torchvision", f"model torchvision:{name}")
    known = tv.models.list_models()
    if name not in known:
        raise _not_found("torchvision", name, known)
    module = tv.models.get_model(name, weights=None)
    return LoadedModel(
        f"torchvision:{name}",
        module,
        (InputSpec(_torchvision_shape(tv, name)),),
        "torchvision weights' crop size",
    )


def _torchvision_shape(tv: ModuleType, name: str) -> tuple[int, ...]:
    """C,H,W from the default weights' evaluation transform (nothing is downloaded)."""
    try:
        transforms = tv.models.get_model_weights(name).DEFAULT.transforms()
    except (ValueError, AttributeError):
        transforms = None
    crop = getattr(transforms, "crop_size", None)
    kind = type(transforms).__name__ if transforms is not None else "unknown"
    if kind != "ImageClassification" or not crop:
        raise InputShapeError(
            f"torchvision:{name} has no standard input size (its transform is {kind})",
            advice="give one with --input-shape, e.g. 3,520,520 (video models: C,T,H,W)",
        )
    h = int(crop[0])
    w = int(crop[1]) if len(crop) > 1 else h
    return (3, h, w)
