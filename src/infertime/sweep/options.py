"""The options a sweep point may set, per kind: their types, how they read, how they become flags.

Each kind is the command a point runs (`infertime run`, `throughput`, `pitfalls`,
`generate`); its options are the workload fields it takes (WorkloadSpec) plus the kind's own.
Values are read from command-line text or from TOML values and checked here, before anything
runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..specs.spec import BACKENDS, COMPILE_MODES, DTYPES

# value types: "int", "float", "str", "bool", "shape" (C,H,W), "pairs" (key=value list)


@dataclass(frozen=True)
class OptionInfo:
    """One option of a point: its key (a WorkloadSpec field or the kind's option) and type."""

    key: str
    type: str
    workload: bool = False  # a WorkloadSpec field
    choices: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        return "--" + self.key.replace("_", "-")


WORKLOAD_OPTIONS = (
    OptionInfo("model", "str", True),
    OptionInfo("batch_size", "int", True),
    OptionInfo("input_shape", "shape", True),
    OptionInfo("seq_len", "int", True),
    OptionInfo("hf_config", "pairs", True),
    OptionInfo("backend", "str", True, BACKENDS),
    OptionInfo("compile_mode", "str", True, COMPILE_MODES),
    OptionInfo("dynamic", "bool", True),
    OptionInfo("dtype", "str", True, DTYPES),
    OptionInfo("autocast", "bool", True),
    OptionInfo("channels_last", "bool", True),
    OptionInfo("device", "str", True),
    OptionInfo("threads", "int", True),
    OptionInfo("seed", "int", True),
)
SAMPLING_OPTIONS = (
    OptionInfo("preset", "str", choices=("quick", "default", "rigorous")),
    OptionInfo("precision", "float"),
    OptionInfo("max_time", "float"),
)
KIND_EXTRAS = {
    "run": (
        OptionInfo("min_samples", "int"),
        OptionInfo("runs", "int"),
        OptionInfo("processes", "int"),
        OptionInfo("graph_replay", "bool"),
        OptionInfo("diagnose", "bool"),
        OptionInfo("energy", "bool"),
    ),
    "throughput": (
        OptionInfo("max_batch", "int"),
        OptionInfo("memory_fraction", "float"),
        OptionInfo("isolate", "bool"),
        OptionInfo("latency_budget", "str"),
        OptionInfo("budget_stat", "str", choices=("p99", "median")),
        OptionInfo("knee", "float"),
        OptionInfo("diagnose", "bool"),
        OptionInfo("energy", "bool"),
    ),
    "pitfalls": (OptionInfo("samples", "int"), OptionInfo("diagnose", "bool")),
    "generate": (
        OptionInfo("prompt_len", "int"),
        OptionInfo("new_tokens", "int"),
        OptionInfo("cache", "str"),
        OptionInfo("max_cache_len", "int"),
        OptionInfo("slo", "str"),
        OptionInfo("max_batch", "int"),
        OptionInfo("min_samples", "int"),
        OptionInfo("caller", "bool"),
        OptionInfo("marks_cost", "bool"),
        OptionInfo("diagnose", "bool"),
    ),
}
KINDS = tuple(KIND_EXTRAS)
# Workload fields a kind's command does not take (tests/test_sweep_options.py checks this
# table against each kind's registered command, so a new flag cannot drift unseen).
NOT_TAKEN = {
    "throughput": ("batch_size",),
    "generate": ("input_shape", "seq_len", "dynamic", "autocast", "channels_last"),
}
# Options whose flag is a pair on the command line (--x/--no-x): False is written --no-x.
PAIRED_SWITCHES = {"diagnose": "--no-diagnose", "caller": "--no-caller"}


def check_kind(kind: str) -> str:
    if kind in KINDS:
        return kind
    raise ConfigError(f"unknown sweep kind {kind!r}", advice=f"choose one of: {', '.join(KINDS)}")


def options_of(kind: str) -> dict[str, OptionInfo]:
    """Every option a point of `kind` may set, by key."""
    check_kind(kind)
    workload = [o for o in WORKLOAD_OPTIONS if o.key not in NOT_TAKEN.get(kind, ())]
    sampling = SAMPLING_OPTIONS if kind != "pitfalls" else ()  # pitfalls samples by --samples
    return {o.key: o for o in (*workload, *sampling, *KIND_EXTRAS[kind])}


def normal_key(name: str) -> str:
    """'--batch-size', 'batch-size' and 'batch_size' all name `batch_size`."""
    return name.lstrip("-").replace("-", "_")


def unknown_key(kind: str, key: str, where: str) -> ConfigError:
    known = ", ".join(sorted(options_of(kind)))
    hint = " (throughput varies the batch itself)" if key == "batch_size" else ""
    return ConfigError(
        f"unknown option {key!r} for a sweep of {kind}{hint} {where}".strip(),
        advice=f"known: {known}",
    )


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")


def read_text(info: OptionInfo, text: str) -> Any:
    """One value from command-line text."""
    text = text.strip()
    try:
        if info.type == "int":
            return read_value(info, int(text))
        if info.type == "float":
            return read_value(info, float(text))
    except ValueError:
        raise ConfigError(f"{info.flag} takes a number, got {text!r}") from None
    if info.type == "bool":
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ConfigError(f"{info.flag} takes true or false, got {text!r}")
    if info.type == "shape":
        return read_value(info, [p for p in text.replace("x", ",").split(",") if p.strip()])
    if info.type == "pairs":
        return read_value(info, [text])
    return read_value(info, text)


def read_value(info: OptionInfo, value: Any) -> Any:
    """One value from TOML (or already typed), checked against the option's type and choices."""
    kind = info.type
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{info.key} takes an integer, got {value!r}")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{info.key} takes a number, got {value!r}")
        if not math.isfinite(value):
            raise ConfigError(f"{info.key} takes a finite number, got {value!r}")
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{info.key} takes true or false, got {value!r}")
        return value
    if kind == "shape":
        try:
            shape = tuple(int(d) for d in value)
        except (TypeError, ValueError):
            raise ConfigError(f"{info.key} takes sizes such as 3,224,224, got {value!r}") from None
        if not shape or any(d < 1 for d in shape) or isinstance(value, str):
            raise ConfigError(f"{info.key} takes positive sizes such as 3,224,224, got {value!r}")
        return shape
    if kind == "pairs":
        pairs = [value] if isinstance(value, str) else value
        if not isinstance(pairs, (list, tuple)) or not all(
            isinstance(p, str) and "=" in p for p in pairs
        ):
            raise ConfigError(f"{info.key} takes key=value pairs, got {value!r}")
        return tuple(pairs)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{info.key} takes a non-empty string, got {value!r}")
    if info.choices and value not in info.choices:
        raise ConfigError(f"{info.key} must be one of {', '.join(info.choices)}, got {value!r}")
    return value


def to_argv(kind: str, values: dict[str, Any]) -> list[str]:
    """The command-line arguments after `infertime KIND` that ask for these values."""
    infos = options_of(kind)
    argv = [str(values["model"])] if "model" in values else []
    for key, value in values.items():
        if key == "model" or value is None:
            continue
        info = infos[key]
        if info.type == "bool":
            if value:
                argv.append(info.flag)
            elif key in PAIRED_SWITCHES:
                argv.append(PAIRED_SWITCHES[key])
        elif info.type == "shape":
            argv += [info.flag, ",".join(str(d) for d in value)]
        elif info.type == "pairs":
            for pair in value:
                argv += [info.flag, pair]
        else:
            argv += [info.flag, repr(value) if isinstance(value, float) else str(value)]
    return argv
