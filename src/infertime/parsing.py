"""Text on a command line to values, one parser per sort of value, each failing with one line
that names the flag (the same wording wherever the flag is read: a command, a configuration)."""

from __future__ import annotations

import math
from collections.abc import Callable

from .errors import ConfigError


def parse_int(flag: str) -> Callable[[str], int]:
    """Whole numbers, with click's wording (so every parser of a flag says the same)."""

    def parse(text: str) -> int:
        try:
            return int(text.strip())
        except ValueError:
            raise ConfigError(
                f"Invalid value for '{flag}': {text!r} is not a valid integer."
            ) from None

    return parse


def parse_float(flag: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            return float(text.strip())
        except ValueError:
            raise ConfigError(
                f"Invalid value for '{flag}': {text!r} is not a valid float."
            ) from None

    return parse


def parse_duration_s(text: str) -> float:
    """'50ms', '0.05s', '2.5' (seconds), '800us' -> seconds."""
    t = text.strip().lower()
    for suffix, scale in (("us", 1e-6), ("µs", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if t.endswith(suffix):
            t, factor = t[: -len(suffix)], scale
            break
    else:
        factor = 1.0
    try:
        value = float(t) * factor
    except ValueError:
        raise ConfigError(f"not a duration: {text!r} (examples: 50ms, 0.2s, 800us)") from None
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"a duration must be positive, got {text!r}")
    return value


def parse_seconds(flag: str) -> Callable[[str], float]:
    """A duration with a unit (5s, 500ms) or a bare number of seconds."""

    def parse(text: str) -> float:
        try:
            return float(text.strip())  # seconds; the policy checks it is positive
        except ValueError:
            pass
        try:
            return parse_duration_s(text)
        except ConfigError as exc:
            raise ConfigError(f"{flag}: {exc.message}") from None

    return parse


def parse_share(flag: str) -> Callable[[str], float]:
    """A share of something: '1%' or '0.01'."""

    def parse(text: str) -> float:
        t = text.strip()
        try:
            return float(t[:-1]) / 100 if t.endswith("%") else float(t)
        except ValueError:
            raise ConfigError(f"{flag} takes a share such as 1% or 0.01, got {text!r}") from None

    return parse


def parse_duration_with_unit(flag: str) -> Callable[[str], float]:
    """A duration that must say its unit (a latency budget of '50' is ambiguous)."""

    def parse(text: str) -> float:
        t = text.strip()
        try:
            float(t)
        except ValueError:
            return parse_duration_s(t)
        raise ConfigError(
            f"{flag} {t} needs a unit: {t}ms, {t}us or {t}s", advice="e.g. --latency-budget 50ms"
        )

    return parse
