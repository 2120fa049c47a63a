"""Fault matrix, result files: damaged, extreme or mismatched files given to `show` and to
offline `compare`, and the gate's values (reliability.md R-f_show_*, N-cf*; D6, D8). Every
damaged file is refused with exit 7 and one line naming it; nothing is ever an internal error
(exit 70). All in this process, on files derived from one measured result (fault_files.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from fault_files import ResultFiles
from fault_harness import Case, Outcome

Cli = Callable[..., Outcome]


def argv(files: ResultFiles, args: tuple[str, ...]) -> list[str]:
    """'{name}' stands for the result file of that name."""
    return [re.sub(r"\{(\w+)\}", lambda m: str(files[m.group(1)]), a) for a in args]


DAMAGED = 7
SHOW_DAMAGED = [
    ("R-f_show_empty", "empty", "not valid JSON"),
    ("R-f_show_other", "other", "not an infertime result file"),
    ("R-f_show_future", "future", "schema version 99"),
    ("R-f_show_strversion", "strversion", "invalid schema_version"),
    ("R-f_show_v0", "v0", "invalid schema_version"),
    ("R-f_show_kind", "kind", "unknown result kind"),
    ("R-f_show_nofig", "nofig", "damaged"),
    ("R-f_show_emptysamples", "emptysamples", "no samples"),
    ("R-f_show_envstr", "envstr", "damaged"),
    ("R-f_show_negsamples", "negsamples", "damaged"),
    ("R-f_show_trunc", "trunc", "not valid JSON"),
    ("R-f_show_binary", "binary", "cannot read"),
    ("N-cf53_show_cmp_emptygroups", "cmp_emptygroups", "damaged"),
    ("N-cf55_show_cmp_shortgroup", "cmp_shortgroup", "damaged"),  # D6
    ("N-cf56_show_cmp_orders", "cmp_orders", "damaged"),
    ("N-cf57_show_deep", "deep", "nested too deeply"),  # D6
    ("N-cf59_show_p_missingfig", "p_missingfig", "damaged"),  # D6: was shown as "spread 0.0 %"
    ("N-cf60_show_zeros", "zeros", "damaged"),  # D6: was shown as "0 ns"
    ("N-cf61_show_hugevals", "hugevals", "damaged"),  # D6
]


@pytest.mark.parametrize(
    ("name", "words"), [c[1:] for c in SHOW_DAMAGED], ids=[c[0] for c in SHOW_DAMAGED]
)
def test_show_refuses_a_damaged_file(
    cli: Cli, case: Case, files: ResultFiles, name: str, words: str
) -> None:
    path = files[name]
    cli("show", str(path)).fails(DAMAGED, str(path), words)
    assert case.left() == set()


def test_show_missing_file(cli: Cli, case: Case) -> None:  # R-f_show_nofile
    cli("show", "nofile.json").fails(DAMAGED, "no such result file: nofile.json")
    assert case.left() == set()


@pytest.mark.parametrize("name", ["good", "p2", "p_empty", "cmp", "live", "strsamples"])
def test_show_renders_a_good_file_in_80_columns(cli: Cli, files: ResultFiles, name: str) -> None:
    # R-f_show_good; N-cf07 (samples written as strings are read as numbers)
    done = cli("show", str(files[name]))
    done.succeeds()
    assert done.out and max(len(line) for line in done.out.splitlines()) <= 80, done.out


def test_show_recomputes_a_hand_edited_ratio(cli: Cli, files: ResultFiles) -> None:  # N-cf54
    done = cli("show", str(files["cmp_fakeratio"]))
    done.succeeds()
    assert "42" not in done.out and "×1" in done.out.replace("×0", "×1"), done.out


COMPARE_DAMAGED = [
    ("N-cf05_truncated", "trunc", "not valid JSON"),
    ("N-cf06_binary", "binary", "cannot read"),
    ("N-cf08_neg_samples", "negsamples", "damaged"),
    ("N-cf10_future", "future", "schema version 99"),
    ("N-cf11_not_result", "other", "not an infertime result file"),
    ("N-cf12_list", "list", "not an infertime result file"),
    ("N-cf30_nan_literal", "nan_literal", "damaged"),
    ("N-cf31_inf_literal", "inf_literal", "damaged"),
    ("N-cf32_null_sample", "nullsample", "damaged"),
    ("N-cf33_cps0", "cps0", "damaged"),
    ("N-cf34_cpsneg", "cpsneg", "damaged"),
    ("N-cf35_zeros", "zeros", "damaged"),  # D6: was ZeroDivisionError, exit 70
    ("N-cf38_huge_vals", "hugevals", "damaged"),  # D6: was OverflowError, exit 70
    ("N-cf46_p_missingfig", "p_missingfig", "damaged"),  # D6: was KeyError, exit 70
    ("N-cf50_schema_name", "schema_name", "not an infertime result file"),
    ("N-cf51_kind_tp_body_lat", "kind_tp", "damaged"),
    ("N-cf58_compare_deep", "deep", "nested too deeply"),  # D6: was RecursionError, exit 70
]


@pytest.mark.parametrize(
    ("name", "words"), [c[1:] for c in COMPARE_DAMAGED], ids=[c[0] for c in COMPARE_DAMAGED]
)
def test_compare_refuses_a_damaged_file(
    cli: Cli, case: Case, files: ResultFiles, name: str, words: str
) -> None:
    path = files[name]
    cli("compare", str(files["good"]), str(path), "--json", "out.json").fails(
        DAMAGED, str(path), words
    )
    assert case.left() == set()


def test_compare_refuses_a_damaged_baseline(cli: Cli, case: Case, files: ResultFiles) -> None:
    # N-cf35b: the all-zero file first (D6: was ZeroDivisionError, exit 70)
    path = files["zeros"]
    cli("compare", str(path), str(files["good"])).fails(DAMAGED, str(path), "damaged")


def test_compare_missing_file_and_folder(cli: Cli, case: Case, files: ResultFiles) -> None:
    # N-cf28, N-cf27
    cli("compare", str(files["good"]), "nope.json").fails(DAMAGED, "no such result file: nope.json")
    case.path("d.json").mkdir()
    cli("compare", str(files["good"]), "d.json").fails(DAMAGED, "d.json")


USAGE = 2
COMPARE_REFUSED = [
    ("N-cf02_latency_vs_tp", ("compare", "{good}", "{tp}"), "different kinds"),
    ("N-cf04_compare_files", ("compare", "{cmp}", "{cmp}"), "compare its sources"),
    ("N-cf23_diff_batch", ("compare", "{good}", "{batch2}"), "--allow-different"),
    ("N-cf29_processes_files", ("compare", "{good}", "{x1p5}", "--processes", "3"), "--processes"),
    (
        "N-cf39_nodevtime_fig",
        ("compare", "{good}", "{x1p5}", "--figure", "device_time"),
        "device_time",
    ),
    ("N-cf47_one_file", ("compare", "{good}"), "at least two"),
    ("N-cf48_mixed", ("compare", "{good}", "fault_models:build"), "not both"),
    ("N-cf52_figure_bogus", ("compare", "{good}", "{x1p5}", "--figure", "kernel_time"), "--figure"),
    # the gate's values
    (
        "N-cf15_gate_neg",
        ("compare", "{good}", "{x1p5}", "--fail-if-slower", "-5%"),
        "--fail-if-slower",
    ),
    (
        "N-cf15b_gate_neg_eq",
        ("compare", "{good}", "{x1p5}", "--fail-if-slower=-5%"),
        "--fail-if-slower",
    ),
    (
        "N-cf16_gate_abc",
        ("compare", "{good}", "{x1p5}", "--fail-if-slower", "abc"),
        "--fail-if-slower",
    ),
    ("N-cf19_gate_1000", ("compare", "{good}", "{x1p5}", "--fail-if-slower", "1000%"), "1000%"),
    (
        "N-cf20_gate_nan",
        ("compare", "{good}", "{x1p5}", "--fail-if-slower", "nan"),
        "--fail-if-slower",
    ),
    # D8: a bare 5 was read as 500 %, a gate that never fails
    ("N-cf21_gate_bare5", ("compare", "{good}", "{x1p5}", "--fail-if-slower", "5"), "5%"),
]


@pytest.mark.parametrize(
    ("args", "words"), [c[1:] for c in COMPARE_REFUSED], ids=[c[0] for c in COMPARE_REFUSED]
)
def test_compare_refuses_before_comparing(
    cli: Cli, case: Case, files: ResultFiles, args: tuple[str, ...], words: str
) -> None:
    cli(*argv(files, args), "--json", "out.json").fails(USAGE, words)
    assert case.left() == set()


COMPARE_OK = [
    ("N-cf01_two_latency", ("compare", "{good}", "{x1p5}"), 0),
    ("N-cf07_str_samples", ("compare", "{good}", "{strsamples}"), 0),
    ("N-cf23b_diff_batch_allowed", ("compare", "{good}", "{batch2}", "--allow-different"), 0),
    ("N-cf24_processes_vs_plain", ("compare", "{good}", "{p2}"), 0),
    ("N-cf45_p_empty", ("compare", "{good}", "{p_empty}"), 0),
    # a 1000x slower file fails a 5 % and a 500 % gate (single-process files trusted)
    (
        "N-cf09_x1000",
        ("compare", "{good}", "{x1000}", "--fail-if-slower", "5%", "--trust-single-process"),
        8,
    ),
    (
        "N-cf17_gate_500",
        ("compare", "{good}", "{x1000}", "--fail-if-slower", "500%", "--trust-single-process"),
        8,
    ),
    # A/A passes a gate its CI can decide; at 0 % its CI always straddles the threshold
    (
        "N-cf14_same_twice",
        ("compare", "{good}", "{good}", "--fail-if-slower", "50%", "--trust-single-process"),
        0,
    ),
    (
        "N-cf18_gate_0",
        ("compare", "{good}", "{good}", "--fail-if-slower", "0%", "--trust-single-process"),
        9,
    ),
    # single-process files of a host-bound figure cannot decide a gate: inconclusive, exit 9
    ("N-cf36_onesample", ("compare", "{good}", "{onesample}", "--fail-if-slower", "5%"), 9),
    ("N-cf21b_gate_share", ("compare", "{good}", "{x1p5}", "--fail-if-slower", "0.05"), 9),
]


@pytest.mark.parametrize(
    ("args", "code"), [c[1:] for c in COMPARE_OK], ids=[c[0] for c in COMPARE_OK]
)
def test_compare_files(cli: Cli, files: ResultFiles, args: tuple[str, ...], code: int) -> None:
    done = cli(*argv(files, args))
    if code == 0:
        done.succeeds()
    else:
        assert done.code == code, done.err
        done.error()
    assert max(len(line) for line in done.out.splitlines()) <= 80, done.out


def test_absurdly_short_samples_are_refused_or_fit(cli: Cli, files: ResultFiles) -> None:
    # N-cf37: 1e-300 s per call is below any timer: refuse the file as damaged, or print it
    done = cli("compare", str(files["good"]), str(files["tiny"]))
    assert done.code in (0, DAMAGED), done.err
    if done.code == 0:
        assert max(len(line) for line in done.out.splitlines()) <= 80, done.out
    else:
        done.error()


@pytest.mark.parametrize(
    ("name", "drifts"),
    [
        ("cmp_steady", False),
        ("cmp_drift_linear", True),
        ("cmp_drift_compound", True),
    ],
    ids=["N-cl50_steady", "N-cl50_drift_linear", "N-cl50b_drift_compound"],
)
def test_a_drifting_ratio_is_named(cli: Cli, files: ResultFiles, name: str, drifts: bool) -> None:
    # D10: a drift ended 'no CI yet' with no reason and advice (a longer --max-time) that
    # cannot help. Files, not live runs: a drift made of exact numbers, whatever the host.
    done = cli("show", str(files[name]))
    done.succeeds()
    assert ("drift" in done.out) == drifts, done.out
    if drifts:
        flat = " ".join(done.out.split())
        assert "more time will not settle it" in flat, done.out
        assert "too few" not in flat, done.out  # the drift, not the count, withholds the CI


def test_a_failed_gate_writes_its_files_first(cli: Cli, case: Case, files: ResultFiles) -> None:
    # N-cf22: exit 8 after the JSON and the CSV were written
    done = cli(
        "compare", str(files["good"]), str(files["x1000"]), "--fail-if-slower", "5%",
        "--trust-single-process", "--json", "out.json", "--export-csv", "out.csv",
    )  # fmt: skip
    assert done.code == 8 and "slower" in done.error()
    assert case.left() == {"out.json", "out.csv"}


def test_the_gates_own_words(cli: Cli, files: ResultFiles) -> None:
    # D8: the refusal says how to write 5 % and a share
    line = cli("compare", str(files["good"]), str(files["x1p5"]), "--fail-if-slower", "5").error()
    assert "5%" in line and "0.05" in line, line


def test_damaged_files_never_reach_an_internal_error(cli: Cli, files: ResultFiles) -> None:
    """Every variant, in show and as either side of compare: a clean exit, never 70."""
    from fault_files import COMPARE_VARIANTS, LATENCY_VARIANTS, TEXT_VARIANTS

    names = [*LATENCY_VARIANTS, *TEXT_VARIANTS, *COMPARE_VARIANTS]
    for name in names:
        for args in (
            ("show", f"{{{name}}}"),
            ("compare", "{good}", f"{{{name}}}"),
            ("compare", f"{{{name}}}", "{good}"),
        ):
            done = cli(*argv(files, args), "-q")
            assert done.code in (0, 2, 7, 9), (name, args, done.err)
            assert "Traceback" not in done.err and "internal error" not in done.err, done.err
