"""What `compare` compares: configurations written like `infertime run` arguments, or specs.

"timm:resnet50 --dtype bf16 --channels-last" is one configuration: a model reference and the
flags that change what is measured, read by the same parsers as `run` (specs/text.py).
Flags that must be the same for every configuration (device, threads, the figure, the budget)
are given once, outside. torch-free.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
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

    @property
    def cuda_graph(self) -> bool:
        """Timed as the replay of a CUDA graph (it launches once per call)."""
        return self.spec.backend == "cuda-graph"


# generate's own flags: a generate configuration is not timed live inside compare (yet).
GENERATE_FLAGS = ("--prompt-len", "--new-tokens", "--cache", "--max-cache-len", "--slo")


def parse_config(text: str) -> Config:
    """A configuration from `run`-style text; one clear error for anything else."""
    if any(word in GENERATE_FLAGS for word in text.split()):
        raise ConfigError(
            "compare does not time generate configurations live: save each with `infertime "
            "generate ... --json FILE` and compare the files with --figure ttft, tpot or e2e"
        )
    spec = WorkloadSpec(**parse_words(text, OUTSIDE))
    return Config(text.strip(), spec)


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
        spec = WorkloadSpec(**fields)
        config = Config(name or spec_name(spec), spec)
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
    return Config(config.name, spec.with_overrides(overrides))


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


__all__ = ["Config", "config_of", "distinct_names", "parse_config", "spec_name"]
