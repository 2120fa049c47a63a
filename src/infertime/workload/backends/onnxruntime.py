"""ONNX Runtime on the CPU: the model exported to ONNX once per batch size, run with I/O binding.

The export (torch.onnx's dynamo exporter, or the TorchScript exporter where that one fails; the
one used is recorded) and the session are made when the call is built, with static shapes for
that batch; their times are recorded apart, never inside warm-up or samples. The inputs are the
same seeded tensors as eager's, bound once as OrtValues that share their memory, and the
outputs are bound to arrays allocated once: a timed call is `run_with_iobinding` and nothing
else, no host copies or allocations (microsoft/onnxruntime#8166, #10303). Intra-op threads
follow `--threads` (torch's count when not given); the session options are recorded.

Only the CPU execution provider: the GPU ones need the onnxruntime-gpu wheel, which the GPU
machine used for validation cannot install, so no code for them ships unrun.
"""

from __future__ import annotations

import inspect
import io
import logging
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import ConfigError, MissingDependencyError, ModelCallError, first_line, option
from ...sections import BackendBuild

if TYPE_CHECKING:
    from ...devices.base import Device
    from ..prepare import PreparedModel


class OnnxRuntime:
    name = "onnxruntime"

    def check(self, device: Device) -> None:
        if device.kind != "cpu":
            raise ConfigError(
                f"{option('backend')} onnxruntime runs on the CPU here; the GPU execution "
                "providers need the onnxruntime-gpu package, which infertime does not support yet",
                advice=f"pass {option('device')} cpu",
            )
        _ort()

    def build(self, prepared: PreparedModel, batch: int) -> Callable[[], Any]:
        """One `run_with_iobinding`, returning the bound outputs (as tensors sharing their
        memory, for the NaN check); `call.setup` says how it was built."""
        import numpy as np
        import torch

        ort = _ort()
        spec = prepared.spec
        args, kwargs = prepared.inputs(batch)
        kwargs = _in_signature_order(prepared.module, kwargs)
        names = [f"input_{i}" for i in range(len(args))] + list(kwargs)
        tensors = [*args, *kwargs.values()]
        t0 = time.perf_counter()
        from ..onnx_file import OnnxFile

        given = prepared.module if isinstance(prepared.module, OnnxFile) else None
        # A throughput sweep builds some batch sizes more than once: each is exported once.
        cache: dict[int, tuple[bytes, str]] = prepared.__dict__.setdefault("_onnx_exports", {})
        reused = given is None and batch in cache
        if given is not None:  # an onnx: file, timed as it is
            model_bytes, exporter = given.model_bytes, f"none: the file {given.path}"
        elif reused:
            model_bytes, exporter = cache[batch]
        else:
            model_bytes, exporter = _export(prepared, tuple(args), dict(kwargs), names)
            cache[batch] = (model_bytes, exporter)
        export_s = time.perf_counter() - t0
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.intra_op_num_threads = spec.threads or torch.get_num_threads()
        options.inter_op_num_threads = 1
        # Intra-op threads spin for work inside a run (ONNX Runtime's default; with spinning
        # off it ran 1.2-1.5x slower), and stop spinning when the run returns: threads left
        # spinning took the CPU from the next slot of an interleaved comparison, up to 1.6x
        # longer for eager there on a 2-core CPU (benchmarks/ort_spinning_check.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "1")
        options.add_session_config_entry("session.force_spinning_stop", "1")
        options.log_severity_level = 4  # its errors come back as one line below, not as logs
        t1 = time.perf_counter()
        try:
            session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelCallError(
                f"ONNX Runtime could not load {prepared.reference} as exported by {exporter}: "
                f"{first_line(exc, limit=200)}",
                advice="run it with --backend eager; a model whose outputs are not tensors "
                "exports to an empty graph",
            ) from None
        session_s = time.perf_counter() - t1
        entry = options.get_session_config_entry
        feeds = {i.name: i for i in session.get_inputs()}
        arrays = [np.ascontiguousarray(t.detach().cpu().numpy()) for t in tensors]
        binding = session.io_binding()
        bound = 0
        for name, array in zip(names, arrays, strict=True):
            if name in feeds:  # the exporter drops inputs the graph does not use
                binding.bind_cpu_input(name, array)
                bound += 1
        # One unbound run to learn the outputs' shapes and types, then buffers allocated once.
        first = session.run(None, {n: a for n, a in zip(names, arrays, strict=True) if n in feeds})
        max_diff = None if given else _against_eager(prepared, args, kwargs, first, exporter)
        outputs = [np.empty_like(o) for o in first]
        for meta, out in zip(session.get_outputs(), outputs, strict=True):
            binding.bind_output(meta.name, "cpu", 0, out.dtype, list(out.shape), out.ctypes.data)
        as_tensors = [torch.from_numpy(o) for o in outputs]
        run_with_binding = session.run_with_iobinding

        def run() -> Any:
            run_with_binding(binding)
            return as_tensors

        setup = BackendBuild(
            backend="onnxruntime",
            onnxruntime=ort.__version__,
            provider="CPUExecutionProvider",
            exporter=exporter,
            batch=batch,
            export_s=export_s,
            export_reused=reused,  # this batch was exported for an earlier call
            session_s=session_s,
            session_options={
                "graph_optimization_level": "ORT_ENABLE_ALL",
                "execution_mode": "ORT_SEQUENTIAL",
                "intra_op_num_threads": options.intra_op_num_threads,
                "inter_op_num_threads": 1,
                # read back from the options the session was made with
                "intra_op_allow_spinning": entry("session.intra_op.allow_spinning") == "1",
                "force_spinning_stop": entry("session.force_spinning_stop") == "1",
            },
            max_abs_diff_vs_eager=max_diff,
            inputs_bound=bound,
            definition="export and session creation at this batch, before warm-up; timed "
            "calls are run_with_iobinding on inputs and outputs bound once",
        )
        # The arrays and tensors live in the closure: the bound memory must outlive the session.
        run.keep = (arrays, outputs, session)  # type: ignore[attr-defined]
        run.setup = setup  # type: ignore[attr-defined]
        return run


def _in_signature_order(module: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Keyword inputs in the order of `forward`'s parameters: the TorchScript exporter names
    inputs by position in that order, whatever order the dict had."""
    try:
        order = list(inspect.signature(module.forward).parameters)
    except (TypeError, ValueError):
        return kwargs
    rank = {name: i for i, name in enumerate(order)}
    return dict(sorted(kwargs.items(), key=lambda kv: rank.get(kv[0], len(order))))


def _against_eager(
    prepared: PreparedModel, args: Any, kwargs: dict[str, Any], got: list[Any], exporter: str
) -> float | None:
    """The largest difference between ONNX Runtime's first outputs and eager's, refused when it
    is more than numerics (an input bound to the wrong name, a wrong export); None when the
    outputs do not line up one to one (the exporter flattened them differently)."""
    import numpy as np
    import torch

    from ..outputs import tensors_in

    with torch.inference_mode():
        expected = [
            t.detach().float().cpu().numpy() for t in tensors_in(prepared.module(*args, **kwargs))
        ]
    if [e.shape for e in expected] != [np.shape(g) for g in got]:
        return None
    worst = 0.0
    for e, g in zip(expected, got, strict=True):
        if not np.all(np.isfinite(e)):  # NaN in eager: the measurement's own check says so
            continue
        diff = float(np.max(np.abs(e - np.asarray(g, dtype=np.float32)))) if e.size else 0.0
        scale = max(1.0, float(np.max(np.abs(e))) if e.size else 1.0)
        if not diff <= 1e-3 * scale:  # also NaN
            raise ModelCallError(
                f"ONNX Runtime's outputs of {prepared.reference} differ from eager's by "
                f"{diff:.3g} (exported by {exporter})",
                advice="the export is not faithful for this model; run it with --backend eager",
            )
        worst = max(worst, diff)
    return worst


def _ort() -> Any:
    try:
        import onnxruntime
    except ImportError:
        raise MissingDependencyError("onnxruntime", "onnx", "--backend onnxruntime") from None
    return onnxruntime


@contextmanager
def _quiet() -> Iterator[None]:
    """The exporters' prints, warnings and log lines, kept out of the output (errors still
    raise)."""
    with (
        redirect_stdout(io.StringIO()),
        redirect_stderr(io.StringIO()),
        warnings.catch_warnings(),
    ):
        warnings.simplefilter("ignore")
        previous = logging.root.manager.disable
        logging.disable(logging.WARNING)
        try:
            yield
        finally:
            logging.disable(previous)


def _export(
    prepared: PreparedModel, args: tuple[Any, ...], kwargs: dict[str, Any], names: list[str]
) -> tuple[bytes, str]:
    """The model as ONNX bytes and the exporter that made it: torch.onnx's dynamo exporter
    (the one torch recommends), else its TorchScript exporter."""
    import torch

    module = prepared.module
    reasons = []
    try:
        import onnxscript  # noqa: F401  # the dynamo exporter needs it
    except ImportError:
        reasons.append("dynamo exporter: onnxscript is not installed")
    else:
        try:
            with _quiet():  # its progress lines and optimizer notes are not the model's
                program = torch.onnx.export(
                    module, args, kwargs=kwargs, dynamo=True, verbose=False, input_names=names
                )
            assert program is not None
            return (
                program.model_proto.SerializeToString(),
                f"torch.onnx dynamo ({torch.__version__})",
            )
        except Exception as exc:
            reasons.append(f"dynamo exporter: {first_line(exc)}")
    try:
        with tempfile.TemporaryDirectory() as tmp, _quiet():
            path = Path(tmp) / "model.onnx"
            inputs = (*args, kwargs) if kwargs else args
            torch.onnx.export(module, inputs, str(path), dynamo=False, input_names=names)
            return path.read_bytes(), f"torch.onnx TorchScript ({torch.__version__})"
    except Exception as exc:
        reasons.append(f"TorchScript exporter: {first_line(exc)}")
    raise ModelCallError(
        f"{prepared.reference} could not be exported to ONNX: {'; '.join(reasons)}",
        advice="run it with --backend eager, or export it yourself and time the ONNX file",
    )


ONNXRUNTIME = OnnxRuntime()
