"""One exception tree; every message says what happened and what to do next."""

from __future__ import annotations


def first_line(exc: BaseException, limit: int | None = 300) -> str:
    """The first line of an exception's message (its type name when it has none), shortened."""
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
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


class CaptureError(InfertimeError):
    """The model could not be captured in a CUDA graph."""


class ResultFileError(InfertimeError):
    """A result file cannot be read or written."""

    exit_code = 7
