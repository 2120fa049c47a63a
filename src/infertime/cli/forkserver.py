"""The sweep's fork server: `python -m infertime.cli.forkserver`.

A process that has imported torch, infertime's commands and the sweep's model libraries, but
has never touched CUDA nor run a tensor operation, and forks one child per sweep point. The
child is made into what a fresh `python -m infertime KIND ...` would be, less the seconds of
imports: its own session and signal handlers, the request's CUDA variables and working
directory, the random state of a new interpreter, the host's load read anew, no exit handlers
of the server; it dies with the server, which dies with the driver. The driver side is
sweep/forkserver.py; docs/sweep.md ("Start-up cost") gives the A/A against fresh interpreters.

Protocol, one JSON object per line, on a descriptor of its own (the server's stdout is its
stderr, so that nothing an import prints can corrupt it). In on stdin: {"id", "argv", "env",
"cwd", "stderr"} (argv follows `infertime`; env holds only AFTER_FORK_ENV variables: the
server itself was started with the rest and pinned to the point's cores; stderr names the file
the child's stderr goes to). Out: {"ready", "pid", "import_s", "fork_safe", "why"} once,
then {"id", "pid"} when a child started, {"id", "exit"} when it ended (a negative exit is the
signal that ended it), {"id", "error"} when it could not start. EOF on stdin ends the server
and its children.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import random
import selectors
import signal
import sys
import threading
import time
import traceback
from typing import Any

# What a request's environment may change in a forked child (the rest the server was started
# with): the driver's side defines it.
from ..sweep.forkserver import AFTER_FORK_ENV

# Model libraries the server may import for its points (`--preload timm`; none touches CUDA at
# import). transformers is not among them: a lazy module, its imports happen at model build.
MODEL_LIBRARIES = ("timm", "torchvision")
KIND_PARTS = ("format_path", "render_path", "table_path", "checks_path", "measure")
ENTRY = "infertime.cli.app:main"  # what a child runs: main(argv) -> exit code
PR_SET_PDEATHSIG = 1


def preload(libraries: list[str] | tuple[str, ...] = ()) -> Any:
    """Import what every point imports: torch, the CLI, every kind's measuring modules, and
    the model `libraries` the sweep's points use; return the torch random state as a new
    interpreter has it (imports might draw from it)."""
    torch = importlib.import_module("torch")
    rng = torch.get_rng_state()
    from .. import kinds
    from . import app

    app.build_app()
    for kind in kinds.all_kinds():
        for part in KIND_PARTS:
            path = getattr(kind, part, None)
            if isinstance(path, str):
                importlib.import_module(path.split(":")[0])
    for name in libraries:
        if name not in MODEL_LIBRARIES:
            continue
        with contextlib.suppress(Exception):  # not installed, or broken: the child says so
            importlib.import_module(name)
    return rng


def fork_unsafe_reason() -> str | None:
    """Why a child forked now would not be a clean process, or None: CUDA initialised, torch
    having marked forks bad (it does once the driver was asked anything), or a thread still
    running after a fork (it might hold a lock the child would wait for forever). numpy's
    OpenBLAS starts a thread pool at import and shuts it down before each fork
    (pthread_atfork), so threads are counted after the probe fork."""
    torch = sys.modules["torch"]
    if torch.cuda.is_initialized():
        return "something the fork server imported initialised CUDA"
    pid = os.fork()
    if pid == 0:  # the probe child
        code = 1
        with contextlib.suppress(BaseException):
            code = 1 if torch.cuda._is_in_bad_fork() else 0
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        return "something the fork server imported touched CUDA"
    with contextlib.suppress(OSError):
        threads = len(os.listdir("/proc/self/task"))
        if threads > 1:
            return f"the fork server runs {threads} threads after its imports"
    if threading.active_count() > 1:
        return "the fork server runs Python threads after its imports"
    return None


class Channel:
    """The protocol's output: a private copy of the original stdout."""

    def __init__(self) -> None:
        sys.stdout.flush()
        self.fd = os.dup(1)
        os.dup2(2, 1)  # what imports print goes to the server's stderr

    def say(self, message: dict[str, Any]) -> None:
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(self.fd, data) :]


def child(request: dict[str, Any], server_pid: int, rng: Any, private: list[int]) -> None:
    """In the forked child: become the point's process, run its command, never return."""
    code: Any = 1
    try:
        os.setsid()
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != server_pid:
            os._exit(143)  # the server died before the line above took effect
        signal.set_wakeup_fd(-1)
        for fd in private:  # the server's protocol, request and wake-up descriptors
            with contextlib.suppress(OSError):
                os.close(fd)
        # A fresh interpreter's handlers (Python itself ignores SIGPIPE and SIGXFSZ).
        for sig in (signal.SIGTERM, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        atexit._clear()  # the server's exit handlers are not this process's
        devnull = os.open(os.devnull, os.O_RDWR)
        err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(devnull, 0)
        os.dup2(devnull, 1)
        os.dup2(err, 2)
        os.close(devnull)
        os.close(err)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115  (the process's own streams)
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        # Line-buffered, as Python's own stderr: what a point said survives a SIGKILL.
        sys.stderr = open(2, "w", buffering=1, errors="backslashreplace", closefd=False)  # noqa: SIM115
        env = request.get("env") or {}
        if set(env) - set(AFTER_FORK_ENV):
            raise SystemExit(f"infertime: error: a forked point cannot change {sorted(env)}")
        os.environ.update(env)
        if request.get("cwd"):
            os.chdir(request["cwd"])
        # A new interpreter's state: Python's and numpy's generators seeded from the system,
        # torch's at its fixed default, the collector over every object again.
        random.seed()
        numpy = sys.modules.get("numpy")
        if numpy is not None:
            numpy.random.seed()
        sys.modules["torch"].set_rng_state(rng)
        gc.unfreeze()
        from .. import host

        host.LOAD_AT_START = host._load_now()  # the host as this point found it
        argv = [str(a) for a in request["argv"]]
        sys.argv = ["infertime", *argv]
        module, _, function = request.get("entry", ENTRY).partition(":")
        code = getattr(importlib.import_module(module), function)(argv)
    except SystemExit as exc:
        code = exc.code
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
        code = 1
    finally:
        code = code if isinstance(code, int) else (0 if code is None else 1)
        with contextlib.suppress(BaseException):
            # As `infertime`'s entry(): exit handlers run unless CUPTI is attached (then
            # teardown takes minutes and everything is already written).
            from ..telemetry.kernel_time import cupti_attached

            if not cupti_attached():
                atexit._run_exitfuncs()
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


class Server:
    def __init__(self, entry: str, rng: Any, channel: Channel) -> None:
        self.entry = entry
        self.rng = rng
        self.channel = channel
        self.children: dict[int, Any] = {}  # pid -> request id
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        os.set_blocking(self.wake_r, False)

    def serve(self) -> None:
        # A child's exit wakes the loop through the wake-up pipe: no polling while points run.
        signal.set_wakeup_fd(self.wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        selector = selectors.DefaultSelector()
        selector.register(0, selectors.EVENT_READ, "requests")
        selector.register(self.wake_r, selectors.EVENT_READ, "wake")
        pending = b""
        try:
            while True:
                for key, _ in selector.select():
                    if key.data == "wake":
                        with contextlib.suppress(BlockingIOError):
                            os.read(self.wake_r, 4096)
                        continue
                    chunk = os.read(0, 65536)
                    if not chunk:
                        return  # the driver closed the pipe, or died
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines:
                        self.request(line)
                self.reap()
        finally:
            for pid in list(self.children):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)  # before its setsid
            for pid in list(self.children):
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)

    def request(self, line: bytes) -> None:
        if not line.strip():
            return
        try:
            request = json.loads(line)
            assert isinstance(request, dict) and isinstance(request.get("argv"), list)
        except (ValueError, AssertionError):
            self.channel.say({"id": None, "error": f"not a request: {line[:80]!r}"})
            return
        request["entry"] = self.entry
        server_pid = os.getpid()
        private = [self.channel.fd, self.wake_r, self.wake_w]
        try:
            pid = os.fork()
        except OSError as exc:
            self.channel.say({"id": request.get("id"), "error": f"cannot fork: {exc}"})
            return
        if pid == 0:
            try:
                child(request, server_pid, self.rng, private)
            finally:
                os._exit(70)  # never back into the server's loop
        self.children[pid] = request.get("id")
        self.channel.say({"id": request.get("id"), "pid": pid})

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            rid = self.children.pop(pid, None)
            self.channel.say({"id": rid, "exit": os.waitstatus_to_exitcode(status)})


def main(argv: list[str]) -> int:
    """`--preload LIB` (repeatable) imports a model library; `--entry MODULE:FUNCTION`
    replaces what children run (tests' stand-in points)."""
    entry = argv[argv.index("--entry") + 1] if "--entry" in argv else ENTRY
    libraries = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--preload"]
    channel = Channel()
    started = time.perf_counter()
    try:
        rng = preload(libraries)
    except Exception as exc:  # said to the driver, which runs fresh interpreters instead
        channel.say({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return 3
    why = fork_unsafe_reason()
    # Objects imported so far never change: keep the collector off their pages, so that
    # children share them with the server instead of copying them (each child unfreezes).
    gc.freeze()
    hello = {"ready": True, "pid": os.getpid(), "import_s": time.perf_counter() - started}
    channel.say({**hello, "fork_safe": why is None, "why": why})
    if why is not None:
        return 0  # the driver starts fresh interpreters instead
    Server(entry, rng, channel).serve()
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    # Nothing is left to write: skip the interpreter's teardown of torch and CUDA's libraries.
    sys.stderr.flush()
    os._exit(code)
