"""The pipeline: kinds registered once and working everywhere, one source for workload flags,
child processes answering through files, an import that costs nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console

import infertime
from infertime import kinds, resultfile
from infertime.cli.app import main
from infertime.cli.commands import typer_command
from infertime.comparison.configs import parse_config
from infertime.comparison.files import compare_files
from infertime.errors import ConfigError, OutOfMemoryError
from infertime.execution.executors import FreshProcess
from infertime.execution.measure_task import measure_request
from infertime.execution.tasks import task_function
from infertime.kinds.base import Values
from infertime.pipeline.measurement import child_spec
from infertime.policies import ComparePolicy, MeasureConfig, StopPolicy, WarmupPolicy
from infertime.reporting.export import export_text
from infertime.specs.spec import BACKENDS, MODEL_PREFIXES, WorkloadSpec
from infertime.specs.text import spec_name, workload_flags

GOLDEN = Path(__file__).parent / "golden"
# The newest golden file of each kind; a new kind adds one (this test fails until it does).
SAMPLES = {
    "latency": "v4_latency_processes_cpu.json",
    "throughput": "v3_throughput_cpu.json",
    "pitfalls": "v3_pitfalls_cpu.json",
    "compare": "v5_compare_cpu.json",
    "generate": "v6_generate_cpu.json",
}
ROOT = Path(__file__).parent.parent
QUICK = MeasureConfig(
    warmup=WarmupPolicy(min_time_s=0.01, min_calls=3, window_time_s=0.005, max_time_s=0.3),
    stop=StopPolicy(precision=0.2, min_samples=6, max_time_s=0.3),
    preset="test",
)


@pytest.mark.parametrize("name", kinds.names())
def test_every_registered_kind_works_in_every_place(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    kind = kinds.get(name)
    assert name in SAMPLES, f"kind {name} needs a sample result file for this test"
    result = resultfile.load_result(GOLDEN / SAMPLES[name])
    assert kinds.of(result) is kind and isinstance(result, kind.result_type)
    # the file form, and back; the published JSON Schema
    document = resultfile.to_document(result)
    assert document["kind"] == name and document["schema_version"] == resultfile.SCHEMA_VERSION
    again = resultfile.from_document(json.loads(json.dumps(document)))
    assert resultfile.to_document(again) == document
    assert resultfile.document_schema(name)["properties"]["kind"] == {"const": name}
    # the terminal (what `show` prints), the exports, the checks
    console = Console(file=__import__("io").StringIO(), width=80)
    kind.render(result, console, True)
    assert console.file.getvalue().strip()  # type: ignore[attr-defined]
    for fmt in ("csv", "markdown", "json", "html"):  # html: the report, through `report`
        assert export_text(result, fmt).endswith("\n")
    assert isinstance(kind.checks(result), list)
    if kind.figures is not None:
        assert kind.figures(result)
    # offline compare, where the kind has an arm
    if kind.offline is not None:
        r = compare_files([result, result], ComparePolicy(), allow_different=True)
        assert r.ratio(1).value == pytest.approx(1.0)
    # the child tasks it names exist
    for task in kind.tasks:
        assert callable(task_function(f"{name}.{task}"))
    if kind.measure is not None:
        assert callable(kinds.load_attribute(kind.measure))
    # its command, through the CLI
    if kind.command is not None:
        assert main([kind.command.name, "--help"]) == 0
        assert kind.command.name in capsys.readouterr().out


def test_a_kind_is_one_module_and_one_registration_line() -> None:
    for name, module in kinds.REGISTRY.items():
        assert module.endswith(".kind"), module
        assert kinds.get(name).name == name


def run_values(args: list[str]) -> dict[str, Any]:
    """The workload values `infertime run` parses from `args` (nothing is measured)."""
    seen: dict[str, Any] = {}

    def handler(o: Values) -> None:
        seen.update(model=o.model, **o.workload())

    app = typer.Typer()
    command = kinds.get("latency").command
    assert command is not None
    app.command()(typer_command(command.options, handler, "", "run"))
    app(args=args, standalone_mode=False)
    return seen


# A value for each workload flag, and what else it needs to be valid.
SAMPLE_FLAGS = {
    "batch_size": (["--batch-size", "4"], []),
    "input_shape": (["--input-shape", "3x8x8"], []),
    "seq_len": (["--seq-len", "16"], []),
    "hf_config": (["--hf-config", "num_hidden_layers=1"], []),
    "backend": (["--backend", "compile"], []),
    "compile_mode": (["--compile-mode", "max-autotune"], ["--backend", "compile"]),
    "dynamic": (["--dynamic"], ["--backend", "compile"]),
    "dtype": (["--dtype", "bf16"], []),
    "autocast": (["--autocast"], ["--dtype", "bf16"]),
    "channels_last": (["--channels-last"], []),
    "seed": (["--seed", "7"], []),
}


@pytest.mark.parametrize("name", [n for n in workload_flags() if n != "model"])
def test_every_workload_flag_of_run_means_the_same_inside_a_configuration(name: str) -> None:
    flag = workload_flags()[name]
    if flag.shared:  # device, threads: one value for every configuration, given outside
        with pytest.raises(ConfigError, match="give it once, outside the quotes"):
            parse_config(f"m:f {flag.flag} 1")
        return
    assert name in SAMPLE_FLAGS, f"add a sample value for the new flag {flag.flag}"
    words, needs = SAMPLE_FLAGS[name]
    model = "hf:bert" if name in ("seq_len", "hf_config") else "m:f"
    from_run = run_values([model, *needs, *words])
    config = parse_config(" ".join([model, *needs, *words]))
    assert getattr(config.spec, name) == from_run[name] != getattr(WorkloadSpec(), name)
    # the configuration's name is text `run` reads back to the same spec
    assert parse_config(spec_name(config.spec)).spec == config.spec


def test_specs_that_differ_in_any_field_get_different_names() -> None:
    base = WorkloadSpec(model="hf:bert")
    changed = {
        "batch_size": 4, "input_shape": (3, 8, 8), "seq_len": 16, "hf_config": ("a=1",),
        "backend": "onnxruntime", "dtype": "fp16", "channels_last": True, "seed": 3,
        "device": "cpu", "threads": 2,
    }  # fmt: skip
    names = {spec_name(base)}
    for key, value in changed.items():
        names.add(spec_name(replace(base, **{key: value})))
    names.add(spec_name(replace(base, backend="compile", compile_mode="max-autotune")))
    names.add(spec_name(replace(base, backend="compile", dynamic=True)))
    names.add(spec_name(replace(base, dtype="bf16", autocast=True)))
    assert len(names) == len(changed) + 4
    covered = set(changed) | {"compile_mode", "dynamic", "autocast", "model"}
    assert covered == {f.name for f in fields(WorkloadSpec)}


def test_help_lists_what_the_code_accepts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for backend in BACKENDS:
        assert backend in text
    for prefix in MODEL_PREFIXES:
        assert prefix in text
    assert "--graph-replay" in text and "Seed of the random inputs" in text
    assert main(["compare", "--help"]) == 0
    assert "slot order" in " ".join(capsys.readouterr().out.split())


def test_the_old_cuda_graph_flag_says_what_replaced_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "models_for_tests:tiny_cnn", "--cuda-graph", "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "--graph-replay" in err and "--backend cuda-graph" in err
    with pytest.raises(ConfigError, match="now --backend cuda-graph"):
        parse_config("m:f --cuda-graph")


def no_torch_after(code: str) -> bool:
    """Whether `code` ran without importing torch (in a fresh interpreter)."""
    script = f"{code}\nimport sys\nprint('TORCH' if 'torch' in sys.modules else 'NO TORCH')"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    return out.stdout.strip().splitlines()[-1] == "NO TORCH"


def test_importing_infertime_and_reading_results_never_import_torch(tmp_path: Path) -> None:
    a, b = GOLDEN / "v3_latency_cpu.json", GOLDEN / "v4_latency_processes_cpu.json"
    assert no_torch_after("import infertime; infertime.load_result(" + repr(str(a)) + ")")
    cli = "from infertime.cli.app import main; main({})"
    assert no_torch_after(cli.format(["--version"]))
    assert no_torch_after(cli.format(["--help"]))
    assert no_torch_after(cli.format(["run", "--help"]))
    assert no_torch_after(cli.format(["show", str(a), "--details"]))
    assert no_torch_after(cli.format(["compare", str(a), str(b), "-q"]))


def test_the_public_names_are_the_lazy_ones() -> None:
    assert set(infertime.__all__) == set(infertime._LAZY) | {"__version__"}
    assert infertime.WorkloadSpec is WorkloadSpec
    with pytest.raises(AttributeError):
        infertime.no_such_thing  # noqa: B018


def test_a_child_gets_the_device_and_the_threads_of_its_parent() -> None:
    from infertime.devices import CpuDevice

    spec = WorkloadSpec(model="m:f", device="auto")
    child = child_spec(spec, CpuDevice(), 3)
    assert (child.device, child.threads) == ("cpu", 3)
    import torch

    assert child_spec(spec, None, None).threads == torch.get_num_threads()


@pytest.mark.slow
def test_a_child_answers_through_a_file_whatever_the_model_prints() -> None:
    spec = WorkloadSpec(model="models_for_tests:factory_prints", device="cpu", threads=1)
    request = measure_request("latency", spec, QUICK, diagnose=False)
    answer = FreshProcess(env={"PYTHONPATH": str(Path(__file__).parent)}).run(
        "measure", request, timeout_s=120, what="the child"
    )
    result = resultfile.from_document(answer["result"])
    assert result.kind == "latency" and result.settings.model == "models_for_tests:factory_prints"


@pytest.mark.slow
def test_a_childs_error_comes_back_with_its_class_and_exit_code() -> None:
    spec = WorkloadSpec(model="models_for_tests:oom_model", device="cpu", threads=1)
    request = measure_request("latency", spec, QUICK, diagnose=False)
    with pytest.raises(OutOfMemoryError, match="the child: out of memory") as info:
        FreshProcess(env={"PYTHONPATH": str(Path(__file__).parent)}).run(
            "measure", request, timeout_s=120, what="the child"
        )
    assert info.value.exit_code == 4


def test_the_api_keywords_are_the_spec_fields() -> None:
    from infertime.specs.spec import WorkloadOptions

    # the model is the first argument, not a keyword; the rest are the spec's fields
    assert set(WorkloadOptions.__annotations__) == {f.name for f in fields(WorkloadSpec)} - {
        "model"
    }
