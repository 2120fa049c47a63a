"""Reports in a real browser: headless Chromium (Debian's `chromium`) opens each kind's report
from file://, with 0 requests outside the file, 0 console errors, and a screenshot that is not
blank. Without Chromium these skip, except in CI, where its absence fails them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from infertime.reporting.html.report import write_report
from report_browser import Chromium, find_chromium, in_ci, pixel_spread
from report_results import KIND_FILES, edge_cases, golden, long_latency, sweep

pytest.importorskip("matplotlib")
pytest.importorskip("PIL")  # comes with matplotlib

CHROMIUM = find_chromium()
if CHROMIUM is None and in_ci():
    pytest.fail("CI needs Chromium for the report tests (apt-get install chromium)", pytrace=False)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Chromium (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    assert CHROMIUM is not None
    with Chromium(CHROMIUM) as b:
        yield b


def reports() -> dict[str, list[object]]:
    out: dict[str, list[object]] = {name: [golden(name)] for name in KIND_FILES}
    out["long_gpu_like"] = [long_latency(n=10_000)]
    out["every_kind"] = [golden(name) for name in KIND_FILES]
    out["sweep"] = list(sweep(12))
    out["edge_cases"] = edge_cases()
    return out


@pytest.mark.parametrize("name", list(reports()))
def test_report_opens_offline_without_errors(name: str, browser: Chromium, tmp_path: Path) -> None:
    path = write_report(tmp_path / f"{name}.html", reports()[name], stamp="s")
    log = browser.open(path)
    assert log.requests == []
    assert log.console_errors == []
    assert browser.evaluate("document.querySelectorAll('svg').length") >= 1
    # Every inline SVG laid out with a size: a broken one collapses to nothing.
    sizes = browser.evaluate(
        "Array.prototype.map.call(document.querySelectorAll('svg'),"
        "function(s){var r=s.getBoundingClientRect();"
        "return r.width*r.height;})"
    )
    assert min(sizes) > 10_000
    variance, colours = pixel_spread(browser.screenshot())
    assert variance > 200 and colours > 50


def test_sortable_tables_sort_by_value(browser: Chromium, tmp_path: Path) -> None:
    path = write_report(tmp_path / "sweep.html", list(sweep(12)), stamp="s")
    log = browser.open(path)
    column = (
        "Array.prototype.map.call(document.querySelector('table.sortable').tBodies[0]"
        ".rows,function(r){return parseFloat(r.cells[4].dataset.value);})"
    )
    browser.evaluate("document.querySelector('table.sortable').tHead.rows[0].cells[4].click()")
    up = browser.evaluate(column)
    browser.evaluate("document.querySelector('table.sortable').tHead.rows[0].cells[4].click()")
    down = browser.evaluate(column)
    assert up == sorted(up) and down == sorted(down, reverse=True) and len(up) == 12
    assert log.console_errors == []


def test_the_helper_sees_requests_and_errors(browser: Chromium, tmp_path: Path) -> None:
    """The zeros above mean something: a page that asks for outside things is caught."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><link rel="stylesheet" href="https://example.invalid/a.css">'
        '</head><body><img src="missing.png"><p>text</p>'
        '<script>console.error("boom"); undefinedFunction();</script></body></html>'
    )
    log = browser.open(page)
    assert "https://example.invalid/a.css" in log.requests
    assert any(r.endswith("/missing.png") for r in log.requests)
    assert "boom" in log.console_errors
    assert any("Uncaught" in e for e in log.console_errors)


def test_a_blank_page_is_seen_as_blank(browser: Chromium, tmp_path: Path) -> None:
    page = tmp_path / "blank.html"
    page.write_text("<!DOCTYPE html><html><body></body></html>")
    browser.open(page)
    variance, colours = pixel_spread(browser.screenshot())
    assert variance < 1 and colours <= 2
