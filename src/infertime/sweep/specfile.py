"""A grid from a TOML file: kind, fixed options, a matrix, exclusions and extra points.

    kind = "run"                    # run, throughput or pitfalls
    [options]                       # every point
    preset = "quick"
    [matrix]                        # axes: every combination
    model = ["timm:resnet50", "timm:efficientnet_b0"]
    batch_size = [1, 64, 256]
    dtype = ["fp32", "bf16"]
    [[exclude]]                     # drop matrix points matching every key (a list: any of)
    model = "timm:resnet50"
    batch_size = 256
    [[include]]                     # extra points, over [options]
    model = "timm:resnet50"
    batch_size = 128

Keys may use dashes or underscores. A wrong key or value is refused naming the key and its
line, before anything runs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InfertimeError, MissingDependencyError
from .grid import Grid
from .options import check_kind, normal_key, options_of, read_value, unknown_key

TABLES = ("options", "matrix", "exclude", "include")


def _tomllib() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    try:
        import tomli  # type: ignore[import-not-found]
    except ImportError:  # a dependency on 3.10 (pyproject); this only guards a broken install
        raise MissingDependencyError(
            "tomli", "all", "reading a sweep file on Python 3.10"
        ) from None
    return tomli


class Lines:
    """Where each key of the file is: (table, entry index, key) -> line number."""

    _HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(#.*)?$")
    _KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+|\"[^\"]*\"|'[^']*')\s*=")

    def __init__(self, text: str) -> None:
        self.where: dict[tuple[str, int, str], int] = {}
        self.tables: dict[tuple[str, int], int] = {}
        table, index = "", 0
        counts: dict[str, int] = {}
        for number, line in enumerate(text.splitlines(), start=1):
            header = self._HEADER.match(line)
            if header:
                table = header.group(2).strip().strip("\"'")
                index = counts.get(table, 0)
                counts[table] = index + 1
                self.tables.setdefault((table, index), number)
                continue
            key = self._KEY.match(line)
            if key:
                name = key.group(1).strip("\"'")
                self.where.setdefault((table, index, name), number)

    def of(self, table: str, key: str | None = None, index: int = 0) -> str:
        number = self.tables.get((table, index)) if key is None else None
        if key is not None:
            number = self.where.get((table, index, key))
        return f"line {number}" if number else (f"[{table}]" if table else "top level")


def load_grid_file(path: str | Path) -> Grid:
    """The grid a sweep file describes; ConfigError (exit 2) naming the key and line."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no such sweep file: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read sweep file {p}: {exc}") from None
    return parse_grid_text(text, str(p))


def parse_grid_text(text: str, name: str = "the sweep file") -> Grid:
    toml = _tomllib()
    try:
        data = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        raise ConfigError(f"{name} is not valid TOML: {exc}") from None
    lines = Lines(text)

    def fail(message: str, table: str, key: str | None = None, index: int = 0) -> ConfigError:
        return ConfigError(f"{name}, {lines.of(table, key, index)}: {message}")

    for key in data:
        if key not in ("kind", *TABLES):
            raise fail(
                f"unknown key {key!r} (a sweep file has kind, [options], [matrix], "
                "[[exclude]] and [[include]])",
                "",
                key,
            )
    kind = data.get("kind")
    if not isinstance(kind, str):
        raise ConfigError(f'{name}: kind = "run" (or throughput, pitfalls) is missing')
    try:
        check_kind(kind)
    except ConfigError as exc:
        raise fail(exc.one_line(), "", "kind") from None
    infos = options_of(kind)

    def entry(table: str, values: Any, index: int, lists: bool) -> dict[str, Any]:
        if not isinstance(values, dict):
            raise fail(f"[{table}] must be a table of options", table, None, index)
        out: dict[str, Any] = {}
        for raw_key, value in values.items():
            key = normal_key(raw_key)
            if key not in infos:
                raise fail(unknown_key(kind, key, "").one_line(), table, raw_key, index)
            try:
                if lists:
                    many = (
                        value if isinstance(value, list) and not _one_value(key, value) else [value]
                    )
                    if table == "matrix" and not many:
                        raise ConfigError(f"{key} has no values")
                    out[key] = tuple(read_value(infos[key], v) for v in many)
                else:
                    out[key] = read_value(infos[key], value)
            except InfertimeError as exc:
                raise fail(exc.one_line(), table, raw_key, index) from None
        return out

    fixed = entry("options", data.get("options", {}), 0, lists=False)
    matrix = entry("matrix", data.get("matrix", {}), 0, lists=True)
    excludes = tuple(
        entry("exclude", e, i, lists=True) for i, e in enumerate(_entries(data, "exclude", fail))
    )
    includes = tuple(
        entry("include", e, i, lists=False) for i, e in enumerate(_entries(data, "include", fail))
    )
    for key in matrix:
        if key in fixed:
            raise fail(f"{key} is both in [options] and in [matrix]", "matrix", key)
    return Grid(kind, fixed, tuple(matrix.items()), excludes, includes, source=name)


def _one_value(key: str, value: list[Any]) -> bool:
    """A list that is one value (a shape [3, 224, 224] or hf_config pairs), not an axis."""
    if key == "input_shape":
        return all(isinstance(v, int) for v in value)
    if key == "hf_config":
        return all(isinstance(v, str) for v in value)
    return False


def _entries(data: dict[str, Any], table: str, fail: Any) -> list[Any]:
    value = data.get(table, [])
    if isinstance(value, dict):
        return [value]
    if not isinstance(value, list):
        raise fail(f"{table} must be [[{table}]] tables", "", table)
    return value
