"""Dataclasses to JSON-able data and back, validated, through pydantic (one place for it).

Results and the specs sent to child processes are plain frozen dataclasses; pydantic's
TypeAdapter reads their field types, so the file form is declared once, by the types, and what
is read back is checked against them (a damaged file gets a message naming the bad field).
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

T = TypeVar("T")

_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(cls: Any) -> TypeAdapter[Any]:
    """One TypeAdapter per type: building one walks every field type, which takes a while."""
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


def dump(obj: Any) -> Any:
    """JSON-able data (dicts, lists, numbers, strings) for a dataclass instance."""
    return _adapter(type(obj)).dump_python(obj, mode="json")


def load(cls: type[T], data: Any) -> T:
    """An instance of `cls` from data `dump` wrote; raises DataError naming what is wrong."""
    try:
        result: T = _adapter(cls).validate_python(data)
    except ValidationError as exc:
        raise DataError(describe(exc)) from None
    return result


def json_schema(cls: type[Any]) -> dict[str, Any]:
    schema: dict[str, Any] = _adapter(cls).json_schema(mode="serialization")
    return schema


class DataError(ValueError):
    """Data that does not match the type it should hold; the message names the first problem."""


def describe(exc: ValidationError) -> str:
    errors = exc.errors()
    first = errors[0]
    where = ".".join(str(part) for part in first["loc"]) or "(top level)"
    more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
    return f"{where}: {first['msg']}{more}"
