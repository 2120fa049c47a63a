"""Render `infertime pitfalls`: each method's mean ± std and median against the correct figure."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from ..reporting.describe import backend_words
from ..reporting.units import duration, duration_in, percent, unit_of
from .result import PitfallsResult


def pitfalls_table(r: PitfallsResult) -> Table:
    s = r.settings
    title = (
        f"{' · '.join([s.model, f'batch {s.batch_size}', s.dtype_label, *backend_words(s)])} · "
        f"{s.device} — the correct method "
        f"and the classic mistakes, {len(r.row('correct').samples_s)} samples each"
    )
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("method", "mean ± std", "median", "mean vs correct", "median vs correct"):
        table.add_column(
            col, justify="left" if col == "method" else "right", no_wrap=col != "method"
        )
    for row in r.rows:
        if row.code == "single_sample":
            e = r.single_sample_errors()
            table.add_row(
                row.label,
                "",
                "",
                f"typically ±{percent(e['typical'])}",
                f"95 % within ±{percent(e['p95'])}",
            )
            continue
        if not row.applies:
            table.add_row(row.label, "n/a (see below)", "", "", "")
            continue
        m = row.summary
        table.add_row(
            row.label,
            f"{duration_in(m.mean, m.mean)} ± {duration_in(m.std, m.mean)} {unit_of(m.mean)}",
            duration(m.median),
            "" if row.code == "correct" else error_cell(r, row.code, "mean"),
            "" if row.code == "correct" else error_cell(r, row.code, "median"),
        )
    return table


def error_cell(r: PitfallsResult, code: str, statistic: str) -> str:
    """A mistake's error against the correct method (like for like), or 'within noise' where
    the correct method's own spread is as wide."""
    err = r.error(code, statistic)
    if err is None:
        return ""
    return f"{err:+.1%}" + (" (noise)" if r.within_noise(code, statistic) else "")


def print_pitfalls(r: PitfallsResult, console: Console, details: bool = False) -> None:
    console.print(pitfalls_table(r))
    cold = r.row("no_warmup")
    lines = [
        f"errors compare like with like: each mean with the correct mean "
        f"({duration(r.reference('mean'))}), each median with the correct median "
        f"({duration(r.reference_s)}); (noise): no larger than the correct method's own 95 % "
        f"CI; the device timer is {r.settings.timer}",
    ]
    if cold.applies:
        lines.append(
            f"no warm-up: the fresh process needed {cold.extra.get('startup_s', 0):.1f} s to start "
            f"(interpreter, imports, model, device initialisation); its first call took "
            f"{duration(cold.samples_s[0])}"
        )
    lines += [f"{row.label}: n/a, {row.note}" for row in r.rows if not row.applies]
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True, markup=False)
