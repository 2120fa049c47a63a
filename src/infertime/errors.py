"""One exception tree; every message says what happened and what to do next."""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager

_FROM_CLI = contextvars.ContextVar("infertime_from_cli", default=False)
# Python keyword -> command-line flag, where the flag is not the keyword with dashes.
_FLAGS = {
    "max_time_s": "--max-time",
    "knee_fraction": "--knee",
    "latency_budget_s": "--latency-budget",
}


def option(keyword: str) -> str:
    """How to name an option in a message: the flag on the command line, the keyword in the
    Python API (`batch_size` there, `--batch-size` here)."""
    if _FROM_CLI.get():
        return _FLAGS.get(keyword, "--" + keyword.replace("_", "-"))
    return keyword


def from_command_line() -> bool:
    """Whether messages now name command-line flags (inside `command_line()`)."""
    return _FROM_CLI.get()


@contextmanager
def command_line() -> Iterator[None]:
    """Messages raised inside name command-line flags."""
    token = _FROM_CLI.set(True)
    try:
        yield
    finally:
        _FROM_CLI.reset(token)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def first_line(exc: BaseException, limit: int | None = 300) -> str:
    """The first line of an exception's message (its type name when it has none), shortened."""
    text = _ANSI.sub("", str(exc))  # some libraries colour their messages (torch.export)
    line = (text.strip().splitlines() or [type(exc).__name__])[0]
    return line if limit is None else line[:limit]


class InfertimeError(Exception):
    """Base of every error infertime raises on purpose; the CLI prints it as one line."""

    exit_code = 1

    def __init__(self, message: str, *, advice: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.advice = advice

    def one_line(self) -> str:
        text = self.message if not self.advice else f"{self.message}; {self.advice}"
        return " ".join(text.split())


class ConfigError(InfertimeError):
    """A setting or flag value is invalid."""

    exit_code = 2


class ModelNotFoundError(InfertimeError):
    """A model reference does not name a model that can be built."""

    exit_code = 2


class InputShapeError(InfertimeError):
    """The inputs do not fit the model, or no input shape is known."""

    exit_code = 2


class RegressionError(InfertimeError):
    """The regression gate (--fail-if-slower): a configuration is slower beyond the threshold."""

    exit_code = 8


class InconclusiveError(InfertimeError):
    """The regression gate could neither pass nor fail: a CI that straddles the threshold (or
    none), or single-process results of a host-bound figure."""

    exit_code = 9


class ModelCallError(InfertimeError):
    """The model raised while being called on the prepared inputs."""


class DeviceUnavailableError(InfertimeError):
    """The requested device does not exist on this machine."""

    exit_code = 3


class OutOfMemoryError(InfertimeError):
    """The device ran out of memory where the measurement needs it to fit."""

    exit_code = 4


class NonFiniteOutputError(InfertimeError):
    """The model produced NaN or infinite values; timings of broken arithmetic are not reported."""

    exit_code = 5


class MissingDependencyError(InfertimeError):
    """An optional library is not installed."""

    exit_code = 6

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        super().__init__(
            f"{purpose} needs the '{package}' package, which is not installed",
            advice=f"install it with: pip install 'infertime[{extra}]'",
        )


class RecompileError(ModelCallError):
    """A compiled model recompiled during warm-up or timing: its samples would hold compile time."""


class CaptureError(InfertimeError):
    """The model could not be captured in a CUDA graph."""


class ResultFileError(InfertimeError):
    """A result file cannot be read or written."""

    exit_code = 7


class Interrupted(InfertimeError):
    """Ctrl-C (SIGINT) or a KeyboardInterrupt stopped the measurement; nothing was written."""

    exit_code = 130  # 128 + SIGINT, as a shell reports it


class TerminatedError(InfertimeError):
    """SIGTERM stopped the measurement; children were stopped and nothing was written."""

    exit_code = 143  # 128 + SIGTERM


class OutputClosed(InfertimeError):
    """Standard output was closed (a pipe whose reader left) before everything was printed."""

    exit_code = 141  # 128 + SIGPIPE


class Terminated(BaseException):
    """Raised by infertime's SIGTERM handler, so that cleanup runs (children, temporary files);
    a BaseException, like KeyboardInterrupt, so that `except Exception` in a model cannot
    swallow it."""


class CallFailed(Exception):
    """The model raised (other than running out of memory) while the engine called it at
    `batch`; the measure step turns it into one clear error about that batch."""

    def __init__(self, batch: int, cause: BaseException) -> None:
        super().__init__(f"call failed at batch {batch}: {cause!r}")
        self.batch = batch
        self.cause = cause
