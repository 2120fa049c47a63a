"""Child processes that die with their parent, and light scripts that do not import infertime.

Every child infertime starts (a worker of the executor, the NVML sampler) is started with
`die_with_parent`, so no child outlives infertime however it ends (SIGKILL included).
"""

from __future__ import annotations

import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """In a new child, before it runs: have the kernel kill it when its parent dies, however
    the parent dies (SIGKILL included), so no child outlives infertime (Linux; elsewhere the
    parent's cleanup on SIGINT and SIGTERM is all there is)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def start_script(path: str, args: list[str]) -> subprocess.Popen[bytes]:
    """Run the Python file at `path` in a fresh interpreter without importing this package.

    runpy.run_path, not `-m` or a script path: neither the package (torch) nor its folder
    loads, so the child stays light (the NVML sampler must not load the CPU it watches).
    """
    runner = (
        "import runpy, sys; sys.argv = sys.argv[1:]; "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    return subprocess.Popen(
        [sys.executable, "-c", runner, path, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
