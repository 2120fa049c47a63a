"""How the fault matrix runs a case and judges its outcome, as the review's harness did: the exit
code, one `infertime: error:` line and no traceback, what stdout holds, the files left in the
case's folder, no temporary file, and no process left running from that folder.

A case runs in-process through `infertime.cli.app.main` where it can (fast; the `cli`
fixture), and as `python -m infertime` under bash where it needs a process of its own: closed
or redirected streams, /dev/stdout, signals (`shell`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from infertime.cli.app import main

ROOT = Path(__file__).parent.parent
TESTS = Path(__file__).parent
# Small, fast and CPU-only: every measuring case uses these.
QUICK = ("--device", "cpu", "--preset", "quick", "--max-time", "0.3")
TMP = ".tmp"  # each case's TMPDIR, inside its folder: a task folder left behind shows


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    def error(self) -> str:
        """The one error line (asserted to be one, without a traceback)."""
        lines = [x for x in self.err.splitlines() if x.startswith("infertime: error:")]
        assert len(lines) == 1, f"want one error line, got:\n{self.err[-3000:]}"
        assert "Traceback" not in self.err, self.err[-3000:]
        return lines[0]

    def fails(self, code: int, *words: str) -> str:
        """Exit `code`, one error line holding `words`, nothing on stdout."""
        assert self.code == code, f"exit {self.code}, want {code}:\n{self.err[-3000:]}"
        line = self.error()
        for word in words:
            assert word in line, f"{word!r} not in: {line}"
        assert self.out == "", self.out[:2000]
        return line

    def succeeds(self) -> None:
        assert self.code == 0, f"exit {self.code}:\n{self.err[-3000:]}"
        assert "Traceback" not in self.err and "infertime: error" not in self.err, self.err


class Case:
    """A folder to run one case in, and what the case left there."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        (folder / TMP).mkdir(exist_ok=True)

    def path(self, name: str) -> Path:
        return self.folder / name

    def left(self) -> set[str]:
        """Names left in the folder (the case's TMPDIR aside), asserting that no temporary file
        and no process is left behind."""
        names = {p.name for p in self.folder.iterdir() if p.name != TMP}
        stray = [n for n in names if n.endswith(".tmp")]
        # infertime's own temporary folders and files (libraries keep caches there too)
        stray += [f"{TMP}/{p.name}" for p in (self.folder / TMP).glob("*infertime*")]
        assert not stray, f"temporary files left: {stray}"
        assert not processes_in(self.folder), f"processes left: {processes_in(self.folder)}"
        return names


def processes_in(folder: Path, wait_s: float = 5.0) -> list[int]:
    """Processes (other than this one) whose working directory is in `folder`, after giving
    children killed with their parent a few seconds to go."""
    deadline = time.monotonic() + wait_s
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                cwd = Path(os.readlink(entry / "cwd"))
            except OSError:
                continue
            if cwd == folder or folder in cwd.parents:
                found.append(int(entry.name))
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)  # waiting for another process to exit, not timing anything


@pytest.fixture
def case(tmp_path: Path) -> Case:
    return Case(tmp_path)


@pytest.fixture
def cli(
    case: Case, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Outcome]]:
    """`cli("run", ...)`: the command line in this process, in the case's folder."""
    monkeypatch.chdir(case.folder)
    monkeypatch.setattr(sys, "path", list(sys.path))  # main() adds the working directory
    monkeypatch.setattr(tempfile, "tempdir", str(case.folder / TMP))
    monkeypatch.setenv("TMPDIR", str(case.folder / TMP))  # fresh processes inherit it
    monkeypatch.setenv("PYTHONPATH", child_path())

    def run(*args: str) -> Outcome:
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Outcome(code, out, err)

    yield run


def child_path() -> str:
    paths = [str(ROOT / "src"), str(TESTS), os.environ.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in paths if p)


def shell(
    script: str, case: Case, timeout_s: float = 120, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`script` under bash in the case's folder; `$INFERTIME` is the command line."""
    full_env = {
        **os.environ,
        "PYTHONPATH": child_path(),
        "TMPDIR": str(case.folder / TMP),
        "INFERTIME": f"{sys.executable} -m infertime",
        **(env or {}),
    }
    return subprocess.run(
        ["bash", "-c", script],
        cwd=case.folder,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )
