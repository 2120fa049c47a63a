"""What a result depends on: versions, device identity and state, numeric flags, threads, host."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path
from typing import Any

from .. import host as host_module
from .._version import __version__
from ..devices.base import Device
from ..devices.cpu import cpu_model_name

# Environment variables that change what is measured or how.
RELEVANT_ENV_VARS = (
    "CUDA_LAUNCH_BLOCKING",
    "CUDA_VISIBLE_DEVICES",
    "CUDA_DEVICE_ORDER",
    "CUDA_MODULE_LOADING",
    "PYTORCH_CUDA_ALLOC_CONF",
    "PYTORCH_NO_CUDA_MEMORY_CACHING",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "KMP_AFFINITY",
    "TORCH_CUDNN_V8_API_DISABLED",
    "CUDA_INJECTION64_PATH",
    "NSYS_PROFILING_SESSION_ID",
    "NVTX_INJECTION64_PATH",
)


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def host_state() -> dict[str, Any]:
    try:
        load: list[float] | None = list(os.getloadavg())
    except OSError:
        load = None
    return {
        "cpu_model": cpu_model_name(),
        "logical_cores": os.cpu_count(),
        "affinity_cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else None,
        "frequency_governor": _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"),
        "load_average": load,
        # before infertime's own work: what the checks judge the host by (host.py)
        # (read through the module: a point forked from the sweep's fork server reads it anew)
        "load_at_start": host_module.LOAD_AT_START,
        "free_cores_at_start": host_module.free_cores(),
        "platform": platform.platform(),
    }


def torch_state() -> dict[str, Any]:
    import torch

    cudnn = torch.backends.cudnn
    cudnn_version = cudnn.version() if cudnn.is_available() else None  # type: ignore[no-untyped-call]
    return {
        "torch": torch.__version__,
        "cuda_runtime": torch.version.cuda,
        "cudnn": cudnn_version,
        "tf32_matmul": bool(torch.backends.cuda.matmul.allow_tf32),
        "tf32_cudnn": bool(torch.backends.cudnn.allow_tf32),
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "cudnn_benchmark": bool(torch.backends.cudnn.benchmark),
        "cudnn_deterministic": bool(torch.backends.cudnn.deterministic),
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "cpu_bf16_supported": cpu_supports("bf16"),
        "cpu_fp16_supported": cpu_supports("fp16"),
    }


def model_libraries() -> dict[str, str]:
    """Versions of the model libraries this process imported (they build the model, and their
    defaults, such as a transformers config's sizes, change between versions)."""
    out = {}
    for name in ("timm", "torchvision", "transformers"):
        module = sys.modules.get(name)
        if module is not None:
            out[name] = str(getattr(module, "__version__", "?"))
    return out


def cpu_supports(dtype: str) -> bool | None:
    """Whether this CPU runs bf16 / fp16 in hardware (oneDNN's own test: AVX512-BF16, AMX,
    AVX512-FP16); without it torch emulates them, many times slower than fp32."""
    import torch

    test = {"bf16": "_is_mkldnn_bf16_supported", "fp16": "_is_mkldnn_fp16_supported"}[dtype]
    try:
        return bool(getattr(torch.ops.mkldnn, test)())
    except (AttributeError, RuntimeError):
        return None


def capture(device: Device) -> dict[str, Any]:
    """Everything infertime knows about the machine that can change the numbers.

    The state the measurement context sets (threads, modes) is recorded by the context itself;
    called inside it, `framework.threads` shows the same count.
    """
    env: dict[str, Any] = {
        "infertime": __version__,
        "python": sys.version.split()[0],
        "framework": torch_state(),
        "model_libraries": model_libraries(),
        "env_vars": {k: os.environ[k] for k in RELEVANT_ENV_VARS if k in os.environ},
        "host": host_state(),
        "device": device.describe(),
    }
    if device.kind == "cuda":
        from . import nvml

        info = env["device"]
        env["gpu"] = nvml.snapshot(info.get("uuid"), int(info.get("index", 0)))
    return env
