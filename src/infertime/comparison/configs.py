"""What `compare` compares: configurations written like `infertime run` arguments, or specs.

"timm:resnet50 --dtype bf16 --channels-last" is one configuration: a model reference and the
flags that change what is measured, read by the same parsers as `run` (specs/text.py).
Flags that must be the same for every configuration (device, threads, the figure, the budget)
are given once, outside. torch-free.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..parsing import parse_int
from ..specs.spec import WorkloadSpec
from ..specs.text import parse_words, spec_name

# The compare command's own flags: they apply to every configuration at once.
OUTSIDE = frozenset(
    {
        "--figure", "--max-time", "--precision", "--preset", "--processes", "--copies",
        "--fail-if-slower", "--allow-different", "--json", "--format", "-d",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Config:
    """One configuration of a comparison: its name and what it measures."""

    name: str
    spec: WorkloadSpec
    # A generate configuration: generate's own options (prompt_len, new_tokens, cache,
    # max_cache_len) as sorted (name, value) pairs; None for a latency configuration.
    generate: tuple[tuple[str, Any], ...] | None = None

    @property
    def is_generate(self) -> bool:
        return self.generate is not None

    @property
    def cuda_graph(self) -> bool:
        """Timed as the replay of a CUDA graph (it launches once per call)."""
        return self.spec.backend == "cuda-graph"


# generate's own flags inside a configuration's text: option name, how its value is read.
GENERATE_FLAGS: dict[str, tuple[str, Any]] = {
    "--prompt-len": ("prompt_len", parse_int("--prompt-len")),
    "--new-tokens": ("new_tokens", parse_int("--new-tokens")),
    "--cache": ("cache", str),
    "--max-cache-len": ("max_cache_len", parse_int("--max-cache-len")),
}
GENERATE_KEYS = frozenset(name for name, _ in GENERATE_FLAGS.values())


def split_generate(text: str) -> tuple[str, dict[str, Any] | None]:
    """(the text without generate's own flags, their values; None where it has none)."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ConfigError(f"cannot read the configuration {text!r}: {exc}") from None
    if "--slo" in words or any(w.startswith("--slo=") for w in words):
        raise ConfigError(
            f"--slo in the configuration {text!r}: compare times one batch per configuration "
            "(the batch search is infertime generate's)"
        )
    rest: list[str] = []
    own: dict[str, Any] = {}
    i = 0
    while i < len(words):
        word, value = words[i], None
        if "=" in word and word.startswith("--"):
            word, value = word.split("=", 1)
        if word not in GENERATE_FLAGS:
            rest.append(words[i])
            i += 1
            continue
        if value is None:
            if i + 1 >= len(words):
                raise ConfigError(f"{word} needs a value in the configuration {text!r}")
            value, i = words[i + 1], i + 1
        name, parse = GENERATE_FLAGS[word]
        if name in own:
            raise ConfigError(f"{word} is given twice in the configuration {text!r}")
        own[name] = parse(value)
        i += 1
    return shlex.join(rest), (own or None)


def parse_config(text: str) -> Config:
    """A configuration from `run`-style text (with generate's own flags, a generate
    configuration); one clear error for anything else."""
    rest, own = split_generate(text)
    spec = WorkloadSpec(**parse_words(rest, OUTSIDE))
    return Config(text.strip(), spec, tuple(sorted(own.items())) if own else None)


def config_of(item: Any, shared: Mapping[str, Any]) -> Config:
    """A Config from text, a WorkloadSpec or a mapping of spec fields; `shared` (device,
    threads) applies to all of them and may not differ from what an item sets."""
    if isinstance(item, str):
        config = parse_config(item)
    elif isinstance(item, WorkloadSpec):
        config = Config(spec_name(item), item)
    elif isinstance(item, Mapping):
        fields = dict(item)
        name = str(fields.pop("name", "")) or None
        own = {k: fields.pop(k) for k in sorted(GENERATE_KEYS & set(fields))}
        spec = WorkloadSpec(**fields)
        generate = tuple(own.items()) if own else None
        config = Config(name or generate_name(spec, own), spec, generate)
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
    return Config(config.name, spec.with_overrides(overrides), config.generate)


def generate_name(spec: WorkloadSpec, own: Mapping[str, Any]) -> str:
    """A configuration's name: the spec's, then generate's own options as flags."""
    words = [f"{word} {own[name]}" for word, (name, _) in GENERATE_FLAGS.items() if name in own]
    return " ".join([spec_name(spec), *words])


def refuse_mixed(configs: Sequence[Config], figure: str, generate_figures: Sequence[str]) -> bool:
    """True for generate configurations (all of them), False for latency ones; a mix, or a
    figure of the other side, is refused in one line."""
    kinds = {c.is_generate for c in configs}
    if len(kinds) > 1:
        first = next(c for c in configs if c.is_generate)
        raise ConfigError(
            f"cannot compare a generate configuration ({first.name}) with a latency one: give "
            "every configuration generate's flags (--prompt-len, --new-tokens) or none"
        )
    generate = kinds.pop()
    if not generate and figure in generate_figures:
        raise ConfigError(
            f"--figure {figure} is a generate figure: give the configurations generate's "
            "flags (e.g. --prompt-len 32 --new-tokens 16), or compare latency or device_time"
        )
    if generate and figure == "device_time":
        raise ConfigError(
            "generate configurations are compared by --figure ttft, tpot or e2e (latency: "
            "e2e; device path, per call), not device_time"
        )
    return generate


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


__all__ = [
    "Config",
    "config_of",
    "distinct_names",
    "parse_config",
    "refuse_mixed",
    "spec_name",
]
