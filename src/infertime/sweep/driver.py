"""Run a sweep: plan the points, resume what is valid, dispatch the rest, store every outcome.

The driver alone writes the results folder: each finished run becomes its point file, then
the manifest is rewritten. Ctrl-C or SIGTERM stop the executor (children ended), keep what
finished, mark the manifest interrupted and leave with 130 / 143; `--resume` continues.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ConfigError, Interrupted, Terminated, TerminatedError
from ..records import utc_now
from .estimate import STARTUP_S, estimate_run_s
from .executor import Executor, Finished, Job
from .failure import FailedPoint
from .fingerprint import Fingerprint
from .grid import Grid
from .identity import PlannedPoint, parse_file_name, plan_point, sweep_id
from .options import to_argv
from .progress import SweepProgress
from .rounds import new_seed, round_order
from .runner import PointOutcome, PointRunner, PointTask, read_document
from .store import ResultsFolder, StoredRun, result_matches

DEFAULT_TIMEOUT_S = 3600.0
COLLECT_S = 0.5


@dataclass(frozen=True)
class SweepSettings:
    rounds: int = 1
    order_seed: int | None = None  # None: a new random seed (recorded); kept on resume
    resume: bool = False
    force: bool = False
    retry_failed: bool = False
    timeout_s: float = DEFAULT_TIMEOUT_S
    executor: str = "local"  # "local" or "ray"
    ray_address: str | None = None
    ray_init: dict[str, Any] = field(default_factory=dict)  # local Ray instance (tests)
    gpus: tuple[int, ...] | None = None  # local: NVML indices to use
    # How a point's process starts: "fork" (from the fork server: no imports to pay), "fresh"
    # (a new interpreter), None: fork where the local executor can (Linux), else fresh.
    start: str | None = None

    def __post_init__(self) -> None:
        if self.rounds < 1:
            raise ConfigError(f"--rounds must be at least 1, got {self.rounds}")
        if not self.timeout_s > 0:
            raise ConfigError(f"--timeout must be positive, got {self.timeout_s}")
        if self.executor not in ("local", "ray"):
            raise ConfigError(f"unknown executor {self.executor!r}", advice="local or ray")
        if self.start not in (None, "fork", "fresh"):
            raise ConfigError(f"unknown --start {self.start!r}", advice="fork or fresh")
        if self.start == "fork" and self.executor == "ray":
            raise ConfigError(
                "--start fork is for the local executor: Ray starts each point in a fresh "
                "worker of its own",
                advice="leave --start out, or use --start fresh",
            )
        if self.start == "fork" and not can_fork():
            raise ConfigError("--start fork needs os.fork (Linux)", advice="use --start fresh")

    @property
    def start_mode(self) -> str:
        if self.start is not None:
            return self.start
        return "fork" if self.executor == "local" and can_fork() else "fresh"


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


@dataclass
class SweepReport:
    """What the sweep holds now: its points, and each (point, round)'s record and document."""

    folder: Path
    sweep_id: str
    grid: Grid
    points: list[PlannedPoint]
    rounds: int
    runs: dict[tuple[str, int], dict[str, Any]]  # (key, round) -> record (status, sweep, ...)
    documents: dict[tuple[str, int], dict[str, Any]]
    state: str  # "complete" | "interrupted"
    measured_now: int = 0
    reused: int = 0

    def record(self, point: PlannedPoint, round_: int) -> dict[str, Any]:
        return self.runs.get((point.key, round_), {"status": "pending"})


def preload_libraries(grid: Grid) -> list[str]:
    """The model libraries the grid's points load (`timm:NAME`, `torchvision:NAME`)."""
    prefixes = {str(p.get("model", "")).split(":", 1)[0] for p in grid.points()}
    return sorted(prefixes & {"timm", "torchvision"})


def make_executor(
    settings: SweepSettings, runner: PointRunner | None, libraries: list[str] | None = None
) -> Executor:
    if settings.executor == "ray":
        from .ray_executor import RayExecutor

        return RayExecutor(settings.ray_address, runner, init=settings.ray_init)
    from .local import LocalExecutor

    if runner is None and settings.start_mode == "fork":
        from .forkserver import ForkServerRunner

        runner = ForkServerRunner(libraries=libraries or ())
    return LocalExecutor(runner, settings.gpus)


def run_sweep(
    grid: Grid,
    folder: str | Path,
    settings: SweepSettings | None = None,
    *,
    runner: PointRunner | None = None,
    executor: Executor | None = None,
    progress: SweepProgress | None = None,
    dry_run: Callable[[list[PlannedPoint], float], None] | None = None,
) -> SweepReport:
    """Run (or resume) the sweep of `grid` into `folder`; with `dry_run`, only plan and hand
    it the points to do and the estimated time."""
    settings = settings or SweepSettings()
    points = grid.points()  # every point checked before anything starts
    store = ResultsFolder(folder)
    executor = executor or make_executor(settings, runner, preload_libraries(grid))
    try:
        places = executor.open(store.staging_dir)
        planned = [plan_point(p, executor.gpus_available) for p in points]
        sid = sweep_id(planned)
        if dry_run is not None:
            done = _already_done(store, planned, settings, places)
            todo = [
                p for p in planned for r in range(1, settings.rounds + 1) if (p.key, r) not in done
            ]
            dry_run(todo, estimate_total_s(todo, executor.capacity(), _forked(executor)))
            return SweepReport(store.root, sid, grid, planned, settings.rounds, {}, {}, "planned")
        old = store.open(sid, resume=settings.resume, force=settings.force)
        try:
            return _Sweep(
                grid, store, settings, executor, planned, sid, places, old, progress
            ).run()
        finally:
            store.close()
    finally:
        executor.close()


def _already_done(
    store: ResultsFolder,
    planned: list[PlannedPoint],
    settings: SweepSettings,
    places: list[Fingerprint],
) -> set[tuple[str, int]]:
    if not (settings.resume and store.points_dir.is_dir()):
        return set()
    current = {f.hash for f in places}
    return set(store.scan(planned, settings.rounds, current, settings.retry_failed))


def _forked(executor: Executor) -> bool:
    """Whether the executor's points fork from the fork server."""
    return bool(getattr(getattr(executor, "runner", None), "start", "fresh") == "fork")


def estimate_total_s(todo: list[PlannedPoint], workers: int, forked: bool = False) -> float:
    """The points' estimates over the workers; forked, plus the fork server's own start-up."""
    runs = [estimate_run_s(p, forked) for p in todo]
    server = max((STARTUP_S.get(p.device_kind, STARTUP_S["cpu"]) for p in todo), default=0.0)
    return sum(runs) / max(1, min(workers, len(runs) or 1)) + (server if forked else 0.0)


class _Sweep:
    def __init__(
        self,
        grid: Grid,
        store: ResultsFolder,
        settings: SweepSettings,
        executor: Executor,
        planned: list[PlannedPoint],
        sid: str,
        places: list[Fingerprint],
        old: dict[str, Any] | None,
        progress: SweepProgress | None,
    ) -> None:
        self.grid, self.store, self.settings, self.executor = grid, store, settings, executor
        self.planned, self.sid = planned, sid
        self.by_key = {p.key: p for p in planned}
        self.places = {f.hash: f for f in places}
        self.old = old
        # A resumed sweep keeps its orders: the runs still to do come in the same sequence.
        seed = old.get("order_seed") if old and old.get("sweep_id") == sid else None
        if isinstance(seed, int):
            self.seed = seed
        else:
            self.seed = settings.order_seed if settings.order_seed is not None else new_seed()
        self.orders = {
            r: round_order(list(self.by_key), self.seed, r) for r in range(1, settings.rounds + 1)
        }
        self.runs: dict[tuple[str, int], dict[str, Any]] = {}
        self.documents: dict[tuple[str, int], dict[str, Any]] = {}
        self.created = str(old.get("created_utc")) if old else utc_now()
        self.progress = progress
        self.measured_now = 0

    # -- resume ----------------------------------------------------------------------------

    def _adopt_staged(self, done: set[tuple[str, int]]) -> None:
        """Children that finished while the driver was dying: their files are results."""
        for path in self.store.staged():
            parsed = parse_file_name(path.name[1:].replace(".child.json", ".json"))
            if parsed is None:
                continue
            key, fp, round_ = parsed
            point = self.by_key.get(key)
            fingerprint = next((f for h, f in self.places.items() if h.startswith(fp)), None)
            if point is None or fingerprint is None or (key, round_) in done:
                continue
            if round_ > self.settings.rounds:
                continue
            document = read_document(path)
            if document is None or not result_matches(document, point, str(path)):
                continue
            sweep = self._sweep_record(point, round_, fingerprint, None, None, adopted=True)
            self.store.write_point(document, sweep, fingerprint.hash)
            done.add((key, round_))
        self.store.clean_staging()

    def _load_stored(self) -> None:
        current = set(self.places)
        stored: dict[tuple[str, int], StoredRun] = self.store.scan(
            self.planned, self.settings.rounds, current, self.settings.retry_failed
        )
        done = set(stored)
        self._adopt_staged(done)
        if len(done) != len(stored):
            stored = self.store.scan(
                self.planned, self.settings.rounds, current, self.settings.retry_failed
            )
        for key_round, run in stored.items():
            self.runs[key_round] = {
                "status": run.status,
                "file": run.path.name,
                **_summary(run.sweep, run.document),
            }
            self.documents[key_round] = run.document

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> SweepReport:
        if self.settings.resume:
            self._load_stored()
        todo = [
            (self.by_key[k], r)
            for r in sorted(self.orders)
            for k in self.orders[r]
            if (k, r) not in self.runs
        ]
        reused = len(self.runs)
        self._write_manifest("running")
        progress = self.progress
        if progress is not None:
            progress.begin(
                len(todo),
                reused,
                self.executor.capacity(),
                [estimate_run_s(p, _forked(self.executor)) for p, _ in todo],
            )
        state = "complete"
        try:
            self._dispatch(todo)
        except (KeyboardInterrupt, Terminated) as exc:
            state = "interrupted"
            self._stop()
            self._write_manifest(state)
            if isinstance(exc, KeyboardInterrupt):
                raise Interrupted(
                    "interrupted: finished points are kept", advice="--resume continues"
                ) from None
            raise TerminatedError(
                "terminated: finished points are kept", advice="--resume continues"
            ) from None
        except BaseException:
            self._stop()
            self._write_manifest("interrupted")
            raise
        self._write_manifest(state)
        return SweepReport(
            self.store.root,
            self.sid,
            self.grid,
            self.planned,
            self.settings.rounds,
            self.runs,
            self.documents,
            state,
            self.measured_now,
            reused,
        )

    def _dispatch(self, todo: list[tuple[PlannedPoint, int]]) -> None:
        queue = list(todo)
        while queue or self.executor.running():
            while queue:
                point, round_ = queue[0]
                job = Job(self._task(point, round_), point.device_kind)
                if not self.executor.try_start(job):
                    break
                queue.pop(0)
                self.runs[(point.key, round_)] = {"status": "running"}
                if self.progress is not None:
                    self.progress.started(job, point, self.executor.running())
            for finished in self.executor.collect(COLLECT_S):
                self._store(finished)

    def _stop(self) -> None:
        """End the running children; keep any run that finished before it was stopped."""
        self.executor.stop()
        deadline = time.monotonic() + 60
        while self.executor.running() and time.monotonic() < deadline:
            for finished in self.executor.collect(COLLECT_S):
                self._store(finished)
        for key_round, record in list(self.runs.items()):
            if record.get("status") == "running":
                del self.runs[key_round]

    def _task(self, point: PlannedPoint, round_: int) -> PointTask:
        argv = (point.point.kind, *to_argv(point.point.kind, point.point.values))
        return PointTask(point.key, round_, point.point.kind, argv, self.settings.timeout_s)

    def _store(self, finished: Finished) -> None:
        job, placement, outcome = finished.job, finished.placement, finished.outcome
        key_round = (job.task.key, job.task.round)
        point = self.by_key[job.task.key]
        if outcome.status == "stopped":
            self.runs.pop(key_round, None)
            if self.progress is not None:
                self.progress.stopped(job, point)
            return
        fingerprint = placement.fingerprint
        self.places.setdefault(fingerprint.hash, fingerprint)
        sweep = self._sweep_record(point, job.task.round, fingerprint, placement, outcome)
        document = outcome.document
        status = "ok"
        if (
            outcome.status == "ok"
            and document is not None
            and result_matches(document, point, "the point's result")
        ):
            path = self.store.write_point(document, sweep, fingerprint.hash)
        else:
            status = "failed"
            failure = _failure(point, outcome)
            document = failure.document(sweep)
            path = self.store.write_point(document, sweep, fingerprint.hash)
        if finished.staged is not None:
            finished.staged.unlink(missing_ok=True)  # only now: the point file holds it
        document = read_document(path) or document
        self.measured_now += 1
        self.runs[key_round] = {"status": status, "file": path.name, **_summary(sweep, document)}
        self.documents[key_round] = document
        self._write_manifest("running")
        if self.progress is not None:
            self.progress.finished(job, point, placement, outcome, status, self.executor.running())

    def _sweep_record(
        self,
        point: PlannedPoint,
        round_: int,
        fingerprint: Fingerprint,
        placement: Any,
        outcome: PointOutcome | None,
        adopted: bool = False,
    ) -> dict[str, Any]:
        timing = None
        if outcome is not None:
            measure_s = _measure_s(outcome.document)
            timing = {
                "started_unix": outcome.started_unix,
                "ended_unix": outcome.ended_unix,
                "wall_s": outcome.wall_s,
                "measure_s": measure_s,
                "overhead_s": outcome.wall_s - measure_s if measure_s is not None else None,
                "to_first_sample_s": outcome.to_first_sample_s,
                "start": outcome.start,
            }
        return {
            "sweep_id": self.sid,
            "config_hash": point.config_hash,
            "config": point.config,
            "label": point.point.label(),
            "round": round_,
            "position": self.orders.get(round_, []).index(point.key)
            if point.key in self.orders.get(round_, [])
            else None,
            "order_seed": self.seed,
            "fingerprint_hash": fingerprint.hash,
            "fingerprint": fingerprint.data,
            "executor": self.executor.name,
            "placement": placement.record() if placement is not None else None,
            "timing": timing,
            "command": [
                "infertime",
                point.point.kind,
                *to_argv(point.point.kind, point.point.values),
            ],
            "adopted": adopted,
        }

    def _write_manifest(self, state: str) -> None:
        points = []
        for p in self.planned:
            rounds = {}
            for r in range(1, self.settings.rounds + 1):
                rounds[str(r)] = self.runs.get((p.key, r), {"status": "pending"})
            points.append(
                {
                    "key": p.key,
                    "config_hash": p.config_hash,
                    "label": p.point.label(),
                    "config": p.config,
                    "rounds": rounds,
                }
            )
        self.store.write_manifest(
            {
                "sweep_id": self.sid,
                "created_utc": self.created,
                "state": state,
                "kind": self.grid.kind,
                "grid": self.grid.describe(),
                "rounds": self.settings.rounds,
                "order_seed": self.seed,
                "order": {str(r): keys for r, keys in self.orders.items()},
                "executor": self.executor.describe(),
                "timeout_s": self.settings.timeout_s,
                "fingerprints": {h: f.data for h, f in self.places.items()},
                "points": points,
            }
        )


def _measure_s(document: dict[str, Any] | None) -> float | None:
    """The measurement's own duration as the child recorded it (model build included)."""
    try:
        value = (document or {})["analysis"]["wall_s"]["total_s"]
    except (KeyError, TypeError):
        return None
    return float(value) if isinstance(value, (int, float)) else None


def _summary(sweep: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """What the manifest keeps of one run: where, when, how long, why it failed."""
    out = {
        "fingerprint_hash": sweep.get("fingerprint_hash"),
        "placement": sweep.get("placement"),
        "timing": sweep.get("timing"),
        "adopted": sweep.get("adopted", False),
    }
    if document.get("kind") == "failed-point":
        out["reason"] = document.get("reason")
        out["message"] = document.get("message")
    return out


def _failure(point: PlannedPoint, outcome: PointOutcome) -> FailedPoint:
    if outcome.status == "ok":  # a result that is not this point's: refused, kept as a failure
        reason, message = "no-result", "the result file does not match the point's configuration"
    else:
        reason, message = outcome.reason or "error", outcome.message
    return FailedPoint(
        command=point.point.kind,
        reason=reason,
        message=message,
        exit_code=outcome.exit_code,
        stderr_tail=outcome.stderr_tail,
        wall_s=outcome.wall_s,
    )
