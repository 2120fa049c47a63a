"""Points forked from a server that has paid the imports once (the driver's side).

`python -m infertime.cli.forkserver` imports torch, infertime's commands and the model libraries
of the sweep's points, never
touches CUDA, and forks one child per point; each child is what a fresh `python -m infertime
KIND ...` would be, without its seconds of imports. This runner speaks to it and otherwise
behaves as SubprocessRunner: the same timeout, stop and outcome. When the server cannot start,
cannot fork safely, stops answering or dies, it is ended and the points run in fresh
interpreters; each outcome says how its process started (`start`).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from .failure import tail
from .runner import (
    POLL_S,
    STOP_GRACE_S,
    PointOutcome,
    PointTask,
    SubprocessRunner,
    finish,
    launcher,
)

SERVER_MODULE = "infertime.cli.forkserver"
# What a forked child may still change (cli/forkserver.py reads it too): CUDA reads these when
# first used (never in the server).
# Everything else a point's environment sets, and its cores, may be read at import (OpenMP reads
# OMP_NUM_THREADS and the affinity when torch loads it): points that differ in them get servers
# of their own, started with that environment and pinned to those cores, as a fresh interpreter
# would be.
AFTER_FORK_ENV = ("CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER")
READY_TIMEOUT_S = 300.0  # importing torch and timm on a loaded 2-core host took up to a minute
PID_TIMEOUT_S = 30.0


@dataclass
class _Request:
    id: int
    pid: int | None = None
    exit: int | None = None
    error: str | None = None
    started: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)


class _Server:
    """One running fork server and the thread that reads its answers."""

    def __init__(
        self,
        command: Sequence[str],
        env: Mapping[str, str] | None = None,
        cores: Sequence[int] | None = None,
    ) -> None:
        self.log: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115  (closed in close)
        # The server dies with the thread that started it (PR_SET_PDEATHSIG follows the
        # thread, not the process): a thread of its own starts it and lives until close().
        self.closing = threading.Event()
        started: list[subprocess.Popen[str] | BaseException] = []
        spawned = threading.Event()

        def own() -> None:
            try:
                started.append(
                    subprocess.Popen(
                        [*launcher(cores), *command],
                        env={**os.environ, **(env or {})},
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=self.log,
                        start_new_session=True,
                        text=True,
                    )
                )
            except BaseException as exc:  # handed to the caller below
                started.append(exc)
                spawned.set()
                return
            spawned.set()
            self.closing.wait()

        self.owner = threading.Thread(target=own, name="forkserver-owner", daemon=True)
        self.owner.start()
        spawned.wait()
        if isinstance(started[0], BaseException):
            self.log.close()
            raise started[0]
        self.proc: subprocess.Popen[str] = started[0]
        self.requests: dict[int, _Request] = {}
        self.lock = threading.Lock()  # the requests table
        self.write_lock = threading.Lock()  # the server's stdin
        self.next_id = 0
        self.ready = threading.Event()
        self.hello: dict[str, Any] = {}
        self.dead = threading.Event()
        self.reader = threading.Thread(target=self._read, name="forkserver-reader", daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        try:
            for line in self.proc.stdout:
                with contextlib.suppress(ValueError, TypeError, AttributeError):
                    self._handle(json.loads(line))
        finally:
            self.dead.set()
            self.ready.set()
            with self.lock:
                for request in self.requests.values():
                    request.started.set()
                    request.ended.set()

    def _handle(self, message: Any) -> None:
        if not isinstance(message, dict):
            return
        if "ready" in message:
            self.hello = message
            self.ready.set()
            return
        with self.lock:
            request = self.requests.get(message.get("id", -1))
        if request is None:
            return
        if "pid" in message:
            request.pid = int(message["pid"])
            request.started.set()
        elif "exit" in message:
            request.exit = int(message["exit"])
            request.ended.set()
        elif "error" in message:
            request.error = str(message["error"])
            request.started.set()

    def wait_ready(self, stop: threading.Event, timeout_s: float) -> bool | None:
        """True when the server can fork points, False when it cannot, None when stopped."""
        deadline = time.monotonic() + timeout_s
        while not self.ready.wait(POLL_S):
            if stop.is_set():
                return None
            if time.monotonic() > deadline:
                return False
        return bool(self.hello.get("ready") and self.hello.get("fork_safe")) and (
            not self.dead.is_set()
        )

    def why_not(self) -> str:
        if self.hello.get("ready") and not self.hello.get("fork_safe"):
            return str(self.hello.get("why") or "the fork server cannot fork safely")
        if self.hello.get("error"):
            return f"the fork server could not import: {self.hello['error']}"
        if not self.ready.is_set():
            return f"the fork server was not ready within {READY_TIMEOUT_S:g} s"
        self.log.seek(0)
        return f"the fork server ended: {tail(self.log.read()) or 'no message'}"

    def submit(self, request: dict[str, Any]) -> _Request:
        with self.lock:
            self.next_id += 1
            entry = _Request(self.next_id)
            self.requests[entry.id] = entry
        if self.dead.is_set():
            entry.error = "the fork server is gone"
            entry.started.set()
            return entry
        assert self.proc.stdin is not None
        try:
            with self.write_lock:
                self.proc.stdin.write(json.dumps({**request, "id": entry.id}) + "\n")
                self.proc.stdin.flush()
        except (OSError, ValueError):
            entry.error = "the fork server is gone"
            entry.started.set()
        return entry

    def forget(self, entry: _Request) -> None:
        with self.lock:
            self.requests.pop(entry.id, None)

    def close(self) -> None:
        """End the server; it ends its children (and they die with it in any case)."""
        if not self.ready.is_set():  # still importing, so no child yet: no need to wait
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(OSError, ValueError), self.write_lock:
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=STOP_GRACE_S * 2)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=STOP_GRACE_S * 2)
        self.closing.set()
        self.reader.join(timeout=5)
        self.owner.join(timeout=5)
        self.log.close()


ServerKey = tuple[tuple[int, ...] | None, tuple[tuple[str, str], ...]]


class ForkServerRunner:
    """Points forked from fork servers (one per distinct cores and environment, started on
    first use); fresh interpreters when a server cannot serve. `command` starts a server;
    `fresh` runs the points they cannot."""

    start = "fork"

    def __init__(
        self,
        command: Sequence[str] | None = None,
        fresh: SubprocessRunner | None = None,
        pid_timeout_s: float = PID_TIMEOUT_S,
        libraries: Sequence[str] = (),
    ) -> None:
        """`libraries`: model libraries the server imports for its points (timm, torchvision:
        seconds each; a point using one not imported imports it itself)."""
        if command:
            self.command = tuple(command)
        else:
            preload = [a for lib in libraries for a in ("--preload", lib)]
            self.command = (sys.executable, "-m", SERVER_MODULE, *preload)
        self.fresh = fresh or SubprocessRunner()
        self.pid_timeout_s = pid_timeout_s
        self._servers: dict[ServerKey, _Server] = {}
        self._lock = threading.Lock()
        self.fallback_reason: str | None = None
        self.import_s: float | None = None

    def _give_up(self, why: str) -> None:
        """From now on points run in fresh interpreters; the servers (and any child they still
        have) are ended so that nothing measures beside those points."""
        with self._lock:
            self.fallback_reason = self.fallback_reason or why
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.close()

    @staticmethod
    def _key(env: Mapping[str, str], cores: Sequence[int] | None) -> ServerKey:
        pinned = tuple(sorted(cores)) if cores else None
        return pinned, tuple(sorted((k, v) for k, v in env.items() if k not in AFTER_FORK_ENV))

    def warm(self, env: Mapping[str, str], cores: Sequence[int] | None = None) -> None:
        """Start the server that points with this environment and these cores will use, so
        that its imports overlap the driver's own set-up."""
        self._server_for(self._key(env, cores))

    def _server_for(self, key: ServerKey) -> _Server | None:
        with self._lock:
            if self.fallback_reason is not None:
                return None
            server = self._servers.get(key)
            if server is None:
                cores, env = key
                try:
                    server = self._servers[key] = _Server(self.command, dict(env), cores)
                except OSError as exc:
                    self.fallback_reason = f"the fork server could not start: {exc}"
                    return None
            return server

    def _ready_server(self, key: ServerKey, stop: threading.Event) -> _Server | None:
        server = self._server_for(key)
        if server is None:
            return None
        usable = server.wait_ready(stop, READY_TIMEOUT_S)
        if usable:
            self.import_s = server.hello.get("import_s")
            return server
        if usable is False:
            self._give_up(server.why_not())
        return None

    def _fresh(
        self,
        why: str,
        task: PointTask,
        env: Mapping[str, str],
        out_path: Path,
        stop: threading.Event,
        cores: Sequence[int] | None,
    ) -> PointOutcome:
        outcome = self.fresh.run(task, env, out_path, stop, cores)
        return replace(outcome, start=f"fresh ({why})")

    def run(
        self,
        task: PointTask,
        env: Mapping[str, str],
        out_path: Path,
        stop: threading.Event,
        cores: Sequence[int] | None = None,
    ) -> PointOutcome:
        key = self._key(env, cores)
        pinned = key[0]
        server = self._ready_server(key, stop)
        if server is None:
            if stop.is_set():
                now = time.time()
                return PointOutcome(
                    "stopped", None, None, "stopped by the sweep", None, "", now, now, 0.0,
                    None, None, "fork",
                )  # fmt: skip
            return self._fresh(str(self.fallback_reason), task, env, out_path, stop, cores)
        # No point measures beside a server still importing (warmed for another slot): its
        # seconds of imports would be load on the cores the point uses.
        with self._lock:
            others = [s for s in self._servers.values() if s is not server]
        for other in others:
            other.wait_ready(stop, READY_TIMEOUT_S)
        with tempfile.TemporaryDirectory(prefix="infertime-point-") as tmp:
            err_path = Path(tmp) / "stderr"
            request = {
                "argv": [*task.argv, "--json", str(out_path.resolve()), "--quiet"],
                "env": {k: v for k, v in env.items() if k in AFTER_FORK_ENV},
                "cwd": os.getcwd(),
                "stderr": str(err_path),
            }
            started_unix = time.time()
            spawned_ns = time.perf_counter_ns()
            entry = server.submit(request)
            try:
                entry.started.wait(self.pid_timeout_s)
                if entry.pid is None:
                    late = f"the fork server did not answer in {self.pid_timeout_s:g} s"
                    why = entry.error or late
                    self._give_up(why)
                    return self._fresh(why, task, env, out_path, stop, cores)
                code, why = _wait(entry, task.timeout_s, stop)
            finally:
                server.forget(entry)
            wall_s = (time.perf_counter_ns() - spawned_ns) * 1e-9
            stderr_text = err_path.read_text(errors="replace") if err_path.exists() else ""
        if code is None and why == "exited":  # the server died while the point ran
            self._give_up("the fork server died")
            out_path.unlink(missing_ok=True)
            return self._fresh("the fork server died", task, env, out_path, stop, cores)
        outcome = finish(
            task, code, why, tail(stderr_text), out_path, started_unix, spawned_ns, wall_s, pinned
        )
        return replace(outcome, start="fork")

    def close(self) -> None:
        with self._lock:
            servers, self._servers = list(self._servers.values()), {}
        for server in servers:
            server.close()


def _wait(entry: _Request, timeout_s: float, stop: threading.Event) -> tuple[int | None, str]:
    """(exit code, "exited" | "timeout" | "stopped"); a stopped or late child is ended."""
    deadline = time.monotonic() + timeout_s
    while not entry.ended.wait(POLL_S):
        if stop.is_set():
            return _end(entry), "stopped"
        if time.monotonic() > deadline:
            return _end(entry), "timeout"
    return entry.exit, "exited"


def _end(entry: _Request) -> int | None:
    """SIGTERM to the child's session, then SIGKILL after a grace (as runner.end does); the
    child itself when its session does not exist yet (just forked, before its setsid)."""
    assert entry.pid is not None
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(entry.pid, sig)
        except ProcessLookupError:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(entry.pid, sig)
        except PermissionError:
            pass
        if entry.ended.wait(STOP_GRACE_S):
            return entry.exit
    return None
