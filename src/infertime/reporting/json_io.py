"""Result files: versioned JSON written atomically (never half-written), and read back."""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..errors import ResultFileError
from ..pitfalls.result import PitfallsResult
from ..results import SCHEMA_NAME, SCHEMA_VERSION, LatencyResult
from ..throughput_results import ThroughputResult


class Result(Protocol):
    kind: str

    def to_dict(self) -> dict[str, Any]: ...


_READERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    LatencyResult.kind: LatencyResult.from_dict,
    ThroughputResult.kind: ThroughputResult.from_dict,
    PitfallsResult.kind: PitfallsResult.from_dict,
}


def _finite(obj: Any) -> Any:
    """JSON has no NaN or infinity: write null instead of producing an invalid document."""
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail before a long measurement, not after it, when the result cannot be written."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise ResultFileError(f"cannot write result to {p}: it is a directory")
    if not parent.is_dir():
        raise ResultFileError(f"cannot write result to {p}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ResultFileError(f"cannot write result to {p}: folder {parent} is not writable")
    return p


def save_json(result: Result, path: str | os.PathLike[str]) -> Path:
    """Write atomically: a temporary file in the same folder, flushed, then renamed over `path`."""
    p = check_writable(path)
    text = json.dumps(_finite(result.to_dict()), indent=1, allow_nan=False)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file normal permissions
        os.replace(tmp, p)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ResultFileError(f"cannot write result to {p}: {exc.strerror or exc}") from exc
        raise
    return p


def load_result(path: str | os.PathLike[str]) -> Any:
    """Read a result file written by infertime, of any kind, checking its schema version."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultFileError(f"no such result file: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultFileError(f"cannot read {p}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ResultFileError(f"{p} is not valid JSON (line {exc.lineno}): {exc.msg}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA_NAME:
        raise ResultFileError(f"{p} is not an infertime result file")
    version = data.get("schema_version")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise ResultFileError(
            f"{p} has schema version {version}; this infertime reads up to {SCHEMA_VERSION}",
            advice="upgrade infertime",
        )
    reader = _READERS.get(str(data.get("kind")))
    if reader is None:
        raise ResultFileError(f"{p} holds an unknown result kind {data.get('kind')!r}")
    try:
        return reader(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise ResultFileError(f"{p} is damaged or incomplete: {exc!r}") from None
