"""How a workload field is written on a command line: its flag, help, parser and printer.

`WorkloadSpec`'s field metadata holds one `Flag` per field. From them come the CLI options of
every command, the parser of `compare` configurations (the same parsers as `run`), the name of
a configuration (`spec_name`) and the list of API keywords. torch-free.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError
from ..parsing import parse_int

__all__ = [
    "Flag", "flag_meta", "parse_int", "parse_shape", "parse_switch", "parse_threads", "show_shape",
]  # fmt: skip


@dataclass(frozen=True)
class Flag:
    """One workload field on the command line.

    `takes_value` False: a switch (present = True). `repeatable`: given several times, the
    values collected in a tuple. `shared`: the same for every configuration of a comparison
    (device, threads), so given once outside a configuration's quotes.
    """

    flag: str
    help: str
    parse: Callable[[str], Any] = str
    show: Callable[[Any], str] = str
    short: str | None = None
    metavar: str | None = None
    takes_value: bool = True
    repeatable: bool = False
    shared: bool = False

    @property
    def flags(self) -> tuple[str, ...]:
        return (self.flag,) if self.short is None else (self.flag, self.short)


def flag_meta(flag: str, help: str, **kwargs: Any) -> dict[str, Flag]:
    """A dataclass field's metadata holding its Flag."""
    return {"flag": Flag(flag, help, **kwargs)}


def parse_shape(text: str) -> tuple[int, ...]:
    """'3,224,224' or '3x224x224' -> (3, 224, 224), with a clear error otherwise."""
    if not text.strip():
        raise ConfigError(f"--input-shape needs sizes such as 3,224,224, got {text!r}")
    parts = [p for p in text.replace("x", ",").replace(" ", "").split(",") if p]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise ConfigError(
            f"--input-shape must look like C,H,W (e.g. 3,224,224), got {text!r}"
        ) from None
    if not shape or any(d < 1 for d in shape):
        raise ConfigError(f"--input-shape needs positive sizes, got {text!r}")
    return shape


def show_shape(shape: tuple[int, ...]) -> str:
    return ",".join(str(d) for d in shape)


def parse_threads(text: str) -> int | str:
    """A thread count, or "auto" (the cores other processes left free, host.py)."""
    if text.strip().lower() == "auto":
        return "auto"
    return parse_int("--threads")(text)


def parse_switch(text: str) -> bool:
    return True


def show_plain(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value)
