"""A generation result in the HTML report (the registry's `report` and `figures`): decode step
time against KV position (device marks), the pooled step distribution, the figures of each
path in separate tables, and a sweep's tokens/s per GPU against tokens/s per user."""

from __future__ import annotations

from ..reporting.html import cells
from ..reporting.html.cells import Cell
from ..reporting.html.common import configuration
from ..reporting.html.document import Panel, Table
from ..reporting.html.figures import Axis, Curve, Distribution, Figure, Level, Line, Mark, Point
from ..reporting.html.kind_report import KindReport, figures_of
from ..reporting.html.probes import probes_panel
from ..reporting.html.sources import pointer
from . import figures as fig
from .records import GenerationRun
from .render import CALLER_PATH, DEVICE_PATH
from .result import GenerationResult


def title(r: GenerationResult) -> str:
    s = r.runs[0].spec if r.runs else None
    lengths = f": prompt {s.prompt_len}, {s.new_tokens} new tokens" if s else ""
    return f"{configuration(r.settings)}{lengths}"


def lead(r: GenerationResult) -> tuple[str, ...]:
    return (
        f"{DEVICE_PATH}; {CALLER_PATH}; the two are never mixed in one figure",
        "each CI is over calls (a call runs the batch's sequences together)",
    )


def _cell(key: str, f: fig.Figure, at: str) -> tuple[Cell, ...]:
    """One figure's row; each number sourced from the file's derived block (`by_batch`)."""
    s = f.summary
    ci = s.median_ci
    here = f"{at}{pointer(key)}"
    med, low_at, high_at = f"{here}/median", f"{here}/median_ci/0", f"{here}/median_ci/1"
    if f.unit == "s":
        value = cells.seconds(s.median, med)
        low = cells.seconds(ci[0] if ci else None, low_at)
        high = cells.seconds(ci[1] if ci else None, high_at)
    elif f.unit == "tokens/s":
        value = cells.items_per_s(s.median, med, unit=False)
        low = cells.items_per_s(ci[0] if ci else None, low_at, unit=False)
        high = cells.items_per_s(ci[1] if ci else None, high_at, unit=False)
    else:
        value = cells.number(s.median, med)
        low = cells.number(ci[0] if ci else None, low_at)
        high = cells.number(ci[1] if ci else None, high_at)
    return (cells.text(f.label), value, low, high, cells.count(s.n, f"{here}/n"))


def figures_table(figures: dict[str, fig.Figure], caption: str, at: str) -> Table:
    """`at`: the JSON Pointer of the figures' block in the file (by_batch/i/device_path)."""
    return Table(
        ("figure", "median", "CI low", "CI high", "calls"),
        tuple(_cell(key, f, at) for key, f in figures.items()),
        caption,
    )


def steps_panel(run: GenerationRun, index: int = 0) -> Panel:
    """Median decode step time at each KV position (device marks), with TPOT as a level."""
    by_position = fig.steps_by_position(run)
    dev = fig.device_figures(run)
    figure: Figure | None = None
    if by_position:
        line = Line("median step", tuple(Point(float(x), y) for x, y in by_position))
        figure = Curve(
            f"decode step time against KV position, device marks — batch {run.spec.batch_size}",
            Axis("KV position (tokens before the step's input)"),
            Axis("decode step time (device path)", "s"),
            (line,),
            levels=(Level("TPOT (median)", dev["tpot_s"].median, "median"),)
            if "tpot_s" in dev
            else (),
        )
    at = pointer("by_batch", index)
    tables = [figures_table(dev, f"device path, batch {run.spec.batch_size}", f"{at}/device_path")]
    caller = fig.caller_figures(run)
    if caller:
        tables.append(
            figures_table(caller, "caller's path: generate(), host clock", f"{at}/caller_path")
        )
    notes = []
    gap = fig.marks_gap(run)
    if gap is not None:
        notes.append(f"prefill + decode steps within {gap:.3%} of the whole sequence's time")
    notes.append(run.stop.message)
    return Panel(f"batch {run.spec.batch_size}", figure, tuple(tables), tuple(notes))


def itl_panel(run: GenerationRun) -> Panel | None:
    steps = fig.device_steps(run)
    if steps is None:
        return None
    marks = tuple(
        Level(label, v, "median")
        for q, label in ((0.5, "p50"), (0.9, "p90"), (0.99, "p99"))
        if (v := steps.quantile(q)) is not None
    )
    return Panel(
        "decode steps, pooled",
        Distribution(
            f"every decode step of {steps.calls} calls (device marks; no CI: steps of one call "
            "are correlated)",
            Axis("decode step time (device path)", "s"),
            steps.values,
            marks,
        ),
    )


def sweep_panel(r: GenerationResult) -> Panel | None:
    sweep = r.sweep
    if sweep is None:
        return None
    ok = [p for p in sweep.points if p.ok]
    if not ok:
        return Panel("batch sweep", None, (), ("no batch ran",))
    points = []
    rows: list[tuple[Cell, ...]] = []
    for p in ok:
        user, gpu = p.tokens_per_s_per_user, p.tokens_per_s_per_gpu
        assert user is not None and gpu is not None
        points.append(Point(user, gpu))
        rows.append((cells.count(p.batch), cells.items_per_s(gpu, unit=False),
                     cells.items_per_s(user, unit=False)))  # fmt: skip
    curve = Curve(
        "tokens/s per GPU against tokens/s per user, one point per batch (device path)",
        Axis("tokens/s per user (1 / median TPOT)", "items/s"),
        Axis("tokens/s per GPU (batch × N / median end to end)", "items/s"),
        (Line("batches", tuple(sorted(points, key=lambda q: q.x))),),
        marks=tuple(Mark(f"batch {p.batch}", pt.x, pt.y) for p, pt in zip(ok, points, strict=True)),
    )
    notes = [sweep.choice.message] if sweep.choice is not None else []
    table = Table(("batch", "tokens/s per GPU", "tokens/s per user"), tuple(rows))
    return Panel("batch sweep", curve, (table,), tuple(notes))


def panels(r: GenerationResult, compact: bool = False) -> tuple[Panel, ...]:
    out: list[Panel] = []
    for index, run in enumerate(r.runs):
        out.append(steps_panel(run, index))
        if not compact and (itl := itl_panel(run)) is not None:
            out.append(itl)
    sweep = sweep_panel(r)
    if sweep is not None:
        out.append(sweep)
    if not compact and (probes := probes_panel(r)) is not None:
        out.append(probes)
    return tuple(out)


def figures(r: GenerationResult) -> tuple[Figure, ...]:
    """The data series of a generation result's plots (the kind registry's `figures`)."""
    return figures_of(panels(r))


REPORT = KindReport("Text generation", title, lead, panels)
