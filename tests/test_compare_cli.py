"""compare, run --processes, the regression gate and exports, end to end on the CPU."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import infertime
from infertime.cli.app import main

HERE = str(Path(__file__).parent)
TINY = "models_for_tests:tiny_cnn"
FAST = ["--device", "cpu", "--threads", "1", "--preset", "quick"]


@pytest.fixture(autouse=True)
def children_find_test_models(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", HERE)  # fresh processes import models_for_tests too


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_live_compare_interleaves_and_saves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.json"
    big = f"{TINY} --input-shape 3,64,64"  # 16x the work per call
    code, out, err = run_cli(
        capsys, "compare", TINY, big, *FAST, "--max-time", "4", "--precision", "0.2",
        "--json", str(path),
    )  # fmt: skip
    assert code == 0, err
    lines = out.splitlines()
    head = 2 if len(lines[0]) > 0 and not lines[1].lstrip().startswith("A ") else 1
    assert "interleaved in one process" in " ".join(lines[:head])  # wrapped at 80 columns
    assert lines[head].split()[0] == "A" and "baseline" in lines[head]
    assert lines[head + 1].split()[0] == "B" and "×" in lines[head + 1]
    flat = " ".join(out.split())
    # 16x the work is slower; whether 4 s on this host narrow the CI enough to say so, or leave
    # it undecided, is the host's load to decide (the point estimate is asserted below).
    assert f"{big} is slower than" in flat or f"{big} against {TINY}: undecided" in flat, out
    data = json.loads(path.read_text())
    assert data["kind"] == "compare" and data["mode"] == "interleaved"
    assert data["policy"]["copies"] == 4  # eager models: four copies each by default
    assert data["analysis"]["owners"] == [0, 1, 1, 0, 0, 1, 1, 0]
    assert len(data["arms"]) == 2 and data["ratios"][0]["time_ratio"] > 1.2
    assert len(data["arms"][0]["groups"]) == len(data["orders"])
    code, shown, _ = run_cli(capsys, "show", str(path))
    assert code == 0 and shown == out


def test_gate_fails_a_slower_configuration_with_exit_8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "c.json"
    code, out, err = run_cli(
        capsys, "compare", TINY, f"{TINY} --input-shape 3,64,64", *FAST, "--max-time", "4",
        "--fail-if-slower", "5%", "--json", str(path),
    )  # fmt: skip
    # The host's load decides whether the CI gets clear of the gate in 4 s (a loaded 2-core
    # runner may leave it straddling): assert what the code decides from what it measured.
    # The exact exit-8 path on fixed numbers: test_faults_files.py's failed-gate test.
    saved = json.loads(path.read_text())  # the result is kept either way
    assert saved["gate"] == {8: "regression", 9: "inconclusive"}[code], (code, err)
    last = err.strip().splitlines()[-1]
    if code == 8:
        assert "gate: FAILED" in out and last.startswith("infertime: error: slower than")
    else:
        assert "gate: INCONCLUSIVE" in out and last.startswith("infertime: error:")


def test_different_batch_sizes_are_refused_or_compared_per_item(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_cli(capsys, "compare", TINY, f"{TINY} -b 16", *FAST, "--max-time", "2")
    assert code == 2 and "different batch sizes" in err and "--allow-different" in err
    code, out, err = run_cli(
        capsys, "compare", TINY, f"{TINY} -b 16", *FAST, "--max-time", "2", "--allow-different"
    )
    assert code == 0, err
    assert "per item" in out.splitlines()[0]


def test_gate_passes_an_aa_comparison(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys, "compare", TINY, TINY, *FAST, "--max-time", "4", "--fail-if-slower", "20%"
    )
    # A/A never fails the gate (exit 8); whether 4 s on this host suffice to pass it rather
    # than leave it inconclusive (exit 9) is the host's load to decide, not the code's.
    assert code in (0, 9), err
    assert ("gate: passed" if code == 0 else "gate: INCONCLUSIVE") in out


def test_offline_compare_of_saved_runs_with_exports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path, batch in ((a, "2"), (b, "2")):
        code, _, err = run_cli(
            capsys, "run", TINY, *FAST, "-b", batch, "--max-time", "0.4", "--json", str(path)
        )
        assert code == 0, err
    md = tmp_path / "c.md"
    code, out, err = run_cli(
        capsys, "compare", str(a), str(b), "--format", "csv", "--export-markdown", str(md)
    )
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["role"] for r in rows] == ["baseline", "vs A"] and rows[0]["mode"] == "files"
    assert "| configuration |" in md.read_text()
    assert "single_process_pair" in err or "single process" in err


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["compare", TINY], 2, "at least two"),
        (["compare", TINY, f"{TINY} --frobnicate"], 2, "unknown option '--frobnicate'"),
        (["compare", TINY, f"{TINY} --device cpu"], 2, "give it once"),
        (["compare", TINY, TINY, "--figure", "p99"], 2, "latency or device_time"),
        (["compare", TINY, TINY, "--fail-if-slower", "lots"], 2, "5% or 0.05"),
    ],
)
def test_compare_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], code: int, words: str
) -> None:
    got, out, err = run_cli(capsys, *args, "--device", "cpu")
    assert got == code and words in err and out == ""
    assert len(err.strip().splitlines()) == 1


def test_offline_compare_refuses_files_of_different_kinds_and_non_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    golden = Path(HERE) / "golden"
    code, _, err = run_cli(
        capsys, "compare", str(golden / "v3_latency_cpu.json"), str(golden / "v3_pitfalls_cpu.json")
    )
    assert code == 2 and "different kinds" in err
    junk = tmp_path / "junk.json"
    junk.write_text("[1, 2]")
    code, _, err = run_cli(capsys, "compare", str(golden / "v3_latency_cpu.json"), str(junk))
    assert code == 7 and len(err.strip().splitlines()) == 1


def test_compare_in_alternating_fresh_processes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys, "compare", TINY, TINY, *FAST, "--max-time", "0.3", "--processes", "2"
    )
    assert code == 0, err
    assert "in alternating fresh processes, 2 each" in out


def test_run_in_fresh_processes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "r.json"
    code, out, err = run_cli(
        capsys, "run", TINY, *FAST, "--max-time", "0.3", "--processes", "3", "--json", str(path),
        "--export-csv", str(tmp_path / "r.csv"),
    )  # fmt: skip
    assert code == 0, err
    assert "one new process:" in out and "3 fresh ones" in out
    assert all(len(line) <= 80 for line in out.splitlines()[1:]), out
    r = infertime.load_result(path)
    assert len(r.processes) == 3 and r.across("latency").processes == 3
    data = json.loads(path.read_text())
    assert len(data["across_processes"]["latency"]["medians_s"]) == 3
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert rows[0]["processes"] == "3" and float(rows[0]["prediction_low_s"]) > 0
    code, _, err = run_cli(capsys, "run", TINY, *FAST, "--processes", "0")
    assert code == 2 and "--processes must be an integer >= 2" in err


def test_formats_and_exports_on_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys, "run", TINY, *FAST, "--max-time", "0.3", "--format", "markdown"
    )
    assert code == 0, err
    assert out.startswith("**models_for_tests:tiny_cnn") and "|---|" in out
    code, out, err = run_cli(capsys, "run", TINY, *FAST, "--max-time", "0.3", "--export-json", "-")
    assert code == 0 and json.loads(out)["kind"] == "latency"
    assert "latency" in err  # the table went to stderr
    code, out, err = run_cli(
        capsys, "run", TINY, *FAST, "--format", "csv", "--json", "-", "--max-time", "0.3"
    )
    assert code == 2 and "standard output" in err and out == ""
    code, _, err = run_cli(capsys, "run", TINY, *FAST, "--format", "xml")
    assert code == 2 and "unknown export format" in err


def test_an_inconclusive_gate_exits_9_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        code, _, err = run_cli(capsys, "run", TINY, *FAST, "--max-time", "0.3", "--json", str(path))
        assert code == 0, err
    # Single processes on a CPU: the host may have moved between them.
    code, out, err = run_cli(capsys, "compare", str(a), str(b), "--fail-if-slower", "5%")
    assert code == 9 and "gate: INCONCLUSIVE" in out
    assert err.strip().splitlines()[-1].startswith("infertime: error: gate inconclusive")
    code, out, err = run_cli(
        capsys, "compare", str(a), str(b), "--fail-if-slower", "500%", "--trust-single-process"
    )
    assert code == 0 and "gate: passed" in out
