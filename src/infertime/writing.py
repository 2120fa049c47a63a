"""Writing result files and exports: whole or not at all, never over a stream's file.

A regular file is written to a temporary file in the same folder, flushed, and renamed over
the path (a symbolic link's target, not the link), so a failure or a signal never leaves half
a file. A device or a FIFO (/dev/null, a pipe) is written in place: the rename would turn it
into a file. A path that names one of this process's open streams (/dev/stdout, /dev/stderr,
/dev/fd/N, /proc/self/fd/N) is written to that stream itself, where it stands and in its mode:
following the link would land on the file the stream is redirected to and replace it (a log
opened with `>>` lost), or on a pipe's name that cannot be opened.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import signal
import stat
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ResultFileError, Terminated

_FD_PATH = re.compile(r"^/(?:dev/fd|proc/(?:self|thread-self|\d+)/fd)/(\d+)$")
_NAMED = {"/dev/stdout": 1, "/dev/stderr": 2}


def stream_fd(path: str | os.PathLike[str]) -> int | None:
    """The descriptor of this process's own stream that `path` names, or None."""
    text = os.path.normpath(os.fspath(path))
    if text in _NAMED:
        return _NAMED[text]
    match = _FD_PATH.match(text)
    if match is None:
        return None
    pid = text.split("/")[2]
    if text.startswith("/proc/") and pid.isdigit() and int(pid) != os.getpid():
        return None  # another process's stream: an ordinary (if odd) path
    return int(match.group(1))


def new_file_mode() -> int:
    """The permissions a new file gets here (0666 less the umask), as open() would give."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def target(path: str | os.PathLike[str]) -> Path:
    """Where a write to `path` lands: a symbolic link is followed to its target."""
    p = Path(path)
    return Path(os.path.realpath(p)) if p.is_symlink() else p


def is_stream(p: Path) -> bool:
    """An existing character device or pipe (/dev/null, a FIFO): written in place, never
    replaced by the atomic rename (which would turn /dev/null into a file)."""
    try:
        mode = p.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def _fail(p: str | os.PathLike[str], why: str, what: str = "result") -> ResultFileError:
    return ResultFileError(f"cannot write {what} to {p}: {why}")


def check_writable(path: str | os.PathLike[str], what: str = "result") -> Path:
    """Fail before a long measurement, not after it, when the result cannot be written."""
    fd = stream_fd(path)
    if fd is not None:
        try:
            mode = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE
        except OSError:
            raise _fail(path, f"descriptor {fd} is not open", what) from None
        if mode not in (os.O_WRONLY, os.O_RDWR):
            raise _fail(path, f"descriptor {fd} is not open for writing", what)
        return Path(path)
    try:
        p = target(path)
        parent = p.parent if str(p.parent) else Path(".")
        if is_stream(p):
            if not os.access(p, os.W_OK):
                raise _fail(p, "it is not writable", what)
            return p
        if p.exists() and not p.is_file():
            kind = "a directory" if p.is_dir() else "not a regular file"
            raise _fail(p, f"it is {kind}", what)
        if not parent.is_dir():
            why = "is not a folder" if parent.exists() else "does not exist"
            raise _fail(p, f"folder {parent} {why}", what)
        if not os.access(parent, os.W_OK):
            raise _fail(p, f"folder {parent} is not writable", what)
    except OSError as exc:  # a name too long, a loop of links
        raise _fail(path, exc.strerror or str(exc), what) from None
    if len(p.name.encode()) > 255 - 12:  # room for the temporary file's prefix and suffix
        raise _fail(p, "its name is too long", what)
    return p


def write_text_atomic(text: str, path: str | os.PathLike[str], what: str = "result") -> Path:
    """`text` to `path`: whole or not at all (module doc)."""
    fd = stream_fd(path)
    if fd is not None:
        _write_to_stream(fd, text, path, what)
        return Path(path)
    p = check_writable(path, what)
    if is_stream(p):
        try:
            with open(p, "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as exc:
            raise _fail(p, exc.strerror or str(exc), what) from exc
        return p
    with _terminate_cleanly():
        handle, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, new_file_mode())  # mkstemp makes 0600: the file's normal permissions
            os.replace(tmp, p)
        except BaseException as exc:
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise _fail(p, exc.strerror or str(exc), what) from exc
            raise
    return p


def _write_to_stream(fd: int, text: str, path: str | os.PathLike[str], what: str) -> None:
    """Into the open stream itself (its position and append mode kept), after what Python has
    buffered for it, so the order of output holds."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and stream.fileno() == fd:
                stream.flush()
        except (OSError, ValueError, AttributeError):
            continue
    data = text.encode("utf-8")
    try:
        while data:
            data = data[os.write(fd, data) :]
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise BrokenPipeError(errno.EPIPE, "broken pipe") from None
        raise _fail(path, exc.strerror or str(exc), what) from exc


@contextmanager
def _terminate_cleanly() -> Iterator[None]:
    """While a temporary file exists: SIGTERM raises (so it is removed on the way out) where
    nothing else handles it; the default would kill the process and leave it behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except ValueError:
        yield
        return
    if previous is not signal.SIG_DFL:  # the CLI's own handler, or the caller's
        yield
        return

    fired: list[int] = []

    def handler(signum: int, frame: object) -> None:
        fired.append(signum)
        raise Terminated()

    signal.signal(signal.SIGTERM, handler)
    try:
        yield
    except Terminated:
        if fired:  # our SIGTERM: die as the signal meant, the file removed on the way
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
