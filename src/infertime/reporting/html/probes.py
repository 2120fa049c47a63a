"""What the pipeline's probes recorded around any kind's engine step (sections.py, on the
`Analysis` base every result has): host time by phase, what building each call cost, the NVML
watch, and the CUPTI and model-output checks, as one panel with each value's place in the file."""

from __future__ import annotations

from typing import Any

from ...sections import Analysis, BackendBuild
from ...telemetry.nvml import is_throttled
from . import cells
from .cells import Cell
from .document import Panel, Table
from .sources import pointer as p

# WallTimes' fields in the order a measurement runs them, in words.
PHASES = (
    ("prepare_s", "model build and imports"),
    ("cold_start_s", "cold start (a fresh process)"),
    ("search_s", "max-fit search"),
    ("engine_s", "engine step (warm-up and samples)"),
    ("graph_pass_s", "CUDA-graph pass"),
    ("kernel_pass_s", "kernel-time pass (CUPTI)"),
    ("total_s", "whole measurement"),
)


def _analysis(result: Any) -> Analysis | None:
    found = getattr(result, "analysis", None)
    return found if isinstance(found, Analysis) else None


def wall_table(a: Analysis) -> Table | None:
    if a.wall_s is None:
        return None
    rows = []
    for name, words in PHASES:
        value = getattr(a.wall_s, name)
        if value is not None:
            rows.append((cells.text(words), cells.seconds(value, p("analysis", "wall_s", name))))
    return Table(("host time", "seconds"), tuple(rows), "wall time by phase") if rows else None


def _build_row(label: str, b: BackendBuild, base: str) -> tuple[Cell, ...]:
    def cost(name: str) -> Cell:
        value = getattr(b, name)
        return cells.seconds(value, f"{base}/{name}") if value is not None else cells.text("—")

    return (
        cells.text(label),
        cells.text(b.backend, f"{base}/backend"),
        cells.count(b.batch, f"{base}/batch") if b.batch is not None else cells.text("—"),
        cost("compile_s"),
        cost("export_s"),
        cost("session_s"),
    )


def builds_table(a: Analysis) -> Table | None:
    """The call timed (`backend`) and every call built (`backend_builds`): what each cost,
    always outside warm-up and samples."""
    rows = []
    if a.backend is not None:
        rows.append(_build_row("the call timed", a.backend, p("analysis", "backend")))
    for i, b in enumerate(a.backend_builds):
        if b is not None:
            rows.append(_build_row(f"build {i + 1}", b, p("analysis", "backend_builds", i)))
    if not rows:
        return None
    return Table(
        ("", "backend", "batch", "compile", "export", "session"),
        tuple(rows),
        "what building each call cost (not in any figure)",
    )


def gpu_table(a: Analysis) -> tuple[Table | None, list[str]]:
    """The NVML watch: how many readings, how often, and how many showed a throttle reason."""
    state = a.gpu_state
    if state is None:
        return None, []
    notes = []
    if "error" in state.before:
        notes.append(f"GPU state not read: {state.before['error']}")
    throttled = sum(1 for r in state.readings if is_throttled(r.reasons))
    if state.readings:
        notes.append(f"{throttled} of {len(state.readings)} NVML readings showed a throttle reason")
    rows = (
        (
            cells.text("readings"),
            cells.count(len(state.readings), f"len({p('analysis', 'gpu_state', 'readings')})"),
        ),
        (
            cells.text("every"),
            cells.seconds(state.interval_s, p("analysis", "gpu_state", "interval_s")),
        ),
    )
    return Table(("NVML watch", "value"), rows), notes


def probes_panel(result: Any) -> Panel | None:
    """How the measurement went around its engine step; None when nothing was recorded."""
    a = _analysis(result)
    if a is None:
        return None
    gpu, notes = gpu_table(a)
    tables = tuple(t for t in (wall_table(a), builds_table(a), gpu) if t is not None)
    if a.cupti_attached_before:
        notes.append(
            "CUPTI was already attached when this measurement started: every launch in the "
            "process was slower"
        )
    if a.printed:
        notes.append(f"the model printed {a.printed} lines while it was measured")
    if not tables and not notes:
        return None
    return Panel("measurement", tables=tables, notes=tuple(notes))
