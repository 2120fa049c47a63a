"""A WorkloadSpec as command-line words and back, from its fields' `Flag` metadata.

"timm:resnet50 --dtype bf16 --channels-last" is one configuration: a model reference and the
flags that change what is measured, parsed with the same parsers `infertime run` uses. The
name of a spec is the inverse: every field that differs from its default, as its flag.
torch-free.
"""

from __future__ import annotations

import shlex
from dataclasses import MISSING, fields
from typing import Any

from ..errors import ConfigError
from .flags import Flag
from .spec import WorkloadSpec


def workload_flags() -> dict[str, Flag]:
    """Field name -> its Flag, in the spec's field order (the order --help lists them)."""
    return {f.name: f.metadata["flag"] for f in fields(WorkloadSpec) if "flag" in f.metadata}


def defaults() -> dict[str, Any]:
    out = {}
    for f in fields(WorkloadSpec):
        if f.default is not MISSING:
            out[f.name] = f.default
    return out


def by_flag() -> dict[str, tuple[str, Flag]]:
    """'--batch-size' and '-b' -> (field name, Flag), for every flag but the model's."""
    out: dict[str, tuple[str, Flag]] = {}
    for name, flag in workload_flags().items():
        if name == "model":
            continue
        for word in flag.flags:
            out[word] = (name, flag)
    return out


def spec_name(spec: WorkloadSpec) -> str:
    """The spec as a configuration's text: the model and each field that differs from its
    default, as `run` would take it; specs that differ in any field get different names."""
    base = defaults()
    parts = [spec.model]
    for name, flag in workload_flags().items():
        value = getattr(spec, name)
        if name == "model" or value == base.get(name):
            continue
        if name == "backend" and spec.model.strip().startswith("onnx:"):
            continue  # implied by the reference
        word = flag.short or flag.flag
        if not flag.takes_value:
            parts.append(word)
        elif flag.repeatable:
            parts += [f"{word} {shlex.quote(flag.show(v))}" for v in value]
        else:
            parts.append(f"{word} {shlex.quote(flag.show(value))}")
    return " ".join(parts)


# Flags that no longer exist inside a configuration, and what replaced them.
RENAMED = {"--cuda-graph": "--backend cuda-graph"}


def parse_words(text: str, outside: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Spec fields from `run`-style text: a model reference, then workload flags. Flags shared
    by every configuration (device, threads) and the command's own flags (`outside`) are
    refused with advice to give them once, outside the quotes."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ConfigError(f"cannot read the configuration {text!r}: {exc}") from None
    if not words or words[0].startswith("-"):
        raise ConfigError(
            f"a configuration starts with a model reference, got {text!r}",
            advice='e.g. "timm:resnet50 --dtype bf16"',
        )
    known = by_flag()
    values: dict[str, Any] = {"model": words[0]}
    i = 1
    while i < len(words):
        word, value = words[i], None
        if "=" in word and word.startswith("--"):
            word, value = word.split("=", 1)
        if word in RENAMED:
            raise ConfigError(
                f"{word} in the configuration {text!r} is now {RENAMED[word]}",
                advice="the configuration then times the replay of a CUDA graph",
            )
        if word in outside or (word in known and known[word][1].shared):
            raise ConfigError(
                f"{word} in the configuration {text!r} applies to every configuration: give it "
                "once, outside the quotes"
            )
        if word not in known:
            takes = sorted(w for w, (_, f) in known.items() if not f.shared and w.startswith("--"))
            raise ConfigError(
                f"unknown option {word!r} in the configuration {text!r}",
                advice=f"a configuration takes {', '.join(takes)} (and -b)",
            )
        name, flag = known[word]
        if name in values and not flag.repeatable:
            raise ConfigError(f"{flag.flag} is given twice in the configuration {text!r}")
        if flag.takes_value and value is None:
            i += 1
            if i >= len(words):
                raise ConfigError(f"{word} in the configuration {text!r} needs a value")
            value = words[i]
        if not flag.takes_value and value is not None:
            raise ConfigError(f"{word} in the configuration {text!r} takes no value")
        try:
            parsed = flag.parse(value) if flag.takes_value and value is not None else True
        except ConfigError as exc:
            raise ConfigError(
                f"bad value {value!r} for {flag.flag} in the configuration {text!r}: {exc.message}"
            ) from None
        values[name] = (*values.get(name, ()), parsed) if flag.repeatable else parsed
        i += 1
    return values
