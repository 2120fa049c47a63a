"""--backend onnxruntime on the CPU: export recorded, I/O bound once, same answers as eager,
compared side by side with eager, bad flags refused before anything is built."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

import infertime
from infertime.cli.app import main
from infertime.errors import MissingDependencyError, ModelCallError, NonFiniteOutputError
from infertime.workload.prepare import prepare
from infertime.workload.spec import WorkloadSpec

pytest.importorskip("onnxruntime")

TINY = "models_for_tests:tiny_cnn"
FAST = {"device": "cpu", "threads": 1, "preset": "quick", "max_time_s": 0.2}


def test_the_export_and_session_are_recorded_apart() -> None:
    r = infertime.measure_latency(TINY, backend="onnxruntime", **FAST)  # type: ignore[arg-type]
    built = r.analysis.backend
    assert built.backend == "onnxruntime" and built.provider == "CPUExecutionProvider"
    assert built.exporter.startswith("torch.onnx") and built.export_s > 0
    assert built.session_options["intra_op_num_threads"] == 1  # follows --threads
    # threads spin inside a run and stop when it returns (benchmarks/ort_spinning_check.py)
    assert built.session_options["intra_op_allow_spinning"] is True
    assert built.session_options["force_spinning_stop"] is True
    assert r.settings.workload.backend == "onnxruntime"
    assert r.figures["latency"].summary.median > 0


def test_bound_outputs_match_eager() -> None:
    from infertime.devices import CpuDevice
    from infertime.workload.backends import build_call

    prepared = prepare(WorkloadSpec(model=TINY, backend="onnxruntime"), CpuDevice())
    call = build_call(prepared, 2)
    args, kwargs = prepared.inputs(2)
    with torch.inference_mode():
        expected = prepared.module(*args, **kwargs)
    (got,) = call()
    assert torch.allclose(got, expected, atol=1e-4)
    assert call()[0].data_ptr() == got.data_ptr()  # the same buffer every call: no allocation


def test_token_models_bind_ids_and_mask() -> None:
    pytest.importorskip("transformers")
    config = (
        "num_hidden_layers=1",
        "hidden_size=32",
        "num_attention_heads=2",
        "intermediate_size=64",
    )
    r = infertime.measure_latency(
        "hf:bert",
        seq_len=8,
        hf_config=config,
        backend="onnxruntime",
        **FAST,  # type: ignore[arg-type]
    )
    assert r.analysis.backend.inputs_bound >= 1


class Keywords(nn.Module):
    def forward(
        self, x: torch.Tensor, a: torch.Tensor | None = None, b: torch.Tensor | None = None
    ) -> torch.Tensor:
        assert a is not None and b is not None
        return x * 2 + a - b


def test_keyword_inputs_bind_by_name_with_either_exporter(monkeypatch: pytest.MonkeyPatch) -> None:
    examples = {"b": torch.randn(1, 4), "a": torch.randn(1, 4) * 10, "x": torch.randn(1, 4)}
    for exporter in ("dynamo", "TorchScript"):
        if exporter == "TorchScript":
            monkeypatch.setitem(sys.modules, "onnxscript", None)  # the dynamo exporter needs it
        r = infertime.measure_latency(Keywords(), examples, backend="onnxruntime", **FAST)  # type: ignore[arg-type]
        built = r.analysis.backend
        assert exporter in built.exporter and built.inputs_bound == 3
        assert built.max_abs_diff_vs_eager is not None  # checked against eager at build
        assert built.max_abs_diff_vs_eager < 1e-4


class Nan(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * float("nan")


class NoTensor(nn.Module):
    def forward(self, x: torch.Tensor) -> str:
        return "not a tensor"


def test_nan_outputs_and_unexportable_models_get_one_error() -> None:
    with pytest.raises(NonFiniteOutputError):
        infertime.measure_latency(Nan(), torch.randn(1, 4), backend="onnxruntime", **FAST)  # type: ignore[arg-type]
    with pytest.raises(ModelCallError, match="ONNX Runtime could not load"):
        infertime.measure_latency(NoTensor(), torch.randn(1, 4), backend="onnxruntime", **FAST)  # type: ignore[arg-type]


def test_eager_and_onnxruntime_compare_side_by_side() -> None:
    r = infertime.compare(
        TINY, f"{TINY} --backend onnxruntime", device="cpu", threads=1, max_time_s=1
    )
    assert r.mode == "interleaved" and r.arms[1].settings.workload.backend == "onnxruntime"
    assert r.ratio(1).value > 0


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--dtype", "bf16"], "leave out --dtype"),
        (["--channels-last"], "leave out --channels-last"),
        (["--graph-replay"], "--graph-replay replays the eager model"),
        (["--dynamic"], "--dynamic applies to --backend compile"),
    ],
)
def test_flags_that_do_not_fit_onnxruntime_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], words: str, tmp_path: Path
) -> None:
    out = tmp_path / "r.json"
    cmd = ["run", TINY, "--backend", "onnxruntime", *args, "--device", "cpu", "--json", str(out)]
    assert main(cmd) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1 and not out.exists()


def test_missing_onnxruntime_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from infertime.devices import CpuDevice
    from infertime.workload.backends import get_backend

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(MissingDependencyError) as caught:
        get_backend("onnxruntime").check(CpuDevice())
    assert "pip install 'infertime[onnx]'" in caught.value.one_line()


def export_tiny(path: Path, dynamic: dict[int, str] | None = None) -> Path:
    from models_for_tests import TinyCnn

    torch.onnx.export(
        TinyCnn().eval(),
        (torch.randn(2, 3, 16, 16),),
        str(path),
        dynamo=False,
        input_names=["pixels"],
        dynamic_axes={"pixels": dynamic} if dynamic else None,
    )
    return path


def test_an_onnx_file_is_timed_as_it_is(tmp_path: Path) -> None:
    path = export_tiny(tmp_path / "tiny.onnx", {0: "batch"})
    r = infertime.measure_latency(
        f"onnx:{path}",
        backend="onnxruntime",
        batch_size=4,
        **FAST,  # type: ignore[arg-type]
    )
    built = r.analysis.backend
    assert built.exporter.startswith("none: the file") and built.max_abs_diff_vs_eager is None
    assert r.settings.batch_size == 4 and r.settings.inputs.item_shapes == ((3, 16, 16),)
    fixed = export_tiny(tmp_path / "fixed.onnx")  # batch 2 in the graph: the default batch
    r = infertime.measure_latency(f"onnx:{fixed}", backend="onnxruntime", **FAST)  # type: ignore[arg-type]
    assert r.settings.batch_size == 2
    # Symbolic item dimensions need --input-shape.
    free = export_tiny(tmp_path / "free.onnx", {0: "batch", 2: "h", 3: "w"})
    with pytest.raises(infertime.InputShapeError, match="symbolic dimension h"):
        infertime.measure_latency(f"onnx:{free}", backend="onnxruntime", **FAST)  # type: ignore[arg-type]
    r = infertime.measure_latency(
        f"onnx:{free}",
        backend="onnxruntime",
        input_shape=(3, 24, 24),
        **FAST,  # type: ignore[arg-type]
    )
    assert r.settings.inputs.item_shapes == ((3, 24, 24),)


def test_bad_onnx_files_get_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.onnx"
    junk.write_text("not a model")
    cases = [
        ([f"onnx:{tmp_path / 'missing.onnx'}", "--backend", "onnxruntime"], "no such file"),
        ([f"onnx:{junk}", "--backend", "onnxruntime"], "is not an ONNX model"),
        ([f"onnx:{junk}", "--backend", "compile"], "it runs with --backend onnxruntime"),
        ([f"onnx:{junk}"], "is not an ONNX model"),  # the backend follows from onnx:
    ]
    for args, words in cases:
        assert main(["run", *args, "--device", "cpu"]) == 2
        err = capsys.readouterr().err
        assert words in err and len(err.strip().splitlines()) == 1


def test_a_throughput_sweep_exports_each_batch_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # the fast TorchScript exporter
    r = infertime.measure_throughput(TINY, backend="onnxruntime", max_batch=8, **FAST)  # type: ignore[arg-type]
    builds = r.analysis.backend_builds
    exported = [b.batch for b in builds if not b.export_reused]
    assert len(exported) == len(set(exported)) >= 3
    assert len(builds) > len(exported)  # some batch sizes were built again, not exported again
