"""What `compare` compares: configurations written like `infertime run` arguments, or specs.

"timm:resnet50 --dtype bf16 --channels-last" is one configuration: a model reference and the
flags that change what is measured. Flags that must be the same for every configuration
(device, threads, the figure, the budget) are given once, outside. torch-free.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..workload.spec import WorkloadSpec

# flag -> (spec field, takes a value)
FLAGS: dict[str, tuple[str, bool]] = {
    "-b": ("batch_size", True),
    "--batch-size": ("batch_size", True),
    "--dtype": ("dtype", True),
    "--autocast": ("autocast", False),
    "--channels-last": ("channels_last", False),
    "--input-shape": ("input_shape", True),
    "--seed": ("seed", True),
    "--seq-len": ("seq_len", True),
    "--hf-config": ("hf_config", True),
    "--cuda-graph": ("cuda_graph", False),
    "--backend": ("backend", True),
    "--compile-mode": ("compile_mode", True),
    "--dynamic": ("dynamic", False),
}
SHARED = {"--device", "-d", "--threads", "--figure", "--max-time", "--precision", "--preset"}


@dataclass(frozen=True)
class Config:
    """One configuration of a comparison: its name, what it measures, and how it is called."""

    name: str
    spec: WorkloadSpec
    cuda_graph: bool = False


def parse_config(text: str) -> Config:
    """A configuration from `run`-style text; one clear error for anything else."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ConfigError(f"cannot read the configuration {text!r}: {exc}") from None
    if not words or words[0].startswith("-"):
        raise ConfigError(
            f"a configuration starts with a model reference, got {text!r}",
            advice='e.g. "timm:resnet50 --dtype bf16"',
        )
    fields: dict[str, Any] = {"model": words[0]}
    i = 1
    while i < len(words):
        word, value = words[i], None
        if "=" in word and word.startswith("--"):
            word, value = word.split("=", 1)
        if word in SHARED:
            raise ConfigError(
                f"{word} in the configuration {text!r} applies to every configuration: give it "
                "once, outside the quotes"
            )
        if word not in FLAGS:
            raise ConfigError(
                f"unknown option {word!r} in the configuration {text!r}",
                advice=f"a configuration takes {', '.join(sorted(set(FLAGS) - {'-b'}))} (and -b)",
            )
        name, takes_value = FLAGS[word]
        if takes_value and value is None:
            i += 1
            if i >= len(words):
                raise ConfigError(f"{word} in the configuration {text!r} needs a value")
            value = words[i]
        if not takes_value and value is not None:
            raise ConfigError(f"{word} in the configuration {text!r} takes no value")
        if name == "hf_config":  # repeatable
            fields[name] = (*fields.get(name, ()), str(value))
        else:
            fields[name] = _convert(name, value, text) if takes_value else True
        i += 1
    cuda_graph = bool(fields.pop("cuda_graph", False))
    spec = WorkloadSpec(**fields)
    if cuda_graph and spec.backend != "eager":
        raise ConfigError(f"--cuda-graph replays the eager model, not {spec.backend}: {text!r}")
    return Config(text.strip(), spec, cuda_graph)


def _convert(name: str, value: Any, text: str) -> Any:
    try:
        if name in ("batch_size", "seed", "seq_len"):
            return int(value)
        if name == "input_shape":
            return tuple(int(v) for v in str(value).split(","))
    except ValueError:
        raise ConfigError(f"bad value {value!r} for {name} in the configuration {text!r}") from None
    return value


def config_of(item: Any, shared: Mapping[str, Any]) -> Config:
    """A Config from text, a WorkloadSpec or a mapping of spec fields; `shared` (device,
    threads) applies to all of them and may not differ from what an item sets."""
    if isinstance(item, str):
        config = parse_config(item)
    elif isinstance(item, WorkloadSpec):
        config = Config(spec_name(item), item)
    elif isinstance(item, Mapping):
        fields = dict(item)
        cuda_graph = bool(fields.pop("cuda_graph", False))
        name = str(fields.pop("name", "")) or None
        spec = WorkloadSpec(**fields)
        config = Config(name or spec_name(spec), spec, cuda_graph)
    else:
        raise ConfigError(
            "a configuration is text such as 'timm:resnet50 --dtype bf16', a WorkloadSpec or "
            f"a dict of its fields, got {type(item).__name__}"
        )
    spec = config.spec
    for key in ("device", "threads"):
        if key in shared and getattr(spec, key) not in (getattr(WorkloadSpec(), key), shared[key]):
            raise ConfigError(f"{key} is shared by every configuration of a comparison")
    overrides = {k: v for k, v in shared.items() if v is not None}
    return Config(config.name, spec.with_overrides(overrides), config.cuda_graph)


def distinct_names(names: Sequence[str]) -> list[str]:
    """The names, a repeated one numbered from its second use ("x", "x #2"): verdicts, tables
    and the result's figures are keyed by name, and an A/A comparison repeats one."""
    used: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate in used:  # "x #2" may itself be taken by an explicit name
            n += 1
            candidate = f"{name} #{n}"
        used.add(candidate)
        out.append(candidate)
    return out


def spec_name(spec: WorkloadSpec) -> str:
    parts = [spec.model]
    if spec.batch_size is not None:
        parts.append(f"-b {spec.batch_size}")
    if spec.dtype != "fp32":
        parts.append(f"--dtype {spec.dtype}" + (" --autocast" if spec.autocast else ""))
    if spec.channels_last:
        parts.append("--channels-last")
    if spec.backend != "eager":
        parts.append(f"--backend {spec.backend}")
    if spec.compile_mode is not None:
        parts.append(f"--compile-mode {spec.compile_mode}")
    if spec.dynamic:
        parts.append("--dynamic")
    if spec.seq_len is not None:
        parts.append(f"--seq-len {spec.seq_len}")
    parts += [f"--hf-config {pair}" for pair in spec.hf_config]
    return " ".join(parts)
