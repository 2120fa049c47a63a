"""Fault matrix, outputs: two outputs naming one file or an output naming an input (D2), paths
that cannot be written (D7's long name), paths written through links, and what lands where
(reliability.md N-x*, N-j*, R-j*, R-x05, N-cf49). Refusals come before anything is measured,
so every case here runs in this process in well under a second."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from fault_files import ResultFiles
from fault_harness import QUICK, Case, Outcome

Cli = Callable[..., Outcome]
RUN = ("run", "fault_models:build", *QUICK)

COLLISIONS = [
    ("N-x05_csv_same_as_json", (*RUN, "--json", "same.out", "--export-csv", "same.out")),
    ("N-x13_csv_same_as_md", (*RUN, "--export-csv", "t.out", "--export-markdown", "t.out")),
    ("N-x05b_spelled_apart", (*RUN, "--json", "same.out", "--export-csv", "./same.out")),
    ("N-x13b_json_and_md", (*RUN, "--export-json", "t.out", "--export-markdown", "t.out")),
    (
        "R-x05_json_eq_plot",
        ("pitfalls", "fault_models:build", "--device", "cpu", "--json", "s.out", "--plot", "s.out"),
    ),
    (
        "N-x19_tp_json_eq_csv",
        ("throughput", "fault_models:build", *QUICK, "--json", "r.out", "--export-csv", "r.out"),
    ),
    (
        "N-cl30b_live_compare",
        (
            "compare",
            "fault_models:build",
            "fault_models:build_b",
            *QUICK[:2],
            "--json",
            "c.out",
            "--export-markdown",
            "c.out",
        ),
    ),
]


@pytest.mark.parametrize("args", [c[1] for c in COLLISIONS], ids=[c[0] for c in COLLISIONS])
def test_two_outputs_naming_one_file_are_refused(
    cli: Cli, case: Case, args: tuple[str, ...]
) -> None:
    # D2: the second output silently replaced the first (raw samples lost), exit 0
    cli(*args).fails(2, "name the same file")
    assert case.left() == set()


def test_two_outputs_through_links_are_refused(cli: Cli, case: Case) -> None:
    # D2 through a hard link and a symbolic link to an existing file
    case.path("r.json").write_text("KEEP")
    os.link(case.path("r.json"), case.path("hard.json"))
    case.path("soft.json").symlink_to("r.json")
    cli(*RUN, "--json", "r.json", "--export-csv", "hard.json").fails(2, "same file")
    cli(*RUN, "--json", "soft.json", "--export-markdown", "r.json").fails(2, "same file")
    assert case.path("r.json").read_text() == "KEEP"
    assert case.left() == {"r.json", "hard.json", "soft.json"}


def test_the_same_document_twice_is_refused_or_both_valid(cli: Cli, case: Case) -> None:
    # N-x12: --json and --export-json write the same document; refusing is as good
    done = cli(*RUN, "-q", "--json", "same.json", "--export-json", "same.json")
    if done.code == 0:
        assert json.loads(case.path("same.json").read_text())["kind"] == "latency"
    else:
        done.fails(2, "same file")
        assert case.left() == set()


def test_show_refuses_an_export_over_its_input(cli: Cli, case: Case, files: ResultFiles) -> None:
    # N-x17 (D2): the only copy of a result was replaced by a CSV, exit 0
    original = files["good"].read_text()
    case.path("in.json").write_text(original)
    cli("show", "in.json", "-q", "--export-csv", "in.json").fails(2, "input")
    cli("show", "in.json", "-q", "--export-markdown", "./in.json").fails(2, "input")
    assert case.path("in.json").read_text() == original
    assert case.left() == {"in.json"}


def test_compare_refuses_an_output_over_an_input(cli: Cli, case: Case, files: ResultFiles) -> None:
    # N-cf49 (D2): the baseline's samples were replaced by the comparison
    a, b = files["good"].read_text(), files["x1p5"].read_text()
    case.path("a.json").write_text(a)
    case.path("b.json").write_text(b)
    cli("compare", "a.json", "b.json", "-q", "--json", "a.json").fails(2, "input")
    cli("compare", "a.json", "b.json", "-q", "--export-csv", "b.json").fails(2, "input")
    assert case.path("a.json").read_text() == a and case.path("b.json").read_text() == b
    cli("compare", "a.json", "b.json", "-q", "--json", "c.json").succeeds()
    assert case.left() == {"a.json", "b.json", "c.json"}


ON_STDOUT = [
    ("N-x06_two_stdout_exports", ("--export-csv", "-", "--export-markdown", "-")),
    ("N-x08_format_csv_and_json_dash", ("--format", "csv", "--json", "-")),
    ("N-x08b_json_dash_and_dev_stdout", ("--json", "-", "--export-csv", "/dev/stdout")),
]


@pytest.mark.parametrize("extra", [c[1] for c in ON_STDOUT], ids=[c[0] for c in ON_STDOUT])
def test_one_thing_on_stdout(cli: Cli, case: Case, extra: tuple[str, ...]) -> None:
    cli(*RUN, *extra).fails(2, "standard output")
    assert case.left() == set()


UNWRITABLE = [
    ("R-j01_missing_dir", ("--json", "nodir/out.json"), "does not exist"),
    ("R-j03_path_is_dir", ("--json", "d"), "directory"),
    ("R-j08_emptyname", ("--json", ""), "directory"),
    ("N-j44_json_dir_slash_dot", ("--json", "./"), "directory"),
    ("N-j39_parent_is_file", ("--json", "file.txt/out.json"), "file.txt"),
    ("N-j40_long_name", ("--json", "x" * 300 + ".json"), "too long"),  # D7: was exit 70
    ("N-j40b_long_export", ("--export-csv", "x" * 300 + ".csv"), "too long"),
    ("N-j36_dangling_symlink", ("--json", "dangling.json"), "does not exist"),
    ("N-j37_symlink_to_dir", ("--json", "dirlink.json"), "directory"),
    ("N-x01_csv_to_dir", ("--export-csv", "d"), "directory"),
    ("N-x10_md_nodir", ("--export-markdown", "nodir/out.md"), "does not exist"),
]


@pytest.mark.parametrize(
    ("extra", "words"), [c[1:] for c in UNWRITABLE], ids=[c[0] for c in UNWRITABLE]
)
def test_an_unwritable_output_is_refused_before_measuring(
    cli: Cli, case: Case, extra: tuple[str, ...], words: str
) -> None:
    case.path("d").mkdir()
    case.path("file.txt").write_text("x")
    case.path("dangling.json").symlink_to("nowhere/target.json")
    case.path("dirlink.json").symlink_to("d")
    before = case.left()
    cli(*RUN, *extra).fails(7, "cannot write", words)
    assert case.left() == before


def test_a_plot_path_is_checked_before_measuring(cli: Cli, case: Case) -> None:
    args = ("pitfalls", "fault_models:build", "--device", "cpu", "--plot", "nodir/p.png")
    cli(*args).fails(7, "nodir")
    assert case.left() == set()


def test_show_of_a_damaged_file_writes_no_export(cli: Cli, case: Case, files: ResultFiles) -> None:
    # N-x14
    cli("show", str(files["trunc"]), "--export-csv", "out.csv").fails(7, "not valid JSON")
    assert case.left() == set()


def export(cli: Cli, files: ResultFiles, target: str) -> Outcome:
    """A result written to `target` the way --json writes it, without measuring again."""
    return cli("show", str(files["good"]), "-q", "--export-json", target)


def valid(path: Path) -> bool:
    return bool(json.loads(path.read_text())["kind"] == "latency")


def test_an_existing_file_is_replaced_whole(cli: Cli, case: Case, files: ResultFiles) -> None:
    # R-j05: a new inode (a hard link keeps the old content); N-x04: an old export replaced
    case.path("out.json").write_text("OLD")
    os.link(case.path("out.json"), case.path("hardlink"))
    export(cli, files, "out.json").succeeds()
    assert valid(case.path("out.json")) and case.path("hardlink").read_text() == "OLD"
    assert case.left() == {"out.json", "hardlink"}


def test_a_symbolic_links_target_is_written(cli: Cli, case: Case, files: ResultFiles) -> None:
    # R-j06: the link kept, its target written; N-j36b: a dangling link's target created
    case.path("target.json").write_text("OLD")
    case.path("link.json").symlink_to("target.json")
    case.path("dangling.json").symlink_to("new.json")
    export(cli, files, "link.json").succeeds()
    export(cli, files, "dangling.json").succeeds()
    assert case.path("link.json").is_symlink() and valid(case.path("target.json"))
    assert case.path("dangling.json").is_symlink() and valid(case.path("new.json"))
    assert case.left() == {"target.json", "link.json", "dangling.json", "new.json"}


def test_a_loop_of_links_is_refused_or_written(cli: Cli, case: Case, files: ResultFiles) -> None:
    # N-j38: the review saw the looping link replaced by a regular file (a note)
    case.path("a.json").symlink_to("b.json")
    case.path("b.json").symlink_to("a.json")
    done = export(cli, files, "a.json")
    if done.code:
        done.fails(7, "a.json")
    assert case.left() == {"a.json", "b.json"}


@pytest.mark.parametrize(
    "name",
    ["résultat-ü-日本.json", "my result file.json", "a\nb.json", "-x.json"],
    ids=["N-j32_unicode_path", "N-j33_spaces_path", "N-j34_newline_path", "N-j35_dash_leading"],
)
def test_odd_names_are_written(cli: Cli, case: Case, files: ResultFiles, name: str) -> None:
    cli("show", str(files["good"]), "-q", f"--export-json={name}").succeeds()
    assert valid(case.path(name)) and case.left() == {name}


def test_a_missing_tmpdir_does_not_matter(
    cli: Cli, case: Case, files: ResultFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    # N-e13: the temporary file goes next to its target
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", "/nonexistent")
    export(cli, files, "out.json").succeeds()
    assert valid(case.path("out.json"))


def test_a_full_disk_keeps_the_old_file(
    cli: Cli, case: Case, files: ResultFiles, monkeypatch: pytest.MonkeyPatch
) -> None:
    # R-j11, N-j45, N-x16: ENOSPC while writing: exit 7, old file kept, temporary file removed
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    case.path("out.json").write_text("OLD")
    monkeypatch.setattr(os, "fsync", full)
    export(cli, files, "out.json").fails(7, "No space left on device")
    assert case.path("out.json").read_text() == "OLD" and case.left() == {"out.json"}


def test_a_trailing_slash(cli: Cli, case: Case, files: ResultFiles) -> None:
    # R-j04 (a note): 'out.json/' wrote the file out.json; refusing is as good
    done = export(cli, files, "out.json/")
    if done.code:
        done.fails(7, "out.json")
        assert case.left() == set()
    else:
        assert case.left() == {"out.json"} and valid(case.path("out.json"))


def test_the_last_of_two_dash_exports_wins(cli: Cli, case: Case) -> None:
    # N-x07: the CSV on stdout, the table on stderr
    done = cli(*RUN, "-q", "--export-csv", "-", "--export-csv", "-")
    done.succeeds()
    assert done.out.splitlines()[0].startswith("model,") and "latency" in done.err
    assert case.left() == set()


def test_a_file_and_a_dash_export(cli: Cli, case: Case) -> None:
    # N-x21: the JSON to its file, the Markdown on stdout
    done = cli(*RUN, "-q", "--json", "out.json", "--export-markdown", "-")
    done.succeeds()
    assert "\n| " in done.out and valid(case.path("out.json"))
    assert case.left() == {"out.json"}


def test_formats_of_saved_results(cli: Cli, files: ResultFiles) -> None:
    # N-x18, N-x11
    done = cli("compare", str(files["good"]), str(files["x1p5"]), "--format", "csv", "-q")
    done.succeeds()
    assert done.out.count("\n") == 3 and "," in done.out
    done = cli("show", str(files["cmp"]), "--format", "markdown", "-q")
    done.succeeds()
    assert "\n| " in done.out
