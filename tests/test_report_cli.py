"""`infertime report` and `--export-html`: files, folders and a mix; bad input as one line
with its exit code and no output file; the HTML export of a result is its report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from infertime.cli.app import main
from infertime.resultfile import load_result, save_json, to_document
from report_checks import check_numbers
from report_results import GOLDEN, KIND_FILES, golden

pytest.importorskip("matplotlib")

TINY = "models_for_tests:tiny_cnn"
FAST = ["--device", "cpu", "--preset", "quick", "--max-time", "0.3"]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """One file of each kind, as infertime writes it now, in a folder of its own."""
    runs = tmp_path / "runs"
    runs.mkdir()
    for name in ("latency", "throughput", "pitfalls", "compare"):
        save_json(golden(name), runs / f"{name}.json")
    return runs


def test_a_folder_and_a_file_make_one_report(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = tmp_path / "extra.json"
    save_json(golden("latency_processes"), extra)
    out = tmp_path / "report.html"
    code, stdout, err = run_cli(capsys, "report", folder, extra, "-o", out, "--title", "T")
    assert code == 0 and stdout == "", err
    # chatter is wrapped to 80 columns, a path longer than a line anywhere in it
    said = "".join(err.split())
    assert said.startswith(f"wrote{out}:5results(compare,latency,pitfalls,throughput)")
    html = out.read_text()
    assert "<title>T</title>" in html
    files = [*sorted(folder.glob("*.json")), extra]
    assert check_numbers(html, [json.loads(p.read_text()) for p in files]) > 200
    for kind in ("latency", "throughput", "pitfalls", "compare"):
        assert f'id="kind-{kind}"' in html
    assert 'id="overview"' in html


def test_a_file_that_is_not_a_result_stops_it_with_no_file(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "notes.json").write_text('{"hello": 1}')
    out = tmp_path / "report.html"
    code, stdout, err = run_cli(capsys, "report", folder, "-o", out)
    assert code == 2 and stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "notes.json" in lines[0] and "--skip-bad" in lines[0]
    assert not out.exists()
    code, _, err = run_cli(capsys, "report", folder, "-o", out, "--skip-bad")
    assert code == 0, err
    assert "skipped: " in err and "notes.json" in "".join(err.split())
    assert "notes.json" in out.read_text()  # named atop the report too


def test_another_infertime_file_in_a_folder_is_passed_over(
    folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sweep's folder keeps its own bookkeeping beside its results."""
    (folder / "manifest.json").write_text('{"schema": "infertime.sweep", "points": []}')
    out = tmp_path / "report.html"
    code, _, err = run_cli(capsys, "report", folder, "-o", out)
    assert code == 0 and "manifest" not in err, err
    code, _, err = run_cli(capsys, "report", folder / "manifest.json", "-o", out)
    assert code == 2 and "manifest.json" in err  # named on its own, it is not a result


@pytest.mark.parametrize(
    ("where", "code", "message"),
    [
        ("missing/report.html", 7, "does not exist"),
        (".", 7, "it is a directory"),
        ("runs/latency.json", 2, "also an input"),
    ],
)
def test_an_output_that_cannot_be_written_is_one_line_and_no_file(
    folder: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    where: str,
    code: int,
    message: str,
) -> None:
    before = sorted(p.name for p in tmp_path.rglob("*"))
    got, stdout, err = run_cli(capsys, "report", folder, "-o", tmp_path / where)
    assert got == code and stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written, no temp


def test_output_is_required_and_can_be_stdout(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "report", folder)
    assert code == 2 and "-o FILE" in err
    code, stdout, err = run_cli(capsys, "report", folder / "pitfalls.json", "-o", "-", "-q")
    assert code == 0 and err == ""
    assert stdout.startswith("<!DOCTYPE html>") and stdout.endswith("</html>\n")


def test_show_exports_the_report_of_one_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.json"
    shutil.copy(GOLDEN / KIND_FILES["compare"], path)
    out = tmp_path / "c.html"
    code, stdout, err = run_cli(capsys, "show", path, "--export-html", out)
    assert code == 0, err
    assert stdout.strip() and f"wrote{out}" in "".join(err.split())  # the table still prints
    html = out.read_text()
    assert check_numbers(html, [to_document(load_result(path))]) > 20
    code, stdout, _ = run_cli(capsys, "show", path, "--format", "html")
    assert code == 0 and stdout.startswith("<!DOCTYPE html>")


def test_a_measurement_exports_html_beside_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result, page = tmp_path / "r.json", tmp_path / "r.html"
    code, _, err = run_cli(
        capsys, "run", TINY, *FAST, "--json", result, "--export-html", page, "-q"
    )
    assert code == 0, err
    html = page.read_text()
    assert check_numbers(html, [json.loads(result.read_text())]) > 30
    assert "<svg" in html and 'id="kind-latency"' in html


def test_a_missing_matplotlib_fails_before_measuring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    real = importlib.import_module

    def without_matplotlib(name: str, package: str | None = None) -> object:
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", without_matplotlib)
    page = tmp_path / "r.html"
    code, _, err = run_cli(capsys, "run", "models_for_tests:oom_model", "--export-html", page)
    assert code == 6 and "infertime[plot]" in err  # not exit 4: nothing was measured
    code, _, err = run_cli(capsys, "report", GOLDEN / KIND_FILES["latency"], "-o", page)
    assert code == 6 and "infertime[plot]" in err
    assert list(tmp_path.iterdir()) == []


def test_report_never_imports_torch(tmp_path: Path) -> None:
    """A reading command: it loads files and draws, it measures nothing."""
    import subprocess
    import sys

    out = tmp_path / "r.html"
    code = (
        "import sys\n"
        "from infertime.cli.app import main\n"
        f"assert main(['report', {str(GOLDEN / KIND_FILES['compare'])!r}, '-o', {str(out)!r},"
        " '-q']) == 0\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
    assert out.exists()
