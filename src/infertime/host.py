"""The host as infertime found it: the load when the process started (before infertime's own
work raised it) and the cores free for the measurement's threads."""

from __future__ import annotations

import os


def _load_now() -> float | None:
    try:
        return os.getloadavg()[0]
    except OSError:
        return None


# Read once, when infertime is first imported: after that the 1-minute average counts
# infertime's own threads (a 72 s run on an idle 2-core host raised it from 0.39 to 1.44).
LOAD_AT_START = _load_now()


def available_cores() -> int:
    """Cores this process may run on (its affinity), else the logical cores."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def free_cores(load: float | None = None) -> int:
    """Cores the other processes left free when infertime started (at least one)."""
    load = LOAD_AT_START if load is None else load
    cores = available_cores()
    if load is None:
        return cores
    return max(1, min(cores, round(cores - load)))
