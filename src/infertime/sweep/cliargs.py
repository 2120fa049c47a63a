"""A grid from list-valued command-line options: `--batch-size 1,8,64 --dtype fp32,bf16`.

Each option may be repeated and (except shapes and key=value pairs, which hold commas) take
comma-separated values; one value fixes the option, several make an axis. Repeated
`--hf-config` pairs make one value, as in `infertime run` (sweep them from a file). Model references
may also come as positional arguments. Switches stand alone (`--channels-last`) or take
`true,false` to sweep both; `--no-diagnose` turns the diagnosis off.
"""

from __future__ import annotations

from typing import Any

from ..errors import ConfigError
from .grid import Grid
from .options import normal_key, options_of, read_text, unknown_key

_BOOL_WORDS = ("true", "false", "yes", "no", "on", "off", "1", "0")


def parse_grid_args(kind: str, args: list[str]) -> Grid:
    """The grid these arguments ask for (ConfigError naming the option otherwise)."""
    infos = options_of(kind)
    values: dict[str, list[Any]] = {}

    def add(key: str, value: Any) -> None:
        values.setdefault(key, [])
        if value not in values[key]:
            values[key].append(value)

    i = 0
    while i < len(args):
        token = args[i]
        i += 1
        if not token.startswith("-") or token == "-":
            add("model", read_text(infos["model"], token))
            continue
        name, eq, inline = token.partition("=")
        key = normal_key(name)
        if key.startswith("no_") and key[3:] in infos and infos[key[3:]].type == "bool":
            if eq:
                raise ConfigError(f"{name} takes no value")
            add(key[3:], False)
            continue
        if key not in infos:
            raise unknown_key(kind, key, "on the command line")
        info = infos[key]
        if info.type == "bool" and not eq:
            nxt = args[i] if i < len(args) else None
            if nxt is None or not all(w.lower() in _BOOL_WORDS for w in nxt.split(",") if w):
                add(key, True)
                continue
        if eq:
            text = inline
        elif i < len(args):
            text = args[i]
            i += 1
        else:
            raise ConfigError(f"{name} needs a value")
        parts = [text] if info.type in ("shape", "pairs") else [p for p in text.split(",")]
        if any(not p.strip() for p in parts):
            raise ConfigError(f"{name} has an empty value in {text!r}")
        if info.type == "pairs":  # repeated pairs make one value, as in `infertime run`
            values[key] = [(*(values.get(key) or [()])[0], *read_text(info, text))]
            continue
        for part in parts:
            add(key, read_text(info, part))
    fixed = {k: v[0] for k, v in values.items() if len(v) == 1}
    axes = tuple((k, tuple(v)) for k, v in values.items() if len(v) > 1)
    return Grid(kind, fixed, axes)
