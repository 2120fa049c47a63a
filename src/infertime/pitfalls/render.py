"""Render `infertime pitfalls`: each method's mean ± std and median against the correct figure."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table

from ..reporting.describe import backend_words
from ..reporting.diagnostics import wrapped
from ..reporting.units import duration, duration_in, percent, unit_of
from .result import PitfallsResult

# One line each in the table, so it fits 80 columns; the lines below the table say them in full.
TABLE_LABELS = {
    "correct": "correct",
    "copy_pageable": "copy, pageable",
    "copy_pinned": "copy, pinned",
    "no_sync": "no synchronize",
    "no_warmup": "no warm-up",
    "single_sample": "single sample",
}


def title(r: PitfallsResult) -> str:
    s = r.settings
    return (
        f"{' · '.join([s.model, f'batch {s.batch_size}', s.dtype_label, *backend_words(s)])} · "
        f"{s.device} — the correct method and the classic mistakes, "
        f"{len(r.row('correct').samples_s)} samples each"
    )


def pitfalls_table(r: PitfallsResult) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("method", "mean ± std", "median", "mean vs", "median vs"):
        table.add_column(col, justify="left" if col == "method" else "right", no_wrap=True)
    for row in r.rows:
        label = TABLE_LABELS.get(row.code, row.code)
        if row.code == "single_sample":
            e = r.single_sample_errors()
            table.add_row(label, "", "", f"±{percent(e['typical'])} typ.", "(below)")
            continue
        if not row.applies:
            table.add_row(label, "n/a (below)", "", "", "")
            continue
        m = row.summary
        table.add_row(
            label,
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
    wrapped(console, title(r))
    console.print(pitfalls_table(r))
    cold = r.row("no_warmup")
    e = r.single_sample_errors()
    lines = [
        "vs: each mean against the correct mean "
        f"({duration(r.reference('mean'))}), each median against the correct median "
        f"({duration(r.reference_s)}); (noise): no larger than the correct method's own 95 % "
        f"CI; the device timer is {r.settings.timer}",
    ]
    meaning = {
        "copy_pageable": "copy: the host→device copy inside the timed region (pageable or "
        "pinned memory)",
        "no_sync": "no synchronize: a CPU timer read without synchronize",
    }
    said = [m for code, m in meaning.items() if r.row(code).applies]
    if said:
        lines.append("; ".join(said))
    lines.append(
        f"single sample: one sample of the correct method, typically ±{percent(e['typical'])} "
        f"off its median, 95 % within ±{percent(e['p95'])}"
    )
    if cold.applies:
        lines.append(
            f"no warm-up: the first calls of a fresh process, which needed "
            f"{cold.extra.get('startup_s', 0):.1f} s to start (interpreter, imports, model, device "
            f"initialisation); its first call took {duration(cold.samples_s[0])}"
        )
    by_note: dict[str, list[str]] = {}
    for row in r.rows:
        if not row.applies:
            by_note.setdefault(row.note, []).append(TABLE_LABELS[row.code])
    lines += [f"{'; '.join(codes)}: n/a, {note}" for note, codes in by_note.items()]
    for line in lines:
        wrapped(console, line)
