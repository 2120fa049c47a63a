"""Sweep grids from list-valued options and TOML files, checked before anything runs; the
identity of points (configuration hash) and of environments (fingerprint)."""

from __future__ import annotations

from pathlib import Path

import pytest

from infertime.errors import ConfigError, command_line
from infertime.sweep.cliargs import parse_grid_args
from infertime.sweep.fingerprint import Gpu, torch_versions, visible
from infertime.sweep.identity import parse_file_name, plan_point, sweep_id
from infertime.sweep.options import to_argv
from infertime.sweep.specfile import parse_grid_text
from sweep_helpers import host


def test_list_valued_options_make_axes() -> None:
    grid = parse_grid_args(
        "run",
        ["--model", "timm:resnet50", "--model", "hf:bert-base-uncased", "--batch-size", "1,8,64",
         "--dtype", "fp32,bf16", "--backend", "eager,compile", "--preset", "quick"],
    )  # fmt: skip
    points = grid.points()
    assert len(points) == 2 * 3 * 2 * 2
    assert grid.fixed == {"preset": "quick"}
    assert {p.get("batch_size") for p in points} == {1, 8, 64}
    assert grid.varying_keys() == ["model", "batch_size", "backend", "dtype"]


def test_switches_shapes_and_pairs() -> None:
    grid = parse_grid_args(
        "run",
        ["m:f", "--channels-last", "true,false", "--input-shape", "3,32,32", "--input-shape",
         "3,64,64", "--no-diagnose", "--graph-replay"],
    )  # fmt: skip
    points = grid.points()
    assert len(points) == 4
    assert {p.get("input_shape") for p in points} == {(3, 32, 32), (3, 64, 64)}
    assert grid.fixed["diagnose"] is False and grid.fixed["graph_replay"] is True
    argv = to_argv("run", points[0].values)
    assert argv[0] == "m:f" and "--no-diagnose" in argv and "--graph-replay" in argv
    assert "--input-shape" in argv and "3,32,32" in argv


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--bach-size", "1"], "unknown option 'bach_size'"),
        (["--batch-size", "one"], "--batch-size takes a number"),
        (["--dtype", "fp33"], "dtype"),
        (["--batch-size", "1,,2"], "empty value"),
        (["--device", "cuda:1"], "names one GPU"),
        (["--autocast", "--dtype", "fp32"], "autocast"),
        (["--preset", "slow"], "preset must be one of"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(args: list[str], words: str) -> None:
    with command_line(), pytest.raises(ConfigError) as caught:
        parse_grid_args("run", ["m:f", *args]).points()
    assert caught.value.exit_code == 2
    assert words in caught.value.one_line()


def test_throughput_varies_the_batch_itself() -> None:
    with pytest.raises(ConfigError, match="throughput varies the batch"):
        parse_grid_args("throughput", ["m:f", "--batch-size", "8"])


def test_unknown_kind_and_generate() -> None:
    with pytest.raises(ConfigError, match="unknown sweep kind"):
        parse_grid_args("latency", [])
    grid = parse_grid_args("generate", ["hf:gpt2", "--new-tokens", "8,16", "--no-caller"])
    assert len(grid.points()) == 2 and grid.fixed["caller"] is False
    with pytest.raises(ConfigError, match="unknown option 'input_shape'"):
        parse_grid_args("generate", ["hf:gpt2", "--input-shape", "3,8,8"])


SPEC = """\
kind = "run"

[options]
preset = "quick"
device = "cpu"

[matrix]
model = ["m:a", "m:b"]
batch-size = [1, 8, 64]
dtype = ["fp32", "bf16"]

[[exclude]]
model = "m:b"
batch_size = [8, 64]

[[include]]
model = "m:c"
batch_size = 2
input_shape = [3, 16, 16]
"""


def test_toml_matrix_exclusions_and_extra_points() -> None:
    grid = parse_grid_text(SPEC, "spec.toml")
    points = grid.points()
    # 2 models x 3 batches x 2 dtypes, less m:b at 8 and 64 (4), plus one extra point
    assert len(points) == 12 - 4 + 1
    extra = [p for p in points if p.get("model") == "m:c"]
    assert extra[0].get("input_shape") == (3, 16, 16) and extra[0].get("preset") == "quick"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("batch-size = [1, 8, 64]", "bach_size = [1, 8, 64]"), "line 9: unknown option"),
        (('dtype = ["fp32", "bf16"]', 'dtype = ["fp32", "fp8"]'), "line 10: dtype must be one of"),
        (('preset = "quick"', "preset = 3"), "line 4: preset takes a non-empty string"),
        (('kind = "run"', 'kind = "runs"'), "line 1: unknown sweep kind"),
        (("[[include]]", "[[includes]]"), "unknown key 'includes'"),
        (('model = "m:c"', "model = m:c"), "not valid TOML"),
    ],
)
def test_toml_errors_name_the_key_and_the_line(change: tuple[str, str], words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_grid_text(SPEC.replace(*change), "spec.toml").points()
    assert caught.value.exit_code == 2
    assert words in caught.value.one_line(), caught.value.one_line()


def test_an_empty_grid_is_refused() -> None:
    text = 'kind = "run"\n[matrix]\nbatch_size = [1]\n[[exclude]]\nbatch_size = 1\n'
    with pytest.raises(ConfigError, match="no points"):
        parse_grid_text(text, "spec.toml").points()
    with pytest.raises(ConfigError, match="has no values"):
        parse_grid_text('kind = "run"\n[matrix]\nbatch_size = []\n', "spec.toml")


def test_configuration_hash_is_stable_and_resolved() -> None:
    a = parse_grid_args("run", ["m:f", "--batch-size", "1,8", "--dtype", "fp32"]).points()
    b = parse_grid_args("run", ["--dtype", "fp32", "--batch-size", "8,1", "m:f"]).points()
    plan_a = sorted(plan_point(p, False).config_hash for p in a)
    plan_b = sorted(plan_point(p, False).config_hash for p in b)
    assert plan_a == plan_b  # order of options and of values does not matter
    assert sweep_id([plan_point(p, False) for p in a]) == sweep_id(
        [plan_point(p, False) for p in b]
    )
    # The default dtype written out or left out is the same configuration.
    c = parse_grid_args("run", ["m:f", "--batch-size", "1"]).points()[0]
    batch_1 = next(p for p in a if p.get("batch_size") == 1)
    assert plan_point(c, False).config_hash == plan_point(batch_1, False).config_hash
    # device auto resolves to where it runs
    assert plan_point(c, True).device_kind == "cuda" and plan_point(c, False).device_kind == "cpu"
    assert plan_point(c, True).config_hash != plan_point(c, False).config_hash


def test_fingerprint_changes_with_torch_and_gpu() -> None:
    gpu0, gpu1 = Gpu(0, "NVIDIA H200", "GPU-aaaa"), Gpu(1, "NVIDIA H200", "GPU-bbbb")
    old, new = host("2.13.0", (gpu0, gpu1)), host("2.14.0", (gpu0, gpu1))
    assert old.for_cpu().hash != new.for_cpu().hash
    assert old.for_gpu(gpu0).hash != old.for_gpu(gpu1).hash
    assert old.for_gpu(gpu0).hash == host("2.13.0", (gpu0,)).for_gpu(gpu0).hash
    assert visible((gpu0, gpu1), "1") == (gpu1,)
    assert visible((gpu0, gpu1), "GPU-bbbb,0") == (gpu1, gpu0)
    assert visible((gpu0, gpu1), "") == ()


def test_torch_version_read_without_importing_torch() -> None:
    version, _ = torch_versions()
    import torch

    assert version == torch.__version__


def test_file_names_round_trip(tmp_path: Path) -> None:
    assert parse_file_name("0123456789abcdef-89abcdef-r2.json") == (
        "0123456789abcdef",
        "89abcdef",
        2,
    )
    assert parse_file_name("manifest.json") is None
