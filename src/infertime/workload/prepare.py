"""From a spec (or a module) to a model on its device, in its numeric format, with its inputs."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import replace
from typing import Any

import torch

from ..devices import Device, resolve_device
from ..errors import (
    CallFailed,
    ConfigError,
    InfertimeError,
    InputShapeError,
    ModelCallError,
    ModelNotFoundError,
    OutOfMemoryError,
    first_line,
    option,
)
from ..policies import MeasureConfig
from ..records import ContextRecord, InputsRecord, Settings
from ..specs.spec import WorkloadSpec
from .inputs import Inputs, describe_inputs, full_shapes, make_inputs, torch_dtype
from .loaded import LoadedModel
from .references import from_module, load_reference

_SHAPE_WORDS = re.compile(
    r"size|shape|dimension|expected|channels|mat1|mat2|must match|input type|too small", re.I
)


class PreparedModel:
    """A loaded model in the spec's dtype and memory format, on its device; makes its inputs.

    `spec` is resolved: the model's reference, its batch (None for throughput), the device name.
    Calls run only inside `workload.context.measurement_context(prepared)`.
    """

    def __init__(
        self, loaded: LoadedModel, device: Device, spec: WorkloadSpec, rebuildable: bool = True
    ) -> None:
        self.loaded = loaded
        self.device = device
        self.spec = spec
        # Built from the spec's reference, so a fresh process can build it again.
        self.rebuildable = rebuildable
        self.torch_device: torch.device = device.torch_device  # type: ignore[attr-defined]
        self.autocast = spec.autocast
        self.float_dtype = torch.float32 if self.autocast else torch_dtype(spec.dtype)
        module = loaded.module
        # A caller's module is moved and cast in place (like .to()); restore() puts it back.
        first = next(iter(module.parameters()), None)
        self._original = (
            (first.device, first.dtype) if first is not None and first.is_floating_point() else None
        )
        try:
            if not self.autocast and spec.dtype != "fp32":
                module = module.to(dtype=self.float_dtype)
            if spec.channels_last:
                module = module.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
            self.module = module.to(self.torch_device)
        except Exception as exc:
            if device.is_oom(exc):
                raise OutOfMemoryError(
                    f"{loaded.reference} does not fit on {device.name} even without inputs",
                    advice=f"use a smaller model or {option('dtype')} bf16",
                ) from None
            raise

    def restore(self) -> None:
        """A caller's module back on the device and in the dtype it came in (the memory
        format follows: contiguous again). A model built from a reference has no caller."""
        if self.rebuildable or self._original is None:
            return
        device, dtype = self._original
        self.module.to(device=device, dtype=dtype)
        if self.spec.channels_last:
            self.module.to(memory_format=torch.contiguous_format)  # type: ignore[call-overload]

    @contextmanager
    def in_eval_mode(self) -> Iterator[None]:
        """eval() for the measurement; a caller's module gets its training flag back after."""
        was_training = self.module.training
        self.module.eval()
        try:
            yield
        finally:
            self.module.train(was_training)

    @property
    def reference(self) -> str:
        return self.loaded.reference

    def inputs(self, batch: int) -> Inputs:
        return make_inputs(
            self.loaded.inputs,
            batch,
            self.torch_device,
            self.float_dtype,
            self.spec.channels_last,
            self.spec.seed,
        )

    def input_shapes(self, batch: int) -> tuple[tuple[int, ...], ...]:
        return full_shapes(self.loaded.inputs, batch)

    def describe_inputs(self) -> InputsRecord:
        record = describe_inputs(
            self.loaded.inputs, self.float_dtype, self.spec.seed, self.device.name
        )
        # Where the shapes came from says what runs too (an hf: encoder-decoder: its encoder).
        return replace(record, source=f"{record.source}; shapes from {self.loaded.shape_source}")

    def settings(self, context: ContextRecord, method: MeasureConfig) -> Settings:
        """What a result records of this model: its spec, the context it ran in, its inputs."""
        return Settings(
            workload=self.spec,
            context=context,
            inputs=self.describe_inputs(),
            timer=self.device.timer_name,
            method=method,
        )

    def run(self, args: tuple[torch.Tensor, ...], kwargs: dict[str, torch.Tensor]) -> Any:
        """One forward pass on given inputs (under autocast when the run uses it)."""
        if self.autocast:
            with torch.autocast(self.torch_device.type, dtype=torch_dtype(self.spec.dtype)):
                return self.module(*args, **kwargs)
        return self.module(*args, **kwargs)

    def explain_failure(self, exc: BaseException, batch: int) -> Exception:
        """Turn an exception from the model into one clear error."""
        if self.spec.backend == "compile":
            from .backends.compiled import recompile_error

            recompiled = recompile_error(exc, self.reference, batch)
            if recompiled is not None:
                return recompiled
        if self.device.is_oom(exc):
            return OutOfMemoryError(
                f"out of memory at batch {batch} on {self.device.name} ({self.reference}, "
                f"{self.spec.dtype_label})",
                advice=f"lower {option('batch_size')}, try {option('dtype')} bf16, or free the "
                "device",
            )
        line = first_line(exc, limit=None)
        shapes = " and ".join(str(s) for s in self.input_shapes(batch))
        if isinstance(exc, (RuntimeError, ValueError, TypeError, IndexError)) and (
            _SHAPE_WORDS.search(line) or self.loaded.shape_source == "--input-shape"
        ):
            return InputShapeError(
                f"{self.reference} rejected inputs of shape {shapes}: {line}",
                advice=f"the model expects {self.loaded.expected}",
            )
        return ModelCallError(
            f"{self.reference} raised {type(exc).__name__} on inputs of shape {shapes}: {line}"
        )

    @contextmanager
    def explaining_failures(self, batch: int) -> Iterator[None]:
        """Model work inside: a failure of the model becomes one clear error naming what failed."""
        try:
            yield
        except InfertimeError:
            raise
        except CallFailed as failed:  # the engine says at which batch
            raise self.explain_failure(failed.cause, failed.batch) from failed.cause
        except SystemExit as exc:  # a model that calls sys.exit must not pick our exit code
            raise ModelCallError(
                f"{self.reference} called sys.exit({exc.code!r}) while being called at batch "
                f"{batch}"
            ) from None
        except Exception as exc:
            raise self.explain_failure(exc, batch) from exc


def spec_for(model: Any, workload_options: Mapping[str, Any]) -> tuple[WorkloadSpec, Device | None]:
    """The spec a public function was asked for, validated; nothing slow happens here.

    `model` is a reference, a WorkloadSpec or an nn.Module; a Device object given as `device`
    is returned beside the spec, which records its name.
    """
    options = dict(workload_options)
    device = options.get("device")
    given: Device | None = None
    if isinstance(device, torch.device):  # torch.device("cuda", 1) means "cuda:1"
        device = options["device"] = str(device)
    if device is not None and not isinstance(device, str):
        if not isinstance(device, Device):
            raise ConfigError(f"device must be a name such as cuda:0 or a Device, got {device!r}")
        given = device
        options["device"] = device.name
    if isinstance(model, WorkloadSpec):
        base = model
    elif isinstance(model, str):  # with its backend: an onnx: file needs onnxruntime
        base = WorkloadSpec(model=model, backend=options.get("backend") or "eager")
    elif isinstance(model, torch.nn.Module):
        base = WorkloadSpec(model=f"module:{type(model).__name__}")
    else:
        raise ModelNotFoundError(
            f"expected a model reference, a WorkloadSpec or a torch.nn.Module, "
            f"got {type(model).__name__}"
        )
    return base.with_overrides(options), given


def prepare(
    spec: WorkloadSpec,
    device: Device,
    module: torch.nn.Module | None = None,
    example_inputs: Any = None,
    vary_batch: bool = False,
) -> PreparedModel:
    """Load the model (from the spec's reference, or the module given) and put it on `device`.

    `vary_batch`: the measurement chooses batch sizes itself (throughput): the spec keeps none.
    A model factory that prints must not write into stdout, which carries data (`--json -`,
    `--format csv`): what it prints while the model is built goes to stderr.
    """
    with redirect_stdout(sys.stderr):
        return _prepare(spec, device, module, example_inputs, vary_batch)


def _prepare(
    spec: WorkloadSpec,
    device: Device,
    module: torch.nn.Module | None,
    example_inputs: Any,
    vary_batch: bool,
) -> PreparedModel:
    if module is None:
        if example_inputs is not None:
            raise ConfigError("example_inputs go with a module, not with a model reference")
        loaded = load_reference(spec.model, spec.input_shape, spec.seq_len, spec.hf_config)
    else:
        loaded = from_module(module, example_inputs)
        if spec.input_shape is not None:
            loaded = loaded.with_input_shape(spec.input_shape)
    batch = spec.batch_size if spec.batch_size is not None else loaded.default_batch
    resolved = replace(
        spec, model=loaded.reference, batch_size=None if vary_batch else batch, device=device.name
    )
    return PreparedModel(loaded, device, resolved, rebuildable=module is None)


def prepare_workload(
    model: Any,
    example_inputs: Any,
    workload_options: Mapping[str, Any],
    *,
    vary_batch: bool = False,
    check_device: Callable[[Device], None] | None = None,
    rebuilt_by: str | None = None,
) -> PreparedModel:
    """The one path from a public function's arguments to a prepared model.

    Flags are checked, then the device is resolved and `check_device` may refuse it, all before
    the model is built or a caller's module is touched. `rebuilt_by` names what will rebuild
    the model in a fresh process, which needs a model reference, not a module.
    """
    if rebuilt_by is not None and isinstance(model, torch.nn.Module):
        raise ConfigError(
            f"{rebuilt_by} rebuilds the model in a new process: it needs a model reference"
        )
    spec, given = spec_for(model, workload_options)
    if vary_batch and spec.batch_size is not None:
        raise ConfigError("a throughput measurement varies the batch size; do not set one")
    device = given if given is not None else resolve_device(spec.device)
    from .backends import get_backend

    get_backend(spec.backend).check(device)  # e.g. onnxruntime: CPU only, installed
    if check_device is not None:
        check_device(device)
    module = model if isinstance(model, torch.nn.Module) else None
    return prepare(spec, device, module, example_inputs, vary_batch)


def notify_slow_precision(
    prepared: PreparedModel, notify: Callable[[str, float | None, str], None]
) -> None:
    """Before a long run: a CPU without bf16 / fp16 instructions emulates them, slowly."""
    from ..diagnose.host import emulated_precision
    from ..engine.progress import NOTICE
    from ..telemetry.environment import cpu_supports

    spec = prepared.spec
    if prepared.device.kind != "cpu" or spec.dtype == "fp32":
        return
    why = emulated_precision("cpu", spec.dtype, cpu_supports(spec.dtype))
    if why is not None:
        notify(NOTICE, None, f"{why}; this run may take minutes")
