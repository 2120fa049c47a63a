"""How energy is measured: window length rule, window count, idle baseline, period polling."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import ConfigError


def _positive(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"energy {name} must be a positive number, got {value!r}")
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"energy {name} must be a positive number, got {value!r}")


def _count(name: str, value: int, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"energy {name} must be an integer >= {low}, got {value!r}")


@dataclass(frozen=True)
class EnergyPolicy:
    """Defaults follow issue 25: windows of at least max(2 s, 200 x the update period), at least
    3 of them; an idle baseline of at least 5 s; integrated power within 5 % of the counter."""

    min_window_s: float = 2.0
    period_multiple: float = 200.0  # a stale edge costs at most 1/200 of a window: 0.5 %
    min_windows: int = 3
    max_windows: int = 12
    precision: float = 0.02  # stop adding windows once J/call's CI half-width is this tight
    max_time_s: float = 30.0  # windows past min_windows stop after this long
    lead_in_s: float = 1.0  # back-to-back calls before the first window: power and clocks settle
    idle_s: float = 5.0
    idle_windows: int = 5  # sub-windows of the baseline (their spread gives its CI)
    idle_period_multiple: float = 20.0  # each idle sub-window is at least this many periods
    period_intervals: int = 6  # intervals between counter changes, to measure the period
    period_poll_s: float = 0.5e-3
    period_timeout_s: float = 10.0  # no change in this long: the counter is stuck
    confidence: float = 0.95
    cross_check_tolerance: float = 0.05
    cross_check_min_readings: int = 10

    def __post_init__(self) -> None:
        for name in (
            "min_window_s",
            "period_multiple",
            "precision",
            "max_time_s",
            "lead_in_s",
            "idle_s",
            "idle_period_multiple",
            "period_poll_s",
            "period_timeout_s",
            "cross_check_tolerance",
        ):
            _positive(name.replace("_", " "), getattr(self, name))
        _count("min windows", self.min_windows, 2)
        _count("max windows", self.max_windows, self.min_windows)
        _count("idle windows", self.idle_windows, 2)
        _count("period intervals", self.period_intervals, 2)
        _count("cross-check min readings", self.cross_check_min_readings, 2)
        if not 0.5 <= self.confidence < 1:
            raise ConfigError(f"energy confidence must be in [0.5, 1), got {self.confidence}")

    def window_s(self, update_period_s: float) -> float:
        """The shortest window: the policy's minimum, or `period_multiple` update periods."""
        return max(self.min_window_s, self.period_multiple * update_period_s)

    def idle_window_s(self, update_period_s: float) -> float:
        return max(self.idle_s / self.idle_windows, self.idle_period_multiple * update_period_s)

    def window_rule(self) -> str:
        return (
            f"windows >= max({self.min_window_s:g} s, {self.period_multiple:g} x median update "
            f"period), >= {self.min_windows} windows, more until J/call ±{self.precision:.0%} "
            f"or {self.max_windows} windows or {self.max_time_s:g} s"
        )


def energy_policy(value: object) -> EnergyPolicy | None:
    """The `energy=` keyword of the public functions as a policy: False or None (off), True
    (issue 25's defaults), an EnergyPolicy, or a dict of its fields (what a parent process
    sends a child); anything else is refused in one line."""
    if value is None or value is False:
        return None
    if value is True:
        return EnergyPolicy()
    if isinstance(value, EnergyPolicy):
        return value
    if isinstance(value, dict):
        try:
            return EnergyPolicy(**value)
        except TypeError as exc:
            raise ConfigError(f"energy: {exc}") from None
    raise ConfigError(f"energy takes True, False or an EnergyPolicy, got {value!r}")
