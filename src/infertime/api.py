"""Library entry points: resolve model and device, prepare, run the engine, assemble the result."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, TypeVar

import torch

from . import environment
from ._version import __version__
from .config import DEFAULT_MODEL, MeasureConfig, RunSpec, preset
from .devices import Device, resolve_device
from .diagnose import check_result as diagnose_result
from .diagnose.launch import launch_analysis
from .engine import ProgressSink, measure_call, no_progress
from .errors import ConfigError, InfertimeError
from .gpu_watch import gpu_watch
from .models import PreparedModel, Workload, check_finite, from_module, load_reference
from .passes.cuda_graph import measure_graph_latency
from .passes.kernel_time import cupti_attached, kernel_pass_calls, profile_kernel_time
from .results import LatencyResult, Settings


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Use `threads` intra-op threads for the measurement, then restore the previous count."""
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def resolve_config(
    config: MeasureConfig | None,
    preset_name: str,
    precision: float | None,
    max_time_s: float | None,
    min_samples: int | None,
) -> MeasureConfig:
    base = config if config is not None else preset(preset_name)
    return base.with_overrides(precision=precision, max_time_s=max_time_s, min_samples=min_samples)


# CPU calls of a real model take tens of milliseconds and vary more than a GPU's: with the
# GPU-sized default budget (1.5 s) EfficientNet-B0 on 2 cores got 12 latency samples and a
# ±9 % CI. Unless the user set --max-time or a config, the CPU budget is this many times larger.
CPU_BUDGET_FACTOR = 4.0


def budget_for_device(
    cfg: MeasureConfig, device: Device, max_time_s: float | None, config: MeasureConfig | None
) -> MeasureConfig:
    if device.kind != "cpu" or max_time_s is not None or config is not None:
        return cfg
    return cfg.with_overrides(max_time_s=cfg.stop.max_time_s * CPU_BUDGET_FACTOR)


def resolve_workload(
    model: str | torch.nn.Module, example_inputs: Any, input_shape: Sequence[int] | None
) -> Workload:
    shape = tuple(int(d) for d in input_shape) if input_shape is not None else None
    if isinstance(model, str):
        if example_inputs is not None:
            raise ConfigError("example_inputs go with a module, not with a model reference")
        return load_reference(model, shape)
    workload = from_module(model, example_inputs)
    return workload.with_input_shape(shape) if shape is not None else workload


@dataclass(frozen=True)
class Target:
    """A workload prepared on a device for one run spec."""

    spec: RunSpec
    device: Device
    prepared: PreparedModel

    def capture_environment(self) -> dict[str, Any]:
        """The environment as the measurement saw it (call inside its mode and thread context)."""
        return environment.capture(
            self.device,
            grad_enabled=torch.is_grad_enabled(),
            inference_mode=torch.is_inference_mode_enabled(),
            model_training=self.prepared.module.training,
        )

    def child_spec(self) -> dict[str, Any]:
        """This run spec as JSON, for a fresh process to rebuild it with `prepare_child_target`.

        Only a model reference can be rebuilt; callers check that the model was one.
        """
        s = self.spec
        return {
            "model": s.model,
            "device": self.device.name,
            "batch_size": s.batch_size,
            "input_shape": list(s.input_shape) if s.input_shape else None,
            "dtype": s.dtype,
            "autocast": s.dtype_mode == "autocast",
            "channels_last": s.channels_last,
            "threads": s.threads,
            "seed": s.seed,
        }

    def settings(self, batch: int, config: MeasureConfig) -> Settings:
        w = self.prepared.workload
        integer = any(not s.is_float for s in w.inputs)
        source = f"random normal N(0, 1), seed {self.spec.seed}, created on {self.device.name}"
        if integer:
            source += "; integer inputs uniform in the example's range"
        return Settings(
            model=w.reference,
            batch_size=batch,
            input_shapes=self.prepared.input_shapes(batch),
            dtype=self.spec.dtype,
            dtype_label=self.spec.dtype_label,
            channels_last=self.spec.channels_last,
            device=self.device.name,
            threads=torch.get_num_threads(),
            seed=self.spec.seed,
            input_source=source,
            timer=self.device.timer_name,
            measure=config.to_dict(),
        )


def prepare_target(
    model: str | torch.nn.Module,
    example_inputs: Any,
    *,
    device: str | Device,
    batch_size: int | None,
    input_shape: Sequence[int] | None,
    dtype: str,
    autocast: bool,
    channels_last: bool,
    threads: int | None,
    seed: int,
) -> Target:
    """Validate settings, resolve the device and the model, and put the model on the device."""
    # Flags are checked before anything slow (zoo import, model build) happens.
    spec = RunSpec(
        model=model if isinstance(model, str) else type(model).__name__,
        batch_size=batch_size if batch_size is not None else 1,
        input_shape=tuple(input_shape) if input_shape is not None else None,
        dtype=dtype,
        dtype_mode="autocast" if autocast else "cast",
        channels_last=channels_last,
        device=device if isinstance(device, str) else device.name,
        threads=threads,
        seed=seed,
    )
    dev = resolve_device(device)
    workload = resolve_workload(model, example_inputs, input_shape)
    spec = replace(
        spec,
        model=workload.reference,
        batch_size=batch_size if batch_size is not None else workload.default_batch,
        device=dev.name,
    )
    return Target(spec, dev, PreparedModel(workload, dev, spec))


def prepare_child_target(spec: dict[str, Any]) -> Target:
    """In a fresh process: the target a parent described with `Target.child_spec`."""
    return prepare_target(spec["model"], None, **{k: v for k, v in spec.items() if k != "model"})


def measure_latency(
    model: str | torch.nn.Module = DEFAULT_MODEL,
    example_inputs: Any = None,
    *,
    device: str | Device = "auto",
    batch_size: int | None = None,
    input_shape: Sequence[int] | None = None,
    dtype: str = "fp32",
    autocast: bool = False,
    channels_last: bool = False,
    threads: int | None = None,
    seed: int = 0,
    preset: str = "default",
    precision: float | None = None,
    max_time_s: float | None = None,
    min_samples: int | None = None,
    cuda_graph: bool = False,
    diagnose: bool = True,
    config: MeasureConfig | None = None,
    progress: ProgressSink = no_progress,
) -> LatencyResult:
    """Latency (synchronous request) and device time per call (pipelined) of one configuration.

    `model` is a reference ("timm:resnet50", "torchvision:resnet50", "pkg.mod:factory") or an
    nn.Module with `example_inputs` (a tensor, a sequence of tensors or a dict of tensors, batch
    dimension first). Inputs are fresh seeded N(0, 1) tensors of the example's shape on the device.
    On a GPU, `diagnose` adds a CUPTI kernel-time pass and NVML monitoring; `cuda_graph` adds
    CUDA-graph replay latency as its own figure.
    """
    t_start = time.perf_counter()
    cupti_was_attached = cupti_attached()
    cfg = resolve_config(config, preset, precision, max_time_s, min_samples)
    # Prepared outside inference mode, so a caller's module keeps ordinary parameters.
    target = prepare_target(
        model,
        example_inputs,
        device=device,
        batch_size=batch_size,
        input_shape=input_shape,
        dtype=dtype,
        autocast=autocast,
        channels_last=channels_last,
        threads=threads,
        seed=seed,
    )
    dev = target.device
    cfg = budget_for_device(cfg, dev, max_time_s, config)
    on_gpu = dev.kind == "cuda"
    if cuda_graph and not on_gpu:
        raise ConfigError(f"--cuda-graph needs a CUDA device, not {dev.name}")
    batch = target.spec.batch_size
    with target.prepared.in_eval_mode(), torch_threads(threads), torch.inference_mode():
        call = guarded(target, batch, lambda: target.prepared.call_for(batch))
        what = f"{target.prepared.workload.reference} at batch {batch} ({target.spec.dtype_label})"
        watch = gpu_watch(dev) if diagnose and on_gpu else None
        wall: dict[str, float] = {"prepare_s": elapsed_s(t_start)}
        t0 = time.perf_counter()
        with watch if watch is not None else nullcontext():
            run = guarded(
                target,
                batch,
                lambda: measure_call(
                    call,
                    dev,
                    cfg,
                    on_first_output=lambda out: check_finite(out, what),
                    progress=progress,
                ),
            )
        figures = dict(run.figures)
        analysis: dict[str, Any] = {"cupti_attached_before": cupti_was_attached}
        wall["engine_s"] = elapsed_s(t0)
        if watch is not None:
            analysis["gpu_state"] = watch.to_dict()
        if cuda_graph:
            t1 = time.perf_counter()
            figures["graph_latency"] = guarded(
                target,
                batch,
                lambda: measure_graph_latency(call, dev, cfg, run.timer_overhead_s, progress),
            )
            wall["graph_pass_s"] = elapsed_s(t1)
        if diagnose and on_gpu:  # last: CUPTI slows every later launch in this process
            t1 = time.perf_counter()
            latency_s = figures["latency"].summary.median
            kernel = guarded(
                target,
                batch,
                lambda: profile_kernel_time(call, dev, kernel_pass_calls(latency_s)),
            )
            analysis["launch"] = {
                **launch_analysis(kernel.kernel_time_s, kernel.kernels_per_call, latency_s),
                "device_time_s": figures["device_time"].summary.median,
                "profiled_calls": kernel.calls,
            }
            wall["kernel_pass_s"] = elapsed_s(t1)
        wall["total_s"] = elapsed_s(t_start)
        analysis["wall_s"] = wall
        env = target.capture_environment()
        settings = target.settings(batch, cfg)
    result = LatencyResult(
        settings=settings,
        warmup=run.warmup,
        figures=figures,
        timer_overhead_s=run.timer_overhead_s,
        memory=run.memory.to_dict(),
        environment=env,
        analysis=analysis,
        created_utc=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        infertime_version=__version__,
    )
    return result.with_diagnostics(tuple(diagnose_result(result)))


T = TypeVar("T")


def elapsed_s(since: float) -> float:
    return time.perf_counter() - since


def guarded(target: Target, batch: int, fn: Callable[[], T]) -> T:
    """Run model work; a failure of the model becomes one clear error naming what failed."""
    try:
        return fn()
    except InfertimeError:
        raise
    except Exception as exc:
        raise target.prepared.explain_failure(exc, batch) from exc
