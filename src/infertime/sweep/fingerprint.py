"""What a point's figures depend on besides its configuration, read cheaply (no torch import).

Versions come from package metadata and torch's own version.py (read as text), the driver and
GPUs from NVML (nvidia-smi when nvidia-ml-py is missing), the CPU from /proc/cpuinfo: a probe
takes milliseconds, so every worker and every Ray node can run it. A point's fingerprint is the
software, the CPU model and, for a point on a GPU, that GPU (model, UUID) and the driver.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import shutil
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._version import __version__
from ..devices.cpu import cpu_model_name

# Libraries whose version changes what a point builds or how it runs.
LIBRARIES = ("timm", "torchvision", "transformers", "onnxruntime", "onnx")


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), allow_nan=False)


def digest(data: Any) -> str:
    return hashlib.sha256(canonical_json(data).encode()).hexdigest()


@dataclass(frozen=True)
class Fingerprint:
    """The environment of one place a point can run; `hash` names it in file names."""

    data: dict[str, Any]
    hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.hash:
            object.__setattr__(self, "hash", digest(self.data))

    @property
    def short(self) -> str:
        return self.hash[:8]

    @property
    def device_model(self) -> str:
        gpu = self.data.get("gpu")
        return str(gpu["name"]) if gpu else str(self.data.get("cpu_model"))


@dataclass(frozen=True)
class Gpu:
    index: int  # NVML index (PCI bus order)
    name: str
    uuid: str


@dataclass(frozen=True)
class HostProbe:
    """One machine as the probe saw it: software, CPU, driver and the GPUs this process may use."""

    node: str
    software: dict[str, Any]
    cpu_model: str
    driver: str | None
    gpus: tuple[Gpu, ...]
    gpu_source: str  # "nvml", "nvidia-smi" or "none"

    def for_cpu(self) -> Fingerprint:
        # the same keys as a GPU place (one schema); a driver change does not touch CPU points
        return Fingerprint(
            {**self.software, "cpu_model": self.cpu_model, "driver": None, "gpu": None}
        )

    def for_gpu(self, gpu: Gpu) -> Fingerprint:
        return Fingerprint(
            {
                **self.software,
                "cpu_model": self.cpu_model,
                "driver": self.driver,
                "gpu": {"name": gpu.name, "uuid": gpu.uuid},
            }
        )

    def fingerprints(self) -> list[Fingerprint]:
        """Every place on this machine a point may run: the CPU and each GPU."""
        return [self.for_cpu(), *(self.for_gpu(g) for g in self.gpus)]


def software() -> dict[str, Any]:
    torch_version, cuda = torch_versions()
    libraries: dict[str, str | None] = {}
    for name in LIBRARIES:
        try:
            libraries[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            libraries[name] = None
    return {
        "infertime": __version__,
        "python": platform.python_version(),
        "torch": torch_version,
        "cuda_runtime": cuda,
        "libraries": libraries,
    }


_ASSIGN = re.compile(r"^(__version__|cuda)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)


def torch_versions() -> tuple[str | None, str | None]:
    """torch's version and the CUDA it was built for, from torch/version.py, not importing it."""
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        return None, None
    try:
        text = (Path(next(iter(spec.submodule_search_locations))) / "version.py").read_text()
    except OSError:
        return None, None
    found = {m.group(1): m.group(2).strip("'\"") for m in _ASSIGN.finditer(text)}
    cuda = found.get("cuda")
    return found.get("__version__"), None if cuda in (None, "None") else cuda


def probe() -> HostProbe:
    """This machine, now; GPUs limited to those CUDA_VISIBLE_DEVICES lets this process use."""
    driver, gpus, source = _gpus_nvml()
    if source == "none":
        driver, gpus, source = _gpus_smi()
    return HostProbe(
        node=socket.gethostname(),
        software=software(),
        cpu_model=cpu_model_name(),
        driver=driver,
        gpus=visible(gpus, os.environ.get("CUDA_VISIBLE_DEVICES")),
        gpu_source=source,
    )


def visible(gpus: tuple[Gpu, ...], setting: str | None) -> tuple[Gpu, ...]:
    """The GPUs CUDA_VISIBLE_DEVICES names (indices or UUID prefixes), in its order; all of
    them when it is unset. CUDA stops at the first entry it cannot resolve, and so does this."""
    if setting is None:
        return gpus
    out: list[Gpu] = []
    for entry in setting.split(","):
        entry = entry.strip()
        match = [g for g in gpus if entry.isdigit() and g.index == int(entry)]
        if not entry.isdigit() and entry:
            match = [g for g in gpus if g.uuid.startswith(entry) or g.uuid == "GPU-" + entry]
        if len(match) != 1 or match[0] in out:
            break
        out.append(match[0])
    return tuple(out)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _gpus_nvml() -> tuple[str | None, tuple[Gpu, ...], str]:
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # no package, no driver library, no permission: try nvidia-smi
        return None, (), "none"
    try:
        driver = _text(pynvml.nvmlSystemGetDriverVersion())
        gpus = []
        for i in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(i)
            name = _text(pynvml.nvmlDeviceGetName(handle))
            gpus.append(Gpu(i, name, _text(pynvml.nvmlDeviceGetUUID(handle))))
        return driver, tuple(gpus), "nvml"
    except Exception:
        return None, (), "none"
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()


def _gpus_smi() -> tuple[str | None, tuple[Gpu, ...], str]:
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return None, (), "none"
    query = "--query-gpu=index,name,uuid,driver_version"
    try:
        out = subprocess.run(
            [smi, query, "--format=csv,noheader"], capture_output=True, text=True, timeout=20
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None, (), "none"
    gpus, driver = [], None
    for line in out.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 4 and parts[0].isdigit():
            gpus.append(Gpu(int(parts[0]), parts[1], parts[2]))
            driver = parts[3]
    return driver, tuple(gpus), "nvidia-smi" if gpus else "none"
