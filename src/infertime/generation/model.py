"""Causal LMs from `hf:TYPE` / `hf:./dir`: random weights built on the target device in the
target dtype, random prompts, EOS removed, and the KV cache's size per token.

The config is read as `infertime.workload.hf` reads it (model-type defaults or a local
config.json, `--hf-config key=value` on top, nothing downloaded); the length checks run on
the config, before any weight exists. The model is then built inside a `torch.device`
context with transformers' `dtype` argument, so a 7B model is never materialised in fp32 on
the CPU first.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..devices.base import Device
from ..errors import ConfigError, MissingDependencyError, ModelCallError, ModelNotFoundError
from ..errors import OutOfMemoryError as InfertimeOOM
from ..workload.hf import is_local
from .spec import GenerationSpec

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2}
CAUSAL_EXAMPLES = "hf:gpt2, hf:llama, hf:qwen2, hf:mistral"


def torch_dtype(name: str) -> Any:
    import torch

    return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[name]


def _transformers() -> Any:
    try:
        import transformers
    except ImportError:
        raise MissingDependencyError("transformers", "hf", "infertime generate") from None
    return transformers


def read_config(reference: str, overrides: Sequence[str]) -> Any:
    """The config of `hf:TYPE` or `hf:./dir` with the overrides applied and checked, as `run`
    reads it (workload/hf.py `read_config`); nothing downloaded."""
    _transformers()
    from ..workload.hf import read_config as read_hf_config

    return read_hf_config(reference.removeprefix("hf:"), overrides)


def causal_lm_class(reference: str, config: Any) -> str:
    """The AutoModelForCausalLM class name for this config, or one line saying what generate
    needs. Encoders that transformers can also run as a decoder (BERT, RoBERTa, ...) count
    only with `is_decoder=True`: as configured they attend both ways and keep no cache."""
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_FOR_MASKED_LM_MAPPING_NAMES,
    )

    model_type = getattr(config, "model_type", "?")
    needs = (
        f"generate needs a causal language model: a decoder that predicts the next token from "
        f"a KV cache ({CAUSAL_EXAMPLES}, ...)"
    )
    name = MODEL_FOR_CAUSAL_LM_MAPPING_NAMES.get(model_type)
    if name is None or getattr(config, "is_encoder_decoder", False):
        raise ModelNotFoundError(f"{reference} ({model_type}) is not a causal LM; {needs}")
    if model_type in MODEL_FOR_MASKED_LM_MAPPING_NAMES and not getattr(config, "is_decoder", False):
        raise ModelNotFoundError(
            f"{reference} ({model_type}) is an encoder, not a causal LM; {needs}",
            advice="--hf-config is_decoder=true runs it as a decoder",
        )
    return str(name)


def max_positions(config: Any) -> int | None:
    """The positions the model was configured for (gpt2's n_positions maps here), if any."""
    value = getattr(config, "max_position_embeddings", None)
    return value if isinstance(value, int) and value > 0 else None


def check_positions(spec: GenerationSpec, config: Any) -> None:
    """P + N (and a static cache's length) within the model's positions: exit 2 before building."""
    limit = max_positions(config)
    need = spec.cache_len or spec.total_len
    if limit is not None and need > limit:
        what = "the static cache length" if spec.cache_len else "prompt + new tokens"
        raise ConfigError(
            f"{what} ({need}) is more than {spec.model} has positions for ({limit})",
            advice=f"shorten --prompt-len / --new-tokens, or --hf-config "
            f"max_position_embeddings={need}",
        )
    vocab = getattr(config, "vocab_size", None)
    if not isinstance(vocab, int) or vocab < 1:
        raise ModelNotFoundError(f"{spec.model}: its config has no usable vocab_size ({vocab!r})")


@dataclass(frozen=True)
class KvLayout:
    """What one token of one sequence adds to the KV cache, from the config."""

    layers: int
    kv_heads: int
    head_dim: int
    dtype_bytes: int

    @property
    def bytes_per_token(self) -> int:
        """layers x 2 (keys and values) x KV heads x head dim x bytes per element."""
        return self.layers * 2 * self.kv_heads * self.head_dim * self.dtype_bytes


def kv_layout(config: Any, dtype: str) -> KvLayout | None:
    """The cache's shape per token from the usual config fields; None where they are missing
    (a model with a different attention scheme: then only the measured size is reported)."""
    text = config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config
    layers = getattr(text, "num_hidden_layers", None)
    heads = getattr(text, "num_attention_heads", None)
    kv_heads = getattr(text, "num_key_value_heads", None) or heads
    hidden = getattr(text, "hidden_size", None)
    head_dim = getattr(text, "head_dim", None)
    if not isinstance(head_dim, int) and isinstance(hidden, int) and isinstance(heads, int):
        head_dim = hidden // heads if heads else None
    if not all(isinstance(v, int) and v > 0 for v in (layers, kv_heads, head_dim)):
        return None
    assert isinstance(layers, int) and isinstance(kv_heads, int) and isinstance(head_dim, int)
    return KvLayout(layers, kv_heads, head_dim, DTYPE_BYTES[dtype])


@dataclass
class BuiltModel:
    """A causal LM ready to time: the module, its config, and how it was made."""

    reference: str
    module: Any  # transformers PreTrainedModel, eval mode, on the device, in the dtype
    config: Any
    class_name: str
    source: str  # "transformers 5.24.0 GPT2Config defaults" / "... config.json"
    parameters: int
    parameter_bytes: int
    build_s: float
    attn_implementation: str | None
    removed_eos_ids: tuple[int, ...]  # EOS ids the generation config had (now None)
    kv: KvLayout | None
    forward_arguments: frozenset[str]  # forward()'s parameter names ("cache" or the old name)

    @property
    def cache_argument(self) -> str:
        """transformers 5 names the KV cache `cache`; 4.x named it `past_key_values`."""
        return "cache" if "cache" in self.forward_arguments else "past_key_values"


def _ids(value: Any) -> tuple[int, ...]:
    if value is None:
        return ()
    if isinstance(value, int):
        return (value,)
    return tuple(int(v) for v in value)


def remove_eos(module: Any) -> tuple[int, ...]:
    """Take EOS off the model's generation config (transformers PR #29114: `min_new_tokens`
    alone does not stop EOS unless the call and `model.generation_config` both lack it);
    returns the ids that were there."""
    gen = getattr(module, "generation_config", None)
    if gen is None:
        return ()
    before = _ids(getattr(gen, "eos_token_id", None))
    gen.eos_token_id = None
    return before


def build_model(spec: GenerationSpec, device: Device, config: Any | None = None) -> BuiltModel:
    """Read and check the config, then build the model on `device` in `spec.dtype`."""
    transformers = _transformers()
    import inspect

    import torch
    from transformers import AutoModelForCausalLM

    if config is None:
        config = read_config(spec.model, spec.hf_config)
    class_name = causal_lm_class(spec.model, config)
    check_positions(spec, config)
    if hasattr(config, "use_cache"):
        config.use_cache = True
    target = getattr(device, "torch_device", None)
    if target is None:
        raise ConfigError(f"generate needs a torch device (cpu or cuda); got {device.name}")
    kwargs: dict[str, Any] = {}
    if spec.attn_implementation is not None:
        kwargs["attn_implementation"] = spec.attn_implementation
    dtype = torch_dtype(spec.dtype)
    t0 = time.perf_counter()
    try:
        with torch.device(target), device.activate():
            try:
                module = AutoModelForCausalLM.from_config(config, dtype=dtype, **kwargs)  # type: ignore[no-untyped-call]
            except TypeError:  # transformers before 4.56 named it torch_dtype
                module = AutoModelForCausalLM.from_config(  # type: ignore[no-untyped-call]
                    config, torch_dtype=dtype, **kwargs
                )
        device.synchronize()
    except ValueError as exc:
        raise ConfigError(f"{spec.model}: transformers cannot build it: {exc}") from None
    except Exception as exc:
        if device.is_oom(exc):
            raise InfertimeOOM(
                f"{spec.model} does not fit on {device.name} in {spec.dtype}",
                advice="choose a smaller --hf-config (fewer layers, smaller hidden size)",
            ) from None
        raise ModelCallError(f"{spec.model}: building the model failed: {exc}") from exc
    build_s = time.perf_counter() - t0
    module.eval()
    params = list(module.parameters())
    origin = (
        "config.json"
        if is_local(spec.model.removeprefix("hf:"))
        else (f"{type(config).__name__} defaults")
    )
    return BuiltModel(
        reference=spec.model,
        module=module,
        config=config,
        class_name=class_name,
        source=f"transformers {transformers.__version__} {origin}, random weights",
        parameters=sum(p.numel() for p in params),
        parameter_bytes=sum(p.numel() * p.element_size() for p in params),
        build_s=build_s,
        attn_implementation=getattr(module.config, "_attn_implementation", None),
        removed_eos_ids=remove_eos(module),
        kv=kv_layout(config, spec.dtype),
        forward_arguments=frozenset(inspect.signature(module.forward).parameters),
    )


def random_prompt(config: Any, spec: GenerationSpec, torch_device: Any) -> Any:
    """`batch_size` x `prompt_len` token ids drawn uniformly from the vocabulary, seeded
    (drawn on the CPU, so a seed gives the same prompt on every device)."""
    import torch

    generator = torch.Generator().manual_seed(spec.seed)
    ids = torch.randint(
        0, int(config.vocab_size), (spec.batch_size, spec.prompt_len), generator=generator
    )
    return ids.to(torch_device)


def out_of_memory(spec: GenerationSpec, kv: KvLayout | None, where: str) -> InfertimeOOM:
    """The OOM exit for one batch, naming the batch and the KV cache it needs."""
    tokens = spec.cache_len or spec.total_len
    if kv is not None:
        need = kv.bytes_per_token * tokens * spec.batch_size
        size = (
            f"; its KV cache alone takes {need / 2**20:.1f} MiB ({spec.batch_size} sequences x "
            f"{tokens} tokens x {kv.bytes_per_token} bytes per token)"
        )
    else:
        size = ""
    return InfertimeOOM(
        f"out of memory {where} at batch {spec.batch_size}{size}",
        advice="use a smaller --batch-size, shorter sequences, or a smaller dtype",
    )
