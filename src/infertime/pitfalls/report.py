"""A pitfalls result in the HTML report (the registry's `report` and `figures`): the article's
bar chart (mean ± std by method) and the error each classic mistake makes, like for like (its
mean against the correct mean, its median against the correct median), with the ones within
the correct method's own noise said to be."""

from __future__ import annotations

from ..reporting.html import cells
from ..reporting.html.cells import Cell
from ..reporting.html.common import configuration
from ..reporting.html.document import Panel, Table
from ..reporting.html.figures import Axis, Bar, Bars, Figure, Level
from ..reporting.html.kind_report import KindReport, figures_of
from ..reporting.html.probes import probes_panel
from ..reporting.html.sources import pointer as p
from ..reporting.units import duration
from .result import SHORT_LABELS, PitfallsResult


def _short(code: str) -> str:
    return " ".join(SHORT_LABELS.get(code, code).split())


def title(r: PitfallsResult) -> str:
    return f"{configuration(r.settings)}: the correct method and the classic mistakes"


def lead(r: PitfallsResult) -> tuple[str, ...]:
    return (
        "every method on the same model and inputs; errors compare like with like: each "
        "mean against the correct mean, each median against the correct median; within "
        "noise: no larger than the correct method's own 95 % CI; the device timer is "
        f"{r.settings.timer}",
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
                cells.text("") if correct else _error_cell(r, row.code, "mean", errors),
                cells.text("") if correct else _error_cell(r, row.code, "median", errors),
            )
        )
    figure = Bars(
        f"time per call by method: mean ± std, median ◆ — {configuration(r.settings)}",
        Axis("time per call", "s"),
        tuple(bars),
        (
            Level("correct mean", r.reference("mean"), "limit"),
            Level("correct median", r.reference("median"), "reference"),
        ),
        dot_label="median",
    )
    table = Table(
        ("method", "samples", "mean", "std", "median", "mean vs correct", "median vs correct"),
        tuple(rows),
        f"the correct mean is {duration(r.reference('mean'))}, the correct median "
        f"{duration(r.reference('median'))}",
    )
    by_note: dict[str, list[str]] = {}  # one line per reason, as the terminal says it
    for row in r.rows:
        if not row.applies:
            by_note.setdefault(row.note, []).append(_short(row.code))
    notes = [f"{'; '.join(codes)}: not measured here, {note}" for note, codes in by_note.items()]
    cold = r.row("no_warmup")
    if cold.applies and "startup_s" in cold.extra:
        notes.append(
            f"no warm-up: the fresh process needed {cold.extra['startup_s']:.1f} s to start; "
            "its first call is the first sample"
        )
    return Panel("by method", figure, (table,), tuple(notes))


def _error_cell(r: PitfallsResult, code: str, statistic: str, errors: str) -> Cell:
    return cells.fraction(r.error(code, statistic), f"{errors}/{statistic}", signed=True)


def _noise(r: PitfallsResult, code: str, statistic: str) -> str:
    return "within noise" if r.within_noise(code, statistic) else ""


def errors_panel(r: PitfallsResult) -> Panel:
    """Each mistake's error, like for like: bars of its mean against the correct mean, dots
    of its median against the correct median; within the correct method's noise, it is not a
    finding and is drawn as such."""
    mistakes = [
        (i, row)
        for i, row in enumerate(r.rows)
        if row.applies and row.code not in ("correct", "single_sample")
    ]
    bars = []
    rows: list[tuple[Cell, ...]] = []
    for _, row in mistakes:
        mean_err = r.error(row.code, "mean")
        median_err = r.error(row.code, "median")
        assert mean_err is not None and median_err is not None
        noise = r.within_noise(row.code, "mean") and r.within_noise(row.code, "median")
        label = SHORT_LABELS.get(row.code, row.code) + ("\n(within noise)" if noise else "")
        bars.append(Bar(label, mean_err, dot=median_err, role="other" if noise else "bad"))
        errors = p("errors_vs_correct_median", row.code)
        rows.append(
            (
                cells.text(_short(row.code)),
                _error_cell(r, row.code, "mean", errors),
                cells.text(_noise(r, row.code, "mean")),
                _error_cell(r, row.code, "median", errors),
                cells.text(_noise(r, row.code, "median")),
            )
        )
    single = r.single_sample_errors()
    for key, words in (
        ("typical", "a single sample, typical error"),
        ("p95", "a single sample, 95 % within"),
    ):
        rows.append(
            (
                cells.text(words),
                cells.text(""),
                cells.text(""),
                cells.fraction(single[key], p("single_sample_errors", key)),
                cells.text(""),
            )
        )
    spread = {k: r.reference_spread(k) for k in ("mean", "median")}
    said = [
        f"±{v:.1%} of its {k}" if v is not None else f"none for its {k} (too few samples)"
        for k, v in spread.items()
    ]
    notes = [
        f"within noise: no larger than the correct method's own 95 % CI, {' and '.join(said)}",
        "a single sample: how far one sample of the correct method falls from its median",
    ]
    figure = Bars(
        f"error of each mistake, like for like: its mean against the correct mean (bar), its "
        f"median against the correct median (◆) — {configuration(r.settings)}",
        Axis("error against the correct method", "fraction"),
        tuple(bars),
        (Level("no error", 0.0, "reference"),),
        dot_label="median vs correct median",
    )
    return Panel(
        "error of each mistake",
        figure if bars else None,
        (
            Table(
                ("mistake", "mean vs correct mean", "noise", "median vs correct median", "noise"),
                tuple(rows),
            ),
        ),
        tuple(notes),
    )


def panels(r: PitfallsResult, compact: bool = False) -> tuple[Panel, ...]:
    out = [bars_panel(r), errors_panel(r)]
    if not compact:
        probes = probes_panel(r)
        if probes is not None:
            out.append(probes)
    return tuple(out)


def figures(r: PitfallsResult) -> tuple[Figure, ...]:
    """The data series of a pitfalls result's plots (the kind registry's `figures`)."""
    return figures_of(panels(r))


REPORT = KindReport("Pitfalls", title, lead, panels)
