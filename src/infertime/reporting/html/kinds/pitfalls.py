"""A pitfalls result as report panels: the article's bar chart (mean ± std by method) and the
error each classic mistake makes against the correct median."""

from __future__ import annotations

from ....pitfalls.result import SHORT_LABELS, PitfallsResult
from .. import cells
from ..cells import Cell
from ..document import Panel, Table
from ..figures import Axis, Bar, Bars, Figure, Level
from ..sources import pointer as p
from .common import configuration


def _short(code: str) -> str:
    return " ".join(SHORT_LABELS.get(code, code).split())


def title(r: PitfallsResult) -> str:
    return f"{configuration(r.settings)}: the correct method and the classic mistakes"


def lead(r: PitfallsResult) -> tuple[str, ...]:
    return (
        f"every method on the same model and inputs; errors are relative to the correct "
        f"method's median; the device timer is {r.settings.timer}",
    )


def bars_panel(r: PitfallsResult) -> Panel:
    shown = [
        (i, row) for i, row in enumerate(r.rows) if row.applies and row.code != "single_sample"
    ]
    bars = []
    rows: list[tuple[Cell, ...]] = []
    for i, row in shown:
        s = row.summary
        bars.append(
            Bar(
                SHORT_LABELS.get(row.code, row.code),
                s.mean,
                max(0.0, s.mean - s.std),
                s.mean + s.std,
                dot=s.median,
                role="good" if row.code == "correct" else "bad",
            )
        )
        samples = p("rows", i, "samples_s")
        errors = p("errors_vs_correct_median", row.code)
        correct = row.code == "correct"
        rows.append(
            (
                cells.text(_short(row.code)),
                cells.count(s.n, f"count({samples})"),
                cells.seconds(s.mean, f"mean({samples})"),
                cells.seconds(s.std, f"std({samples})"),
                cells.seconds(s.median, f"median({samples})"),
                cells.text("")
                if correct
                else cells.fraction(r.error(row.code, "mean"), errors + "/mean", signed=True),
                cells.text("")
                if correct
                else cells.fraction(r.error(row.code, "median"), errors + "/median", signed=True),
            )
        )
    figure = Bars(
        f"time per call by method: mean ± std, median ◆ — {configuration(r.settings)}",
        Axis("time per call", "s"),
        tuple(bars),
        (Level("correct median", r.reference_s, "reference"),),
        dot_label="median",
    )
    table = Table(
        ("method", "samples", "mean", "std", "median", "mean vs correct", "median vs correct"),
        tuple(rows),
    )
    notes = [f"{row.label}: not measured here, {row.note}" for row in r.rows if not row.applies]
    cold = r.row("no_warmup")
    if cold.applies and "startup_s" in cold.extra:
        notes.append(
            f"no warm-up: the fresh process needed {cold.extra['startup_s']:.1f} s to start; "
            "its first call is the first sample"
        )
    return Panel("by method", figure, (table,), tuple(notes))


def errors_panel(r: PitfallsResult) -> Panel:
    mistakes = [
        row for row in r.rows if row.applies and row.code not in ("correct", "single_sample")
    ]
    bars = []
    rows: list[tuple[Cell, ...]] = []
    for row in mistakes:
        err = r.error(row.code, "mean")
        assert err is not None
        bars.append(Bar(SHORT_LABELS.get(row.code, row.code), err, role="bad"))
        rows.append(
            (
                cells.text(_short(row.code)),
                cells.fraction(err, p("errors_vs_correct_median", row.code, "mean"), signed=True),
            )
        )
    single = r.single_sample_errors()
    for key, words in (
        ("typical", "a single sample, typical error"),
        ("p95", "a single sample, 95 % within"),
    ):
        rows.append(
            (cells.text(words), cells.fraction(single[key], p("single_sample_errors", key)))
        )
    figure = Bars(
        f"error of each mistake: its mean against the correct median — {configuration(r.settings)}",
        Axis("error against the correct median", "fraction"),
        tuple(bars),
        (Level("no error", 0.0, "reference"),),
    )
    return Panel(
        "error of each mistake",
        figure if bars else None,
        (Table(("mistake", "error"), tuple(rows)),),
    )


def panels(r: PitfallsResult, compact: bool = False) -> tuple[Panel, ...]:
    return (bars_panel(r), errors_panel(r))


def figures(r: PitfallsResult) -> tuple[Figure, ...]:
    return tuple(panel.figure for panel in panels(r) if panel.figure is not None)
