"""The generate kind end to end: CLI and API on a tiny gpt2 (CPU), the result file and its
golden copy, 80-column rendering, exports, offline compare of two saved results, the child
task, and every bad-input case refused in one line with its exit code."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from infertime import kinds, resultfile
from infertime.cli.app import main
from infertime.errors import ConfigError
from infertime.execution.measure_task import measure_request, measure_task
from infertime.generation import offline
from infertime.generation.result import GenerationResult
from infertime.policies import MeasureConfig, StopPolicy, WarmupPolicy
from infertime.reporting.export import export_text
from infertime.specs.spec import WorkloadSpec

GOLDEN = Path(__file__).parent / "golden" / "v6_generate_cpu.json"
GPT2 = ("n_layer=2", "n_embd=64", "n_head=4", "vocab_size=1000", "n_positions=64")
# Exactly 12 timed calls whatever the host's speed.
COUNTED = MeasureConfig(
    warmup=WarmupPolicy(min_time_s=0.01, min_calls=2, window_calls=2, windows=2,
                        window_time_s=0.005, max_time_s=0.5),
    stop=StopPolicy(precision=0.5, min_samples=12, max_samples=12, max_time_s=60.0),
    preset="test",
)  # fmt: skip


def golden() -> GenerationResult:
    r = resultfile.load_result(GOLDEN)
    assert isinstance(r, GenerationResult)
    return r


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_golden_file_round_trips_and_renders_in_80_columns() -> None:
    r = golden()
    doc = resultfile.to_document(r)
    assert doc["kind"] == "generate"
    again = resultfile.from_document(json.loads(json.dumps(doc)))
    assert resultfile.to_document(again) == doc
    run = r.run
    assert all(len(s.step_s) == run.spec.new_tokens - 1 for s in run.sequences)
    for details in (False, True):
        out = io.StringIO()
        kinds.get("generate").render(r, Console(file=out, width=80, color_system=None), details)
        text = out.getvalue()
        assert all(len(line) <= 80 for line in text.splitlines()), text
        assert "device path" in text and "caller's path" in text
        assert ("vLLM TPOT" in text) is details and ("MLPerf TPOT" in text) is details
    derived = doc["by_batch"][0]
    assert {"ttft_s", "tpot_s", "e2e_s"} <= set(derived["device_path"])
    tools = {t["tool"] for t in derived["tool_views"]["device"]}
    assert {"vLLM", "AIPerf", "llmperf"} <= {t.split()[0] for t in tools}


def test_exports_keep_the_paths_apart() -> None:
    r = golden()
    csv = export_text(r, "csv")
    header = csv.splitlines()[0].split(",")
    assert {"path", "figure", "unit", "median", "ci_low", "ci_high"} <= set(header)
    rows = csv.splitlines()[1:]
    assert any(",device,ttft_s," in row for row in rows)
    assert any(",caller,generate_latency_s," in row for row in rows)
    assert "TTFT" in export_text(r, "markdown") or "ttft_s" in export_text(r, "markdown")


def test_offline_compare_of_two_saved_results(tmp_path: Path) -> None:
    from infertime.comparison.files import compare_files
    from infertime.policies import ComparePolicy

    a = tmp_path / "a.json"
    b = tmp_path / "b.json"
    a.write_text(GOLDEN.read_text())
    b.write_text(GOLDEN.read_text())
    result = compare_files([str(a), str(b)], ComparePolicy(figure="tpot"))
    assert result.figure == "tpot_s"
    with pytest.raises(ConfigError, match="ttft, tpot or e2e"):
        offline.generation_arm("a", golden(), "device_time")


def test_api_measures_through_the_pipeline_and_the_child_task() -> None:
    from infertime import measure_generation

    r = measure_generation(
        "hf:gpt2", hf_config=GPT2, prompt_len=8, new_tokens=4, batch_size=1, device="cpu",
        threads=1, config=COUNTED, preset="quick", caller=False,
    )  # fmt: skip
    assert isinstance(r, GenerationResult) and len(r.run.sequences) == 12
    assert r.run.tokens_checked == 12 and r.run.caller is None
    assert r.analysis.wall_s is not None and r.analysis.wall_s.engine_s is not None
    assert r.settings.inputs.item_shapes == ((8,),)
    # The child task (what --processes runs in a fresh process), here in this process.
    spec = WorkloadSpec(model="hf:gpt2", hf_config=GPT2, batch_size=1, device="cpu", threads=1)
    request = measure_request("generate", spec, COUNTED, prompt_len=8, new_tokens=4,
                              caller=False, diagnose=False)  # fmt: skip
    answer = measure_task(json.loads(json.dumps(request)))
    child = resultfile.from_document(answer["result"])
    assert isinstance(child, GenerationResult) and child.run.spec.new_tokens == 4


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--new-tokens", "1"], "at least 2"),
        (["--prompt-len", "60", "--new-tokens", "10"], "positions"),
        (["--batch-size", "search"], "--slo"),
        (["--batch-size", "0"], "at least 1"),
        (["--cache", "paged"], "dynamic or static"),
        (["--backend", "onnxruntime"], "eager or compile"),
        (["--slo", "ttft=fast"], "slo"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    hf = [w for c in GPT2 for w in ("--hf-config", c)]
    code, _, err = cli(["generate", "hf:gpt2", *hf, "--device", "cpu", *args], capsys)
    assert code == 2, err
    assert words.lower() in err.lower() and "Traceback" not in err
    assert len([line for line in err.splitlines() if line.strip()]) <= 2


def test_not_a_causal_lm_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["generate", "hf:bert", "--device", "cpu", "--hf-config",
                        "num_hidden_layers=1"], capsys)  # fmt: skip
    assert code == 2 and "causal" in err.lower() and "Traceback" not in err


def test_compare_refuses_a_generate_configuration_beside_a_latency_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = cli(["compare", "hf:gpt2 --prompt-len 8", "hf:gpt2", "--device", "cpu"],
                       capsys)  # fmt: skip
    assert code == 2 and "latency one" in err and "Traceback" not in err


def test_cli_writes_a_result_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "g.json"
    hf = [w for c in GPT2 for w in ("--hf-config", c)]
    code, out, err = cli(
        ["generate", "hf:gpt2", *hf, "--prompt-len", "8", "--new-tokens", "3", "--device",
         "cpu", "--preset", "quick", "--max-time", "0.3", "--no-caller", "--json", str(path),
         "-q"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    r: Any = resultfile.load_result(path)
    assert r.kind == "generate" and all(len(s.step_s) == 2 for s in r.run.sequences)
    assert "TTFT" in out and "TPOT" in out
