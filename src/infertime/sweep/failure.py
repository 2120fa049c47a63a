"""A point that failed is a result too: kind "failed-point", with its reason and stderr tail.

Reasons, from the child's exit (README's exit codes): bad-input (2), no-device (3),
out-of-memory (4), non-finite-output (5), missing-dependency (6), result-file (7),
error (1), internal-error (70), interrupted (130), terminated (143), killed / crashed (a
signal), timeout (the sweep's limit), no-result (exit 0 without a readable result file).
A failed point is kept and never run again by `--resume` (only `--retry-failed` does).
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Any, ClassVar

from .._version import __version__
from ..records import utc_now
from ..resultfile import SCHEMA_NAME, SCHEMA_VERSION

KIND = "failed-point"
EXIT_REASONS = {
    1: "error",
    2: "bad-input",
    3: "no-device",
    4: "out-of-memory",
    5: "non-finite-output",
    6: "missing-dependency",
    7: "result-file",
    70: "internal-error",
    130: "interrupted",
    143: "terminated",
}
STDERR_TAIL_LINES = 30
STDERR_TAIL_CHARS = 4000


def reason_of(exit_code: int) -> str:
    """The reason a child's exit code (negative: the signal that ended it) stands for."""
    if exit_code < 0:
        return "killed" if -exit_code in (signal.SIGKILL, signal.SIGTERM) else "crashed"
    return EXIT_REASONS.get(exit_code, "error")


def describe_exit(exit_code: int) -> str:
    if exit_code < 0:
        try:
            name = signal.Signals(-exit_code).name
        except ValueError:
            name = f"signal {-exit_code}"
        return f"ended by {name}"
    return f"exit code {exit_code}"


def tail(text: str) -> str:
    """The last lines of a child's stderr (progress bars' carriage returns folded)."""
    lines = [line.rsplit("\r", 1)[-1] for line in text.splitlines()]
    kept = "\n".join(line for line in lines if line.strip())
    kept = "\n".join(kept.splitlines()[-STDERR_TAIL_LINES:])
    return kept[-STDERR_TAIL_CHARS:]


def last_error_line(stderr_tail: str) -> str:
    """The child's one-line error ('infertime: error: ...'), else its last line."""
    lines = stderr_tail.splitlines()
    for line in reversed(lines):
        if line.startswith("infertime: error: "):
            return line[len("infertime: error: ") :]
    return lines[-1].strip() if lines else ""


@dataclass(frozen=True)
class FailedPoint:
    """Why a point has no measurement; stored where its result would be."""

    kind: ClassVar[str] = KIND

    command: str  # the kind the point ran: run, throughput, pitfalls
    reason: str
    message: str  # one line
    exit_code: int | None  # None: never started, or stopped by the sweep (timeout)
    stderr_tail: str
    wall_s: float
    created_utc: str = ""
    infertime_version: str = __version__

    def document(self, sweep: dict[str, Any]) -> dict[str, Any]:
        """The file form: a result header, the fields, and the sweep record in `analysis`."""
        return {
            "schema": SCHEMA_NAME,
            "schema_version": SCHEMA_VERSION,
            "kind": KIND,
            "infertime_version": self.infertime_version,
            "created_utc": self.created_utc or utc_now(),
            "command": self.command,
            "reason": self.reason,
            "message": self.message,
            "exit_code": self.exit_code,
            "stderr_tail": self.stderr_tail,
            "wall_s": self.wall_s,
            "analysis": {"sweep": sweep},
        }

    @classmethod
    def from_document(cls, data: dict[str, Any]) -> FailedPoint:
        """Read back; KeyError or TypeError on a damaged document."""
        exit_code = data["exit_code"]
        if exit_code is not None and not isinstance(exit_code, int):
            raise TypeError("exit_code must be an integer or null")
        return cls(
            command=str(data["command"]),
            reason=str(data["reason"]),
            message=str(data["message"]),
            exit_code=exit_code,
            stderr_tail=str(data["stderr_tail"]),
            wall_s=float(data["wall_s"]),
            created_utc=str(data["created_utc"]),
            infertime_version=str(data["infertime_version"]),
        )
