"""NVML's total-energy counter (nvmlDeviceGetTotalEnergyConsumption) of the model's own GPU.

The counter: millijoules since the driver was last loaded, Volta and newer (NVML API reference;
cuda.bindings.nvml.device_get_total_energy_consumption); it covers the whole board, so other
processes and MIG instances are in it. The GPU is opened by the UUID torch reports, never by
index: CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER make torch's and NVML's indices differ
(optimum-benchmark#136; vLLM's benchmarks/lib/energy.py maps visible to physical ids).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Any

from ..errors import MissingDependencyError
from . import findings as found
from .counter import CounterReadError, CounterUnavailable
from .records import Finding


def load_nvml() -> ModuleType | CounterUnavailable:
    try:
        nvml = importlib.import_module("pynvml")
    except ImportError:
        missing = MissingDependencyError("nvidia-ml-py", "gpu", "measuring GPU energy")
        return CounterUnavailable("nvml", f"energy not measured: {missing.one_line()}")
    try:
        nvml.nvmlInit()
    except Exception as exc:  # no driver library, no permission
        return CounterUnavailable("nvml", f"energy not measured: NVML could not start: {exc}")
    return nvml


def physical_target(
    uuid: str | None, index: int, env: Mapping[str, str]
) -> tuple[str, str | int] | str:
    """How to open the GPU a CUDA device index names: ("uuid", id) or ("index", NVML index),
    or the reason it cannot be told. torch's UUID is exact; without it, CUDA_VISIBLE_DEVICES
    maps the visible index to a physical one, which is NVML's index only in PCI bus order."""
    if uuid:
        return ("uuid", uuid)
    visible = env.get("CUDA_VISIBLE_DEVICES")
    entries = [e.strip() for e in visible.split(",")] if visible is not None else None
    entry: str = str(index) if entries is None else (entries[index] if index < len(entries) else "")
    if entry.startswith(("GPU-", "MIG-")):
        return ("uuid", entry)
    if not entry.isdigit():
        return f"CUDA_VISIBLE_DEVICES={visible!r} does not name visible GPU {index}"
    if env.get("CUDA_DEVICE_ORDER") != "PCI_BUS_ID":
        return (
            "torch gave no GPU UUID and CUDA_DEVICE_ORDER is not PCI_BUS_ID, so the CUDA index "
            "cannot be matched to NVML's"
        )
    return ("index", int(entry))


def _is_not_supported(nvml: ModuleType, exc: BaseException) -> bool:
    code = getattr(nvml, "NVML_ERROR_NOT_SUPPORTED", 3)
    return getattr(exc, "value", None) == code


class NvmlEnergyCounter:
    """One GPU's total-energy counter (EnergyCounter); `mig_instance`: the model runs on a MIG
    instance of this GPU, so the counter covers more than it; `ignore_pids`: processes of this
    measurement besides this one (a parent that holds a CUDA context on the same GPU)."""

    source = "nvml"
    scope = "whole GPU board: every process and MIG instance on it"
    wraps_j: tuple[float | None, ...] = (None,)  # 64-bit millijoules: a reset, never a wrap

    def __init__(
        self,
        nvml: ModuleType,
        handle: Any,
        uuid: str,
        mig_instance: bool,
        ignore_pids: Iterable[int] = (),
    ) -> None:
        self._nvml = nvml
        self._handle = handle
        self.uuid = uuid
        self.mig_instance = mig_instance
        self.ignore_pids = {os.getpid(), *ignore_pids}

    @property
    def description(self) -> str:
        return f"NVML total energy (nvmlDeviceGetTotalEnergyConsumption, mJ) of GPU {self.uuid}"

    def read_j(self) -> tuple[float, ...]:
        try:
            mj = self._nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle)
        except Exception as exc:  # NVMLError_GpuIsLost and friends, mid-run
            raise CounterReadError(f"NVML: {exc}") from exc
        return (mj / 1000.0,)

    def _mig_enabled(self) -> bool:
        if self.mig_instance:
            return True
        try:
            mode = self._nvml.nvmlDeviceGetMigMode(self._handle)
        except Exception:  # NotSupported on GPUs without MIG
            return False
        enabled = getattr(self._nvml, "NVML_DEVICE_MIG_ENABLE", 1)
        return bool(isinstance(mode, (list, tuple)) and mode and mode[0] == enabled)

    def other_processes(self) -> list[dict[str, Any]]:
        """Compute and graphics processes on this GPU other than this one."""
        seen: dict[int, dict[str, Any]] = {}
        for kind, fn in (
            ("compute", "nvmlDeviceGetComputeRunningProcesses"),
            ("graphics", "nvmlDeviceGetGraphicsRunningProcesses"),
        ):
            try:
                procs = getattr(self._nvml, fn)(self._handle)
            except Exception:
                continue
            for p in procs or []:
                if p.pid not in self.ignore_pids and p.pid not in seen:
                    seen[p.pid] = {
                        "pid": p.pid,
                        "kind": kind,
                        "used_memory_bytes": getattr(p, "usedGpuMemory", None),
                    }
        return list(seen.values())

    def scope_findings(self) -> tuple[Finding, ...]:
        out: list[Finding] = []
        if self._mig_enabled():
            out.append(found.mig())
        others = self.other_processes()
        if others:
            out.append(found.other_processes(others))
        return tuple(out)


def open_nvml_counter(
    info: Mapping[str, Any],
    env: Mapping[str, str] | None = None,
    ignore_pids: Iterable[int] = (),
) -> NvmlEnergyCounter | CounterUnavailable:
    """The counter of the GPU `info` (CudaDevice.describe()) describes, or why there is none."""
    nvml = load_nvml()
    if isinstance(nvml, CounterUnavailable):
        return nvml
    target = physical_target(info.get("uuid"), int(info.get("index", 0)), env or os.environ)
    if isinstance(target, str):
        return CounterUnavailable("nvml", f"energy not measured: {target}")
    kind, key = target
    try:
        if kind == "uuid":
            handle = nvml.nvmlDeviceGetHandleByUUID(key)
        else:
            handle = nvml.nvmlDeviceGetHandleByIndex(key)
    except Exception as exc:
        return CounterUnavailable("nvml", f"energy not measured: NVML does not know {key}: {exc}")
    mig_instance = False
    try:
        mig_instance = bool(nvml.nvmlDeviceIsMigDeviceHandle(handle))
    except Exception:  # older drivers and bindings: not a MIG handle
        mig_instance = False
    if mig_instance:
        try:  # the instance has no counter of its own; its GPU's covers every instance
            handle = nvml.nvmlDeviceGetDeviceHandleFromMigDeviceHandle(handle)
        except Exception as exc:
            return CounterUnavailable(
                "nvml", f"energy not measured: MIG instance {key}, its GPU not found: {exc}"
            )
    uuid = str(key)
    try:
        raw = nvml.nvmlDeviceGetUUID(handle)
        uuid = raw.decode() if isinstance(raw, bytes) else str(raw)
    except Exception:
        pass
    counter = NvmlEnergyCounter(nvml, handle, uuid, mig_instance, ignore_pids)
    try:
        counter.read_j()
    except CounterReadError as exc:
        cause = exc.__cause__
        if cause is not None and _is_not_supported(nvml, cause):
            return CounterUnavailable(
                "nvml",
                f"energy not measured: GPU {uuid} has no total-energy counter (NVML: Not "
                "Supported; the counter needs a Volta or newer GPU)",
            )
        return CounterUnavailable("nvml", f"energy not measured: {exc}")
    return counter
