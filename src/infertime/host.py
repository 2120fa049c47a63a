"""The host as infertime found it: the load when the process started (before infertime's own
work raised it) and the cores free for the measurement's threads."""

from __future__ import annotations

import os
import time


def _runnable_others(samples: int = 5, pause_s: float = 0.01) -> int | None:
    """Other tasks runnable right now (Linux /proc/loadavg's 4th field, this process's own
    reading thread taken out), the median of a few readings 10 ms apart: a busy process is
    runnable in each of them, a daemon waking for a moment in one (the most of five readings
    made an idle host look half busy in 1 of 10 runs)."""
    seen = []
    for i in range(samples):
        try:
            with open("/proc/loadavg") as f:
                running = int(f.read().split()[3].split("/")[0])
        except (OSError, ValueError, IndexError):
            return None
        seen.append(max(0, running - 1))
        if i + 1 < samples:
            time.sleep(pause_s)
    return sorted(seen)[len(seen) // 2]


def _load_now() -> float | None:
    """The host's load from other work: the 1-minute average, capped by what is runnable now.
    The average lags: it still counts a process that ended seconds ago (the previous
    `infertime run` of a loop over configurations kept it at 1.5 on an idle 2-core host, and
    every run warned of contention); tasks runnable now do not."""
    try:
        average = os.getloadavg()[0]
    except OSError:
        return None
    now = _runnable_others()
    return average if now is None else min(average, float(now))


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
