"""What the plugin's options and assertions read: a share of time ('5%') and a duration with
its unit ('20 ms'), each refused in one line that names where it was given. torch-free."""

from __future__ import annotations

import math
import re

from ..errors import ConfigError

# A number followed by a time unit: "500 ms", "2s", "800 µs".
_DURATION = re.compile(r"^\s*([-+]?[0-9.]+(?:e[-+]?\d+)?)\s*(ns|us|µs|ms|s)\s*$", re.I)
_SCALE = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0}
MAX_SHARE = 10.0  # 1000 %: the compare policy's own bound


def parse_share(value: object, where: str) -> float:
    """A slowdown as a share of time: '5%' or 0.05 -> 0.05.

    Refused in one line naming `where`: text that is no number ('abc'), a negative share
    ('-5%'), a duration ('500 ms': a ratio of times is gated, not a time) and a bare number of
    1 or more ('5' would be 500 %: write 5%)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"{where} takes a share of time such as 5% or 0.05, got {value!r}")
    text = value.strip() if isinstance(value, str) else repr(value)
    if isinstance(value, str) and _DURATION.match(text):
        raise ConfigError(
            f"{where} takes a share of time such as 5% (a time ratio is gated), not a "
            f"duration: {text!r}"
        )
    try:
        share = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise ConfigError(
            f"{where} takes a share of time such as 5% or 0.05, got {text!r}"
        ) from None
    if not math.isfinite(share) or share < 0:
        raise ConfigError(f"{where} must be a slowdown of 0% or more, got {text!r}")
    if share >= MAX_SHARE:
        raise ConfigError(f"{where} must be below 1000%, got {text!r}")
    if not text.endswith("%") and share >= 1:
        raise ConfigError(
            f"{where} {text} would be a share of {share:.0%}: write {text}% for {text} %, or a "
            "share such as 0.05"
        )
    return share


def parse_duration(value: object, where: str) -> float:
    """A duration with its unit: '20 ms', '0.5s', '800 us' -> seconds. A bare number is
    refused (20 ms or 20 s?), and so are shares, negative and zero durations."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"{where} takes a duration with its unit such as '20 ms', got {value!r}")
    if not isinstance(value, str):
        raise ConfigError(
            f"{where} takes a duration with its unit such as '20 ms', got the number {value!r}: "
            "write its unit"
        )
    text = value.strip()
    found = _DURATION.match(text)
    if found is None:
        if text.endswith("%"):
            raise ConfigError(
                f"{where} takes a duration such as '20 ms', not a share of time: {text!r}"
            )
        try:
            float(text)
        except ValueError:
            raise ConfigError(
                f"{where} takes a duration with its unit such as '20 ms', got {text!r}"
            ) from None
        raise ConfigError(f"{where} {text!r} needs a unit: '{text} ms', '{text} us' or '{text} s'")
    try:
        seconds = float(found.group(1)) * _SCALE[found.group(2).lower()]
    except ValueError:
        raise ConfigError(
            f"{where} takes a duration with its unit such as '20 ms', got {text!r}"
        ) from None
    if not (math.isfinite(seconds) and seconds > 0):
        raise ConfigError(f"{where} must be a positive duration, got {text!r}")
    return seconds


def share_text(share: float) -> str:
    """0.05 -> '5 %', 0.025 -> '2.5 %', 37.2 -> '3720 %'."""
    pct = share * 100
    return f"{pct:.3g} %" if abs(pct) < 100 else f"{pct:.0f} %"
