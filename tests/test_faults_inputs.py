"""Fault matrix, bad input: model references, option values, compare configurations and hf:
settings (reliability.md R-c*, R-x*, N-p0*, N-b1*, N-cl0*-cl22, N-h*; D12, carry-over R-c23;
newcomer.md's options). Each is refused with exit 2 (3 for a missing GPU) and one line naming
what to change, before anything is timed, and leaves nothing behind. All in this process."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from fault_harness import QUICK, Case, Outcome

Cli = Callable[..., Outcome]
B = "fault_models:build"
SMALL = (
    "--hf-config", "num_hidden_layers=1", "--hf-config", "hidden_size=32",
    "--hf-config", "num_attention_heads=2", "--hf-config", "intermediate_size=64",
)  # fmt: skip


def cuda_visible() -> bool:
    import torch

    return bool(torch.cuda.is_available())


RUN_REFUSED = [
    ("R-c01_unknown_model", ("timm:notamodel",), 2, "notamodel"),
    ("R-c02_typo_zoo", ("timmm:resnet18",), 2, "timmm"),
    ("R-c03_typo_name", ("timm:resnet19",), 2, "close matches"),
    ("R-c08_missing_attr", ("fault_models:buidl",), 2, "close matches: build"),
    ("R-c09_not_callable", ("fault_models:NOT_CALLABLE",), 2, "not callable"),
    ("R-c10_factory_raises", ("fault_models:build_raises",), 1, "factory exploded"),
    ("R-c11_returns_int", ("fault_models:build_int",), 2, "returned int"),
    ("R-c14_none_inputs", ("fault_models:build_none_inputs",), 2, "example inputs"),
    ("R-c16_batch0", (B, "-b", "0"), 2, "--batch-size"),
    ("R-c18_batchhuge", (B, "-b", "100000000000"), 4, "--batch-size"),
    ("R-c19_batchfloat", (B, "-b", "2.5"), 2, "--batch-size"),
    ("R-c20_shape_bad", ("fault_models:build_mod", "--input-shape", "abc"), 2, "--input-shape"),
    ("R-c27_dtype_bad", (B, "--dtype", "fp64"), 2, "--dtype"),
    ("R-c31_device_bad", (B, "--device", "tpu"), 2, "tpu"),
    ("R-c35_prec0", (B, "--precision", "0"), 2, "--precision"),
    ("R-c40_maxtimenan", (B, "--max-time", "nan"), 2, "--max-time"),
    ("R-x01_seed_huge", (B, "--seed", str(2**70)), 2, "--seed"),
    ("R-x04_quiet_true", (B, "--quiet", "true"), 2, "true"),
    ("N-p01_processes0", (B, "--processes", "0"), 2, "--processes"),
    ("N-p03_processes_neg", (B, "--processes", "-1"), 2, "--processes"),
    ("N-p04_processes_abc", (B, "--processes", "abc"), 2, "--processes"),
    ("N-b14_backend_bogus", (B, "--backend", "tensorrt"), 2, "--backend"),
    ("N-b15_dynamic_eager", (B, "--dynamic"), 2, "--dynamic"),
    (
        "N-b16_compile_mode_bad",
        (B, "--backend", "compile", "--compile-mode", "turbo"),
        2,
        "--compile-mode",
    ),
    ("N-b17_ort_bf16", (B, "--backend", "onnxruntime", "--dtype", "bf16"), 2, "--dtype"),
    ("N-b05_onnx_missing", ("onnx:missing.onnx",), 2, "missing.onnx"),
    ("N-b06_onnx_text", ("onnx:text.onnx",), 2, "text.onnx"),
    ("N-b06b_onnx_empty", ("onnx:empty.onnx",), 2, "empty.onnx"),
    ("N-b20_onnx_dir", ("onnx:folder.onnx",), 2, "folder.onnx"),
    ("N-x09_format_bogus", (B, "--format", "xml"), 2, "xml"),
    ("N-h21_seq_on_nonhf", (B, "--seq-len", "16"), 2, "--seq-len"),
    ("N-h20_hfconfig_on_timm", ("timm:resnet18", "--hf-config", "a=1"), 2, "--hf-config"),
    # newcomer.md: options people type
    ("NC-runs0", (B, "--runs", "0"), 2, "--runs"),
]


@pytest.mark.parametrize(
    ("args", "code", "words"), [c[1:] for c in RUN_REFUSED], ids=[c[0] for c in RUN_REFUSED]
)
def test_run_refuses_bad_input(
    cli: Cli, case: Case, args: tuple[str, ...], code: int, words: str
) -> None:
    case.path("text.onnx").write_text("not a model")
    case.path("empty.onnx").write_bytes(b"")
    case.path("folder.onnx").mkdir()
    before = case.left()
    # the case's own options last: the last of a repeated option wins
    cli("run", *QUICK, *args, "--json", "out.json").fails(code, words)
    assert case.left() == before


def test_a_factory_without_inputs_is_told_the_flag(cli: Cli, case: Case) -> None:
    line = cli("run", *QUICK, "fault_models:build_none_inputs").fails(2, "--input-shape")
    assert "example_inputs=" not in line, line


THROUGHPUT_REFUSED = [
    ("R-c44_budget_units", ("--latency-budget", "50parsecs"), "50parsecs"),
    ("R-a21_knee1_cli", ("--knee", "1"), "--knee"),
    ("R-a22_maxbatch_neg_cli", ("--max-batch", "-1"), "--max-batch"),
    # newcomer.md: a bare --latency-budget 50 was read as 50 seconds
    ("NC-latency_budget_bare", ("--latency-budget", "50"), "--latency-budget"),
]


@pytest.mark.parametrize(
    ("args", "words"), [c[1:] for c in THROUGHPUT_REFUSED], ids=[c[0] for c in THROUGHPUT_REFUSED]
)
def test_throughput_refuses_bad_input(
    cli: Cli, case: Case, args: tuple[str, ...], words: str
) -> None:
    cli("throughput", B, *QUICK, *args).fails(2, words)
    assert case.left() == set()


def test_an_empty_input_shape_is_refused_as_empty(cli: Cli, case: Case) -> None:
    # R-c23: the message should be about the empty value, not ask for the flag just given
    line = cli("run", *QUICK, "fault_models:build_mod", "--input-shape", "").fails(
        2, "--input-shape"
    )
    assert "without example inputs" not in line and "''" in line, line


def test_a_gpu_asked_for_where_there_is_none(cli: Cli, case: Case) -> None:
    # R-c29, N-b21: exit 3
    if cuda_visible():
        pytest.skip("a CUDA GPU is visible")
    cli("run", B, "--device", "cuda", "--preset", "quick").fails(3, "--device cuda")


def test_debug_shows_the_traceback(cli: Cli) -> None:
    # R-h_debug_bad: one line, and the traceback because --debug asked for it
    done = cli("run", "timm:notamodel", "--device", "cpu", "--debug")
    assert done.code == 2 and "Traceback" in done.err and "infertime: error:" in done.err


def test_help_and_version(cli: Cli) -> None:
    # R-h_version, R-h_V, R-h_noargs
    for args in (["--version"], ["-V"]):
        done = cli(*args)
        assert done.code == 0 and done.out.startswith("infertime "), done
    for command in ("run", "compare", "throughput", "pitfalls", "show", "env"):
        done = cli(command, "--help")
        assert done.code == 0 and max(map(len, done.out.splitlines())) <= 80, command


def test_no_arguments_print_the_help(cli: Cli) -> None:
    done = cli()
    assert done.code == 0 and "Usage" in done.out + done.err


def test_options_people_type(cli: Cli, case: Case) -> None:
    # newcomer.md: --max-time 5s (a unit), --precision 1% (a percent), --runs N (exactly N)
    done = cli(
        "run", B, *QUICK, "--max-time", "0.3s", "--precision", "5%", "-q", "--json", "p.json"
    )
    done.succeeds()
    doc = json.loads(case.path("p.json").read_text())
    assert doc["settings"]["method"]["stop"]["precision"] == pytest.approx(0.05)
    assert doc["settings"]["method"]["stop"]["max_time_s"] == pytest.approx(0.3)
    cli("run", B, *QUICK, "--runs", "30", "-q", "--json", "r.json").succeeds()
    doc = json.loads(case.path("r.json").read_text())
    assert len(doc["figures"]["latency"]["samples_s"]) == 30


COMPARE_REFUSED = [
    ("N-cl01_unterminated_quote", (B, f"{B} --dtype 'bf16"), "No closing quotation"),
    ("N-cl02_starts_with_flag", (B, "--dtype bf16"), "--dtype bf16"),
    ("N-cl02b_starts_with_flag_sep", ("--", B, "--dtype bf16"), "model reference"),
    ("N-cl03_unknown_option", (B, f"{B} --foo 1"), "--foo"),
    ("N-cl04_shared_option", (B, f"{B} --device cpu"), "outside the quotes"),
    ("N-cl05_missing_value", (B, f"{B} --batch-size"), "needs a value"),
    ("N-cl06_bad_value", (B, f"{B} -b abc"), "abc"),
    ("N-cl07_batch0", (B, f"{B} -b 0"), "--batch-size"),
    ("N-cl08_empty_config", (B, ""), "model reference"),
    ("N-cl08b_blank_config", (B, "   "), "model reference"),
    ("N-cl09_one_config", (B,), "at least two"),
    ("N-cl10_no_config", (), "Missing argument"),
    ("N-cl11_flag_takes_no_value", (B, f"{B} --channels-last=yes"), "takes no value"),
    ("N-cl12_bad_dtype", (B, f"{B} --dtype fp64"), "--dtype"),
    ("N-cl13_bad_model", (B, "timm:notamodel"), "notamodel"),
    ("N-cl14_cuda_graph_cpu", (B, f"{B} --backend cuda-graph"), "CUDA"),
    ("N-cl15_hfconfig_nonhf", (B, f"{B} --hf-config a=1"), "--hf-config"),
    ("N-cl16_copies0", (B, "fault_models:build_b", "--copies", "0"), "--copies"),
    ("N-cl17_copies5", (B, "fault_models:build_b", "--copies", "5"), "--copies"),
    ("N-cl18_figure_bogus", (B, "fault_models:build_b", "--figure", "p99"), "--figure"),
    ("N-cl19_processes1", (B, "fault_models:build_b", "--processes", "1"), "--processes"),
    ("N-cl20_maxtime_neg", (B, "fault_models:build_b", "--max-time", "-1"), "--max-time"),
    ("N-cl21_json_typo_live", (B, "missing.json"), "no such result file: missing.json"),
    ("N-cl22_seedbig", (B, f"{B} --seed 99999999999999999999999"), "--seed"),
    ("N-cl23_gate_bare5_live", (B, "fault_models:build_b", "--fail-if-slower", "5"), "5%"),
]


@pytest.mark.parametrize(
    "args", [c[1] for c in COMPARE_REFUSED], ids=[c[0] for c in COMPARE_REFUSED]
)
def test_compare_refuses_a_bad_configuration(cli: Cli, case: Case, args: tuple[str, ...]) -> None:
    words = dict((c[1], c[2]) for c in COMPARE_REFUSED)[args]
    options = ("--device", "cpu", "--max-time", "0.3", "--json", "out.json")
    cli("compare", *options, *args).fails(2, words)  # the case's own options win
    assert case.left() == set()


def test_a_missing_file_beside_a_configuration_is_named(cli: Cli, case: Case) -> None:
    cli("compare", "--device", "cpu", B, "missing.json").fails(2, "missing.json")


HF_REFUSED = [
    ("N-h01_unknown_type", ("hf:bertt",), "close matches"),
    ("N-h02_unknown_key", ("hf:bert", "--hf-config", "num_hiden_layers=1"), "num_hidden_layers"),
    (
        "N-h03_bad_value_str",
        ("hf:bert", "--hf-config", "num_hidden_layers=abc"),
        "num_hidden_layers",
    ),
    (
        "N-h04_negative_layers",
        ("hf:bert", "--hf-config", "num_hidden_layers=-1"),
        "num_hidden_layers",
    ),  # D12
    (
        "N-h04b_zero_heads",
        ("hf:bert", *SMALL, "--hf-config", "num_attention_heads=0"),
        "num_attention_heads",
    ),
    ("N-h06_no_equals", ("hf:bert", "--hf-config", "num_hidden_layers"), "key=value"),
    ("N-h06b_empty_key", ("hf:bert", "--hf-config", "=5"), "key=value"),
    ("N-h07_missing_dir", ("hf:./nosuchdir",), "nosuchdir"),
    ("N-h08_broken_config", ("hf:./broken",), "broken"),
    ("N-h09_seq0", ("hf:bert", *SMALL, "--seq-len", "0"), "--seq-len"),
    ("N-h10_seq_on_vit", ("hf:vit", "--seq-len", "16"), "--seq-len"),
    (
        "N-h12_heads_not_divisible",
        (
            "hf:bert",
            "--hf-config",
            "num_hidden_layers=1",
            "--hf-config",
            "hidden_size=30",
            "--hf-config",
            "num_attention_heads=4",
        ),
        "multiple",
    ),
    (
        "N-h13_vocab0",
        ("hf:bert", *SMALL, "--hf-config", "vocab_size=0", "--seq-len", "16"),
        "vocab_size",
    ),  # D12: was exit 1
    ("N-h14_clip_composite", ("hf:clip",), "hf:clip"),
    (
        "N-h15_maxpos_small",
        ("hf:bert", *SMALL, "--hf-config", "max_position_embeddings=8"),
        "--seq-len",
    ),
    ("N-h05_seq_beyond_positions", ("hf:bert", *SMALL, "--seq-len", "100000"), "--seq-len"),
    ("N-h17_empty_type", ("hf:",), "hf:"),
    (
        "N-h18_json_object_value",
        ("hf:bert", *SMALL, "--hf-config", 'hidden_act={"a":1}', "--seq-len", "16"),
        "hidden_act",
    ),
    ("N-h19_seq_neg", ("hf:bert", *SMALL, "--seq-len", "-5"), "--seq-len"),
    (
        "N-h22_float_layers",
        ("hf:bert", *SMALL, "--hf-config", "num_hidden_layers=1.5", "--seq-len", "16"),
        "num_hidden_layers",
    ),
    (
        "N-h23_type_of_value_bool",
        ("hf:bert", *SMALL, "--hf-config", "vocab_size=true", "--seq-len", "16"),
        "vocab_size",
    ),
    (
        "N-h25_maxpos_zero",
        ("hf:bert", *SMALL, "--hf-config", "max_position_embeddings=0", "--seq-len", "16"),
        "max_position_embeddings",
    ),
    ("NC-hub_name", ("hf:bert-base-uncased",), "Hub"),  # newcomer.md: say Hub names are not loaded
]


@pytest.mark.parametrize("args", [c[1] for c in HF_REFUSED], ids=[c[0] for c in HF_REFUSED])
def test_hf_refuses_bad_values(cli: Cli, case: Case, args: tuple[str, ...]) -> None:
    pytest.importorskip("transformers")
    words = dict((c[1], c[2]) for c in HF_REFUSED)[args]
    case.path("broken").mkdir()
    case.path("broken").joinpath("config.json").write_text("{not json")
    cli("run", *args, *QUICK, "--json", "out.json").fails(2, words)
    assert case.left() == {"broken"}


def test_hf_compare_refuses_a_sequence_beyond_positions(cli: Cli, case: Case) -> None:
    # N-h24
    pytest.importorskip("transformers")
    small = " ".join(SMALL)
    done = cli("compare", f"hf:bert {small} --seq-len 16", f"hf:bert {small} --seq-len 1000",
               "--device", "cpu", "--max-time", "0.3")  # fmt: skip
    done.fails(2, "--seq-len")


def test_minor_wordings_of_the_review(cli: Cli, case: Case) -> None:
    # NOTES-faults "wordings the review called minor": each now says what is wrong
    cli("run", *QUICK, "timmm:resnet18").fails(2, "did you mean timm:resnet18?")
    (case.path("models")).mkdir()
    cli("run", *QUICK, "onnx:models").fails(2, "is a folder, not an .onnx file")
    (case.path("d")).mkdir()
    cli("run", *QUICK, B, "--export-csv", "d").fails(7, "cannot write the csv export to d")
    done = cli("run", *QUICK, B, "--dtype", "FP32")  # as people write it
    done.succeeds()
