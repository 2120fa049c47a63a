"""Saved results of a test run: one infertime result file per measurement, under
STORAGE/NAME/, named after the test and the measurement; and the comparison of a new
measurement with its saved one (offline compare). torch-free."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..errors import InfertimeError

_UNSAFE = re.compile(r"[^A-Za-z0-9._\-\[\]=,+]+")


def file_name(nodeid: str, label: str) -> str:
    """'tests/test_model.py::test_latency[cpu]', 'latency 1' -> a readable file name, unique
    per test and measurement (a hash of both keeps names apart that read alike)."""
    readable = _UNSAFE.sub("_", f"{nodeid.replace('::', '__')}__{label}").strip("_.")[:120]
    digest = hashlib.sha1(f"{nodeid}\0{label}".encode()).hexdigest()[:8]
    return f"{readable}.{digest}.json"


def path_of(storage: Path, name: str, nodeid: str, label: str) -> Path:
    return storage / name / file_name(nodeid, label)


class SavedFailed(Exception):
    """The saved result cannot be compared with (missing, damaged, of another kind or
    another batch): one line, and that test fails."""


def compare_with_saved(
    result: Any, path: Path, run_name: str, figure: str, threshold: float | None, trust: bool
) -> Any:
    """Offline compare: the saved result (baseline) against this run's, on `figure`, with
    the gate at `threshold` when given. The arms are named 'saved NAME' and 'this run'."""
    from ..comparison.api import compare
    from ..resultfile import load_result

    if not path.is_file():
        raise SavedFailed(
            f"infertime: no saved result {path} to compare with; save one first with "
            f"--infertime-save {run_name}"
        )
    try:
        saved = load_result(path)
        compared = compare(
            saved, result, figure=figure, fail_if_slower=threshold, trust_single_process=trust
        )
    except InfertimeError as exc:
        raise SavedFailed(f"infertime: saved result {path}: {exc.one_line()}") from None
    names = (f"saved {run_name}", "this run")
    arms = tuple(replace(a, name=n) for a, n in zip(compared.arms, names, strict=True))
    return replace(compared, arms=arms)


def save(result: Any, path: Path) -> None:
    """As infertime.save_json writes it (atomically), as a plain result of its kind."""
    from ..resultfile import save_json

    path.parent.mkdir(parents=True, exist_ok=True)
    save_json(result, path)
