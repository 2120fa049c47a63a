"""The results folder: one file per point and round, a manifest, resume from what is valid.

    FOLDER/manifest.json            the sweep: grid, points, order, each run's record
    FOLDER/points/<cfg>-<fp>-r<N>.json   a result document (or a failed-point document), its
                                    sweep record in analysis.sweep
    FOLDER/staging/                 children's result files before the driver takes them

Every file is written whole or not at all (resultfile.write_text_atomic); the manifest is
rewritten after each point. The point files are the truth: resume reads them, not the
manifest, so a driver killed between a child's exit and the manifest's update loses nothing. A
file counts for resume only if its configuration hash is the point's and its fingerprint is one
of the machine's (or cluster's) current ones: after a driver or torch change, points re-run.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._version import __version__
from ..errors import ConfigError, InfertimeError, ResultFileError
from ..records import utc_now
from ..resultfile import from_document, write_text_atomic
from .failure import KIND as FAILED_KIND
from .failure import FailedPoint
from .identity import PlannedPoint, file_name, parse_file_name

MANIFEST_SCHEMA = "infertime.sweep.manifest"
MANIFEST_VERSION = 1
RESULT_KIND = {
    "run": "latency",
    "throughput": "throughput",
    "pitfalls": "pitfalls",
    "generate": "generate",
}
STAGED = ".child.json"  # a child's own result file in staging/


@dataclass(frozen=True)
class StoredRun:
    """A valid point file for one (point, round)."""

    path: Path
    status: str  # "ok" | "failed"
    sweep: dict[str, Any]  # the file's analysis.sweep record
    document: dict[str, Any]


class ResultsFolder:
    """One sweep's folder; `open` takes a lock held until `close`."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.points_dir = self.root / "points"
        self.staging_dir = self.root / "staging"
        self.manifest_path = self.root / "manifest.json"
        self._lock: Any = None

    # -- opening ------------------------------------------------------------------------------

    def open(self, sweep_id: str, *, resume: bool, force: bool) -> dict[str, Any] | None:
        """Create or reopen the folder for sweep `sweep_id`; the old manifest when resuming.

        Refused: an existing sweep folder without --resume; a folder of another sweep (unless
        --force); a non-empty folder that is not a sweep's; a folder another driver holds.
        """
        old = self.read_manifest()
        if old is None and self.root.is_dir() and any(self.root.iterdir()):
            raise ConfigError(
                f"{self.root} is not empty and holds no sweep manifest",
                advice="choose a new or empty folder",
            )
        if old is not None and not resume:
            raise ConfigError(
                f"{self.root} already holds a sweep ({old.get('sweep_id')})",
                advice="add --resume to continue it, or choose another folder",
            )
        if old is not None and old.get("sweep_id") != sweep_id and not force:
            raise ConfigError(
                f"{self.root} holds another sweep ({old.get('sweep_id')}; this grid is {sweep_id})",
                advice="use another folder, or --force to reuse the points both have",
            )
        try:
            for folder in (self.root, self.points_dir, self.staging_dir):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ResultFileError(
                f"cannot create the results folder {self.root}: {exc.strerror or exc}"
            ) from None
        self._take_lock()
        return old

    def _take_lock(self) -> None:
        path = self.root / ".lock"
        try:
            handle = open(path, "a+")  # noqa: SIM115  (held open until close)
        except OSError as exc:
            raise ResultFileError(f"cannot write in {self.root}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise ConfigError(f"another sweep is running in {self.root}") from None
        self._lock = handle

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    # -- manifest ---------------------------------------------------------------------------

    def read_manifest(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            return None  # no manifest yet (creating the folder says what is wrong, if anything)
        except (OSError, ValueError) as exc:
            raise ResultFileError(f"cannot read {self.manifest_path}: {exc}") from None
        if not isinstance(data, dict) or data.get("schema") != MANIFEST_SCHEMA:
            raise ResultFileError(f"{self.manifest_path} is not a sweep manifest")
        return data

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        manifest = {
            "schema": MANIFEST_SCHEMA,
            "schema_version": MANIFEST_VERSION,
            "infertime_version": __version__,
            **manifest,
            "updated_utc": utc_now(),
        }
        text = json.dumps(manifest, indent=1, allow_nan=False)
        write_text_atomic(text + "\n", self.manifest_path, "the sweep manifest")

    # -- point files ----------------------------------------------------------------------

    def write_point(
        self, document: dict[str, Any], sweep: dict[str, Any], fingerprint_hash: str
    ) -> Path:
        """A point's file: `document` with its sweep record in analysis.sweep."""
        analysis = dict(document.get("analysis") or {})
        analysis["sweep"] = sweep
        # The header first, the rest as the child wrote it; the environment stays last.
        final = {k: v for k, v in document.items() if k != "environment"}
        final["analysis"] = analysis
        if "environment" in document:
            final["environment"] = document["environment"]
        name = file_name(sweep["config_hash"], fingerprint_hash, int(sweep["round"]))
        text = json.dumps(final, indent=1, allow_nan=False)
        return write_text_atomic(text + "\n", self.points_dir / name, "a point's result")

    def scan(
        self,
        points: list[PlannedPoint],
        rounds: int,
        current: set[str],
        retry_failed: bool = False,
    ) -> dict[tuple[str, int], StoredRun]:
        """(point key, round) -> its valid file. Valid: the point's configuration hash, a
        current fingerprint, a document that loads as the point's kind (or a failed point,
        unless `retry_failed`). Of several, a result wins over a failure, then the newest."""
        by_key = {p.key: p for p in points}
        found: dict[tuple[str, int], StoredRun] = {}
        for path in sorted(self.points_dir.glob("*.json")):
            parsed = parse_file_name(path.name)
            if parsed is None:
                continue
            key, _, round_ = parsed
            point = by_key.get(key)
            if point is None or round_ > rounds:
                continue
            run = check_file(path, point, round_, current)
            if run is None or (retry_failed and run.status == "failed"):
                continue
            old = found.get((key, round_))
            if old is None or _better(run, old):
                found[(key, round_)] = run
        return found

    def staged(self) -> Iterator[Path]:
        yield from sorted(self.staging_dir.glob("." + "*" + STAGED))

    def clean_staging(self) -> None:
        """Remove what children left in staging (partial temporary files of killed ones)."""
        for path in self.staging_dir.iterdir():
            with contextlib.suppress(OSError):
                path.unlink()


def _better(new: StoredRun, old: StoredRun) -> bool:
    if new.status != old.status:
        return new.status == "ok"
    return str(new.document.get("created_utc")) > str(old.document.get("created_utc"))


def check_file(path: Path, point: PlannedPoint, round_: int, current: set[str]) -> StoredRun | None:
    """The run a point file holds, if it is valid for this point, round and environment."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        sweep = document["analysis"]["sweep"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if (
        not isinstance(sweep, dict)
        or sweep.get("config_hash") != point.config_hash
        or sweep.get("round") != round_
        or sweep.get("fingerprint_hash") not in current
    ):
        return None
    if document.get("kind") == FAILED_KIND:
        try:
            FailedPoint.from_document(document)
        except (KeyError, TypeError, ValueError):
            return None
        return StoredRun(path, "failed", sweep, document)
    if not result_matches(document, point, str(path)):
        return None
    return StoredRun(path, "ok", sweep, document)


def result_matches(document: dict[str, Any], point: PlannedPoint, where: str) -> bool:
    """The document loads as a result of the point's kind measuring the point's workload."""
    if document.get("kind") != RESULT_KIND[point.point.kind]:
        return False
    try:
        result = from_document(document, where)
    except InfertimeError:
        return False
    spec = result.settings.workload
    # generate: each run's own spec (GenerationSpec) holds what the command was given
    runs = getattr(result, "runs", None)
    specs = [spec, *(r.spec for r in runs or () if hasattr(r, "spec"))]
    for key, value in point.point.workload().items():
        if key == "device":
            if not str(spec.device).startswith(point.device_kind):
                return False
        elif not any(getattr(s, key, None) == value for s in specs):
            return False
    for key, value in point.point.values.items():  # the kind's own (generate: prompt_len ...)
        own = [getattr(s, key) for s in specs[1:] if hasattr(s, key)]
        if own and value not in own:
            return False
    return True
