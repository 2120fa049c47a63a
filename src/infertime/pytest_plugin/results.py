"""What the fixture returns: the API's own result types (a LatencyResult, a CompareResult),
with assertions that pass only with confidence. torch-free.

They are subclasses that add methods and no fields, so everything the API's results do
(`str()`, `save_json`, `infertime.compare` of saved files) works on them unchanged.
"""

from __future__ import annotations

from typing import Any

from ..comparison.result import CompareResult
from ..latency.result import LatencyResult
from .outcomes import Outcome, faster_than, not_slower
from .thresholds import parse_duration, parse_share, share_text

_RECORD = "_infertime_record"  # the summary row of this result (a dict), set by the fixture
_DEFAULT = "_infertime_threshold"  # the comparison's gate threshold, for assert_not_slower()


def attach(result: Any, record: dict[str, Any], **extra: Any) -> None:
    """Tie a result to its summary row (frozen dataclasses: set past their __setattr__)."""
    object.__setattr__(result, _RECORD, record)
    for key, value in extra.items():
        object.__setattr__(result, f"_infertime_{key}", value)


def note(result: Any, check: str, outcome: Outcome) -> None:
    record = getattr(result, _RECORD, None)
    if record is not None:
        record.setdefault("checks", []).append({"check": check, "state": outcome.state})


class TimedLatency(LatencyResult):
    """A LatencyResult (as infertime.measure_latency returns it) whose assertions read
    latency; `TimedDeviceTime` reads device time."""

    figure_checked = "latency"

    def assert_faster_than(self, limit: str) -> None:
        """Pass only when the figure's median is below `limit` ('20 ms') with the CI's
        confidence (its upper bound below the limit). Fails when the whole CI is at or above
        the limit, and when the CI reaches both sides (inconclusive: a check that cannot
        judge does not pass), saying the figure, its CI, the limit and the device."""
        __tracebackhide__ = True
        limit_s = parse_duration(limit, "assert_faster_than")
        outcome = faster_than(self, self.figure_checked, limit_s)
        note(self, f"< {limit.strip()}", outcome)
        if not outcome.passed:
            raise AssertionError(outcome.message)


class TimedDeviceTime(TimedLatency):
    """A LatencyResult whose assertions read device time per call (pipelined); on a CPU,
    where calls run synchronously, latency is the same quantity and is read instead."""

    figure_checked = "device_time"


class TimedComparison(CompareResult):
    """A CompareResult (as infertime.compare returns it) with the regression gate as an
    assertion."""

    def assert_not_slower(self, threshold: str | float | None = None) -> None:
        """Fail when a configuration is slower than the baseline beyond `threshold` ('5%')
        with the CI's confidence, and when the CI reaches both sides of it (inconclusive);
        pass only when it is, with that confidence, not slower beyond it. Without a
        threshold, the one the comparison was made for (`fail_if_slower=`, or
        --infertime-fail-if-slower)."""
        __tracebackhide__ = True
        if threshold is None:
            share = getattr(self, _DEFAULT, None)
            if share is None:
                from ..errors import ConfigError

                raise ConfigError(
                    "assert_not_slower() needs a threshold such as '5%' (or compare(..., "
                    "fail_if_slower='5%'), or --infertime-fail-if-slower)"
                )
        else:
            share = parse_share(threshold, "assert_not_slower")
        outcome = not_slower(self, share)
        note(self, f"≤ {share_text(share)} slower", outcome)
        if not outcome.passed:
            raise AssertionError(outcome.message)


def as_timed(result: Any, cls: type[Any]) -> Any:
    """The same result as an instance of `cls` (a subclass of its type, with no fields of
    its own): the fields are shared, nothing is copied or measured again."""
    timed = object.__new__(cls)
    timed.__dict__.update(result.__dict__)
    return timed
