"""Hugging Face transformers models by name: `hf:TYPE` (a model type such as bert, gpt2, vit,
t5) or `hf:./dir` (a local config.json), built from the config with random weights.

Nothing is downloaded: the config class's defaults give the sizes, `--hf-config key=value`
changes them, and a local directory is read for its config.json only. Encoder-decoder models
(t5, bart, ...) are timed as their encoder: a decoder needs a generation loop, which is not one
call. Token models get random ids in the vocabulary and an all-ones attention mask of
`--seq-len` tokens (default 128); vision models get pixel values of the config's image size.
"""

from __future__ import annotations

import difflib
import inspect
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError, MissingDependencyError, ModelCallError, ModelNotFoundError
from .inputs import InputSpec
from .loaded import LoadedModel

DEFAULT_SEQ_LEN = 128
# Config keys that are sizes or counts (layers, heads, widths, vocabulary, positions).
_COUNT = re.compile(r"(^num_|^n_|_size$|_layers$|_heads$|^max_position|_dim$|^n_embd$|_groups$)")


def is_local(name: str) -> bool:
    """A path, not a model type: it says so (./, /, ~, or a folder separator)."""
    return name.startswith((".", "/", "~")) or "/" in name


def parse_overrides(pairs: Sequence[str]) -> dict[str, Any]:
    """'key=value' pairs; a value is read as JSON where it can be (12, 0.1, true), else text."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip().isidentifier():
            raise ConfigError(f"--hf-config takes key=value, such as num_hidden_layers=4: {pair!r}")
        try:
            out[key.strip()] = json.loads(text)
        except ValueError:
            out[key.strip()] = text
    return out


def read_config(name: str, overrides: Sequence[str]) -> Any:
    """The config of the model type `name` (or the checkpoint folder `./dir`) with the
    `--hf-config` overrides applied and checked; nothing downloaded. Shared by `load_hf` and
    the generate kind (generation/model.py)."""
    try:
        from transformers import AutoConfig
        from transformers.models.auto.configuration_auto import CONFIG_MAPPING
    except ImportError:
        raise MissingDependencyError("transformers", "hf", f"model hf:{name}") from None
    changes = parse_overrides(overrides)
    if is_local(name):
        path = Path(name).expanduser()
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(f"hf:{name}: no config.json in {path}")
        try:
            config = AutoConfig.from_pretrained(str(path), local_files_only=True)
        except (ValueError, OSError, KeyError) as exc:
            where = path / "config.json"
            raise ModelNotFoundError(f"hf:{name}: cannot read {where}: {exc}") from None
    else:
        known = list(CONFIG_MAPPING.keys())
        if name not in known:
            close = difflib.get_close_matches(name, known, n=5, cutoff=0.6)
            hint = f"close matches: {', '.join(f'hf:{c}' for c in close)}" if close else None
            longest_first = sorted(known, key=len, reverse=True)
            base = next((k for k in longest_first if name.startswith(k)), None)
            if "-" in name or ("_" in name and base):
                # A Hub checkpoint's name (bert-base-uncased): nothing is downloaded here.
                hint = (
                    f"hf: takes a model type (hf:{base or 'bert'}) with random weights and "
                    f"--hf-config changes, or a folder holding a checkpoint's config.json "
                    f"(hf:./dir); infertime downloads nothing, so Hub names such as {name} are "
                    "not loaded"
                )
            raise ModelNotFoundError(f"transformers has no model type {name!r}", advice=hint)
        config = AutoConfig.for_model(name)
    for key, value in changes.items():
        if not hasattr(config, key):
            close = difflib.get_close_matches(key, list(config.to_dict()), n=3)
            hint = f"close matches: {', '.join(close)}" if close else None
            raise ConfigError(f"hf:{name}'s config has no setting {key!r}", advice=hint)
        current = getattr(config, key)
        if (
            _COUNT.search(key)
            and isinstance(current, int)
            and not isinstance(current, bool)
            and current > 0
            and isinstance(value, int)
            and not isinstance(value, bool)
            and value < 1
        ):
            # transformers builds a model with -1 layers without a word (and times nothing).
            raise ConfigError(
                f"hf:{name}'s {key} is a size or a count: it must be a whole number of at least "
                f"1 (its default is {current}), got {value!r}"
            )
        try:
            setattr(config, key, value)
        except Exception as exc:  # transformers checks types and refuses read-only keys
            raise ConfigError(f"hf:{name}: cannot set {key}={value!r}: {exc}") from None
    return config


def load_hf(name: str, seq_len: int | None, overrides: Sequence[str]) -> LoadedModel:
    try:
        import transformers
        from transformers import AutoModel
    except ImportError:
        raise MissingDependencyError("transformers", "hf", f"model hf:{name}") from None
    config = read_config(name, overrides)
    if hasattr(config, "use_cache"):
        config.use_cache = False  # one forward pass, no key/value cache to return
    try:
        model = AutoModel.from_config(config)  # type: ignore[no-untyped-call]
    except ValueError as exc:  # no model class for it, or sizes that do not fit together
        raise ConfigError(f"hf:{name}: transformers cannot build it: {exc}") from None
    except Exception as exc:  # a bad override can fail deep inside the model's constructor
        raise ModelCallError(f"hf:{name}: building the model failed: {exc}") from exc
    # A config.json may name a dtype (bf16 checkpoints do) and transformers builds in it;
    # infertime's --dtype alone decides, from fp32.
    model = model.float()
    part = ""
    if getattr(config, "is_encoder_decoder", False) and hasattr(model, "get_encoder"):
        model, part = model.get_encoder(), " (encoder)"
    specs = _inputs(name, model, config, seq_len)
    origin = "config.json" if is_local(name) else f"{type(config).__name__} defaults"
    source = f"transformers {transformers.__version__} {origin}{part}"
    return LoadedModel(f"hf:{name}", model, specs, source)


def _inputs(name: str, model: Any, config: Any, seq_len: int | None) -> tuple[InputSpec, ...]:
    main = getattr(model, "main_input_name", "input_ids")
    takes = set(inspect.signature(model.forward).parameters)
    if main == "input_ids":
        seq = seq_len or DEFAULT_SEQ_LEN
        limit = getattr(config, "max_position_embeddings", None)
        if isinstance(limit, int) and 0 < limit < seq:
            raise ConfigError(
                f"--seq-len {seq} is longer than hf:{name} allows ({limit} positions)",
                advice=f"use --seq-len {limit} or less, or --hf-config max_position_embeddings=N",
            )
        vocab = getattr(config, "vocab_size", None)
        if not isinstance(vocab, int):  # composite configs (clip, blip) need more inputs
            raise ModelNotFoundError(
                f"hf:{name} takes more than token ids (its config has no vocab_size)",
                advice="wrap it in a callable reference returning (model, example_inputs)",
            )
        if vocab < 1:
            raise ConfigError(f"hf:{name}: vocab_size must be at least 1, got {vocab}")
        specs = [InputSpec((seq,), "int64", "input_ids", 0, vocab - 1)]
        if "attention_mask" in takes:
            specs.append(InputSpec((seq,), "int64", "attention_mask", 1, 1))
        return tuple(specs)
    if seq_len is not None:
        raise ConfigError(f"--seq-len applies to token models; hf:{name} takes {main}")
    if main == "pixel_values":
        vision = getattr(config, "vision_config", config)
        size = getattr(vision, "image_size", 224)
        h, w = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
        channels = int(getattr(vision, "num_channels", 3))
        return (InputSpec((channels, h, w), "float32", "pixel_values"),)
    raise ModelNotFoundError(
        f"hf:{name} takes {main}, an input infertime does not generate",
        advice="wrap it in a callable reference returning (model, example_inputs)",
    )
