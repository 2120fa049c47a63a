"""Hugging Face models by name (hf:TYPE, hf:./dir): tiny configs, random weights, on the CPU."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

import infertime
from infertime.cli.app import main
from infertime.comparison.configs import parse_config
from infertime.errors import ConfigError, MissingDependencyError, ModelNotFoundError
from infertime.workload.hf import load_hf, parse_overrides
from infertime.workload.spec import WorkloadSpec

pytest.importorskip("transformers")

TINY_BERT = (
    "num_hidden_layers=1",
    "hidden_size=32",
    "num_attention_heads=2",
    "intermediate_size=64",
)
FAST = {"device": "cpu", "threads": 1, "preset": "quick", "max_time_s": 0.2, "diagnose": False}


def test_a_token_model_gets_ids_in_the_vocabulary_and_a_mask() -> None:
    r = infertime.measure_latency("hf:bert", seq_len=8, hf_config=TINY_BERT, **FAST)  # type: ignore[arg-type]
    inputs = r.settings.inputs
    assert inputs.item_shapes == ((8,), (8,)) and inputs.dtypes == ("int64", "int64")
    assert r.settings.workload.hf_config == TINY_BERT and r.settings.workload.seq_len == 8
    assert "transformers" in r.environment["model_libraries"]
    assert r.figures["latency"].summary.median > 0


def test_ids_stay_in_the_vocabulary() -> None:
    loaded = load_hf("bert", 8, (*TINY_BERT, "vocab_size=50"))
    ids, mask = loaded.inputs
    assert (ids.name, ids.low, ids.high) == ("input_ids", 0, 49)
    assert (mask.name, mask.low, mask.high) == ("attention_mask", 1, 1)


def test_vision_and_encoder_decoder_models() -> None:
    vit = load_hf("vit", None, (*TINY_BERT, "image_size=32", "patch_size=8", "num_channels=3"))
    assert [(s.name, s.shape) for s in vit.inputs] == [("pixel_values", (3, 32, 32))]
    t5 = load_hf("t5", 4, ("num_layers=1", "d_model=32", "num_heads=2", "d_ff=64", "d_kv=16"))
    assert t5.inputs[0].shape == (4,) and "T5Stack" in type(t5.module).__name__
    r = infertime.measure_latency(
        "hf:t5",
        seq_len=4,
        hf_config=("num_layers=1", "d_model=32", "num_heads=2", "d_ff=64", "d_kv=16"),
        **FAST,  # type: ignore[arg-type]
    )
    assert r.figures["latency"].summary.median > 0


def test_a_local_config_directory(tmp_path: Path) -> None:
    from transformers import BertConfig

    BertConfig(
        num_hidden_layers=1, hidden_size=32, num_attention_heads=2, intermediate_size=64
    ).to_json_file(str(tmp_path / "config.json"))
    loaded = load_hf(str(tmp_path), 8, ())
    assert loaded.reference == f"hf:{tmp_path}" and loaded.inputs[0].shape == (8,)
    with pytest.raises(ModelNotFoundError, match=r"no config\.json"):
        load_hf(str(tmp_path / "missing"), None, ())


def test_a_config_dtype_does_not_decide_the_dtype(tmp_path: Path) -> None:
    from transformers import GPT2Config

    GPT2Config(n_layer=1, n_embd=32, n_head=2, dtype="bfloat16").to_json_file(
        str(tmp_path / "config.json")
    )
    loaded = load_hf(str(tmp_path), 8, ())
    assert {p.dtype for p in loaded.module.parameters()} == {torch.float32}  # --dtype decides


def test_a_folder_named_like_a_type_is_not_taken_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bert").mkdir()
    monkeypatch.chdir(tmp_path)
    assert load_hf("bert", 8, TINY_BERT).inputs[0].name == "input_ids"


@pytest.mark.parametrize(
    ("name", "seq", "config", "error", "words"),
    [
        ("bertt", None, (), ModelNotFoundError, "close matches: hf:bert"),
        ("bert", 100_000, (), ConfigError, "longer than hf:bert allows (512 positions)"),
        ("bert", None, ("no_such_key=1",), ConfigError, "has no setting 'no_such_key'"),
        ("wav2vec2", None, (), ModelNotFoundError, "input_values"),
        ("vit", 8, (), ConfigError, "--seq-len applies to token models"),
        ("gpt2", None, ("n_layer=abc",), ConfigError, "cannot set n_layer='abc'"),
        ("clip", 8, (), ModelNotFoundError, "takes more than token ids"),
    ],
)
def test_bad_hf_references_get_one_clear_error(
    name: str, seq: int | None, config: tuple[str, ...], error: type, words: str
) -> None:
    from infertime.errors import command_line

    with command_line(), pytest.raises(error) as caught:
        load_hf(name, seq, config)
    assert words in caught.value.one_line()  # the message or its advice


def test_overrides_and_spec_checks() -> None:
    assert parse_overrides(["a=1", "b=0.5", "c=true", "d=gelu"]) == {
        "a": 1,
        "b": 0.5,
        "c": True,
        "d": "gelu",
    }
    with pytest.raises(ConfigError, match="key=value"):
        parse_overrides(["novalue"])
    with pytest.raises(ConfigError, match="applies to hf: models"):
        WorkloadSpec(model="timm:resnet18", seq_len=8)
    with pytest.raises(ConfigError, match="applies to hf: models"):
        WorkloadSpec(model="timm:resnet18", hf_config=("a=1",))
    spec = WorkloadSpec(model="hf:bert").with_overrides({"hf_config": ["a=1"], "seq_len": 4})
    assert spec.hf_config == ("a=1",) and spec.seq_len == 4
    c = parse_config("hf:bert --seq-len 16 --hf-config a=1 --hf-config b=2 --dtype bf16")
    assert c.spec.seq_len == 16 and c.spec.hf_config == ("a=1", "b=2")


def test_missing_transformers_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(MissingDependencyError) as caught:
        load_hf("bert", None, ())
    assert "pip install 'infertime[hf]'" in caught.value.one_line()


def test_cli_run_of_an_hf_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flags = [x for pair in TINY_BERT for x in ("--hf-config", pair)]
    path = tmp_path / "r.json"
    fast = ["--device", "cpu", "--threads", "1", "--preset", "quick", "--max-time", "0.2"]
    code = main(["run", "hf:bert", "--seq-len", "8", *flags, *fast, "--json", str(path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.splitlines()[0].startswith("hf:bert · batch 1 · fp32 · seq 8 · 4 config changes")
    assert infertime.load_result(path).settings.workload.hf_config == TINY_BERT
    assert main(["run", "timm:resnet18", "--seq-len", "8", "--device", "cpu"]) == 2
    assert "applies to hf: models" in capsys.readouterr().err
