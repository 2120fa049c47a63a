"""Every kind's terminal output, with and without --details, fits 80 columns as written: no cell
cut, no word broken across lines (issue 20). Rendered from golden files, so the widths tested
are those of real results, on any host."""

from __future__ import annotations

import re
from typing import Any

import pytest

from infertime import kinds
from infertime.reporting.show import render_text
from report_results import KIND_FILES, golden, long_latency

# Each registered kind needs at least one sample here: a new kind cannot skip this test.
SAMPLES: dict[str, Any] = {
    **{name: (lambda name=name: golden(name)) for name in KIND_FILES},
    "latency_gpu_like": lambda: long_latency(n=2_000),
}
WORD = re.compile(r"[\w.%×±:/@-]+")


def words(text: str) -> list[str]:
    """The words of the text in order, whatever the line breaks and table borders."""
    return WORD.findall(text)


def test_every_kind_has_a_sample() -> None:
    covered = {kinds.of(make()).name for make in SAMPLES.values()}
    assert set(kinds.names()) <= covered, set(kinds.names()) - covered


@pytest.mark.parametrize("details", [False, True], ids=["table", "details"])
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_output_fits_80_columns_without_cutting(name: str, details: bool) -> None:
    result = SAMPLES[name]()
    narrow = render_text(result, details=details, width=80)
    wide = render_text(result, details=details, width=240)
    assert narrow.strip()
    too_long = [line for line in narrow.splitlines() if len(line) > 80]
    assert not too_long, too_long
    # A cell rich had to shorten shows an ellipsis the wide rendering does not have.
    assert narrow.count("…") == wide.count("…"), narrow
    # Prose may wrap at 80 columns, but only between words: the words stay the same, in order.
    assert words(narrow) == words(wide), narrow
