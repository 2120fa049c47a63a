"""GPU state through NVML (nvidia-ml-py): clocks, clock-event reasons, temperature, power, users.

NVML is optional: every function returns None or an {"error": ...} entry instead of raising when
the library or the driver is missing. Devices are matched by UUID, never by index, because
CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER can make torch's and NVML's indices disagree.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

# Run as a script by the NVML sampler (gpu_monitor.py), outside the package: this module imports
# nothing of infertime. Readings are plain dicts with the fields of sections.GpuReading.

# Clock-event ("throttle") reason bits, from nvml.h (nvmlClocksEventReason*).
CLOCK_EVENT_REASONS: dict[int, str] = {
    0x1: "GPU idle",
    0x2: "application clocks setting",
    0x4: "software power cap",
    0x8: "hardware slowdown",
    0x10: "sync boost",
    0x20: "software thermal slowdown",
    0x40: "hardware thermal slowdown",
    0x80: "hardware power brake",
    0x100: "display clock setting",
}
# Reasons that mean the clock is held below what the workload asks for.
THROTTLE_MASK = 0x4 | 0x8 | 0x20 | 0x40 | 0x80


def decode_reasons(bits: int) -> list[str]:
    return [name for bit, name in CLOCK_EVENT_REASONS.items() if bits & bit]


def is_throttled(bits: int) -> bool:
    return bool(bits & THROTTLE_MASK)


def _nvml() -> ModuleType | None:
    try:
        module = importlib.import_module("pynvml")
        module.nvmlInit()
        return module
    except Exception:  # missing package, missing driver library, or no permission
        return None


def nvml_missing_reason() -> str:
    try:
        importlib.import_module("pynvml")
    except ImportError:
        return "nvidia-ml-py not installed (pip install 'infertime[gpu]')"
    return "NVML could not be initialised (no NVIDIA driver visible)"


def _handle(nvml: ModuleType, uuid: str | None, index: int) -> Any:
    if uuid:
        return nvml.nvmlDeviceGetHandleByUUID(uuid)
    return nvml.nvmlDeviceGetHandleByIndex(index)


def _try(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except Exception:  # NVML raises NVMLError_NotSupported and friends per field
        return None


def _text(value: Any) -> Any:
    return value.decode() if isinstance(value, bytes) else value


def read_dynamic(nvml: ModuleType, handle: Any, t_ns: int) -> dict[str, Any]:
    """One reading of the GPU's dynamic state: the fields of sections.GpuReading."""
    power_mw = _try(nvml.nvmlDeviceGetPowerUsage, handle)
    util = _try(nvml.nvmlDeviceGetUtilizationRates, handle)
    reasons_fn = getattr(nvml, "nvmlDeviceGetCurrentClocksEventReasons", None)
    if reasons_fn is None:  # nvidia-ml-py before 12.535 names them "throttle reasons"
        reasons_fn = nvml.nvmlDeviceGetCurrentClocksThrottleReasons
    return {
        "t_ns": t_ns,
        "sm_clock_mhz": _try(nvml.nvmlDeviceGetClockInfo, handle, nvml.NVML_CLOCK_SM),
        "mem_clock_mhz": _try(nvml.nvmlDeviceGetClockInfo, handle, nvml.NVML_CLOCK_MEM),
        "temperature_c": _try(nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU),
        "power_w": power_mw / 1000 if power_mw is not None else None,
        "utilization_pct": util.gpu if util is not None else None,
        "reasons": int(_try(reasons_fn, handle) or 0),
    }


def snapshot(uuid: str | None, index: int = 0) -> dict[str, Any]:
    """Static and current state of one GPU, or {"error": why} when NVML is unavailable."""
    import os
    import time

    nvml = _nvml()
    if nvml is None:
        return {"error": nvml_missing_reason()}
    try:
        h = _handle(nvml, uuid, index)
    except Exception as exc:
        return {"error": f"NVML does not know GPU {uuid or index}: {exc}"}
    reading = read_dynamic(nvml, h, time.perf_counter_ns())
    limit_mw = _try(nvml.nvmlDeviceGetEnforcedPowerLimit, h)
    mig = _try(nvml.nvmlDeviceGetMigMode, h)
    procs = _try(nvml.nvmlDeviceGetComputeRunningProcesses, h) or []
    own = os.getpid()
    memory = _try(nvml.nvmlDeviceGetMemoryInfo, h)
    return {
        "driver_version": _text(_try(nvml.nvmlSystemGetDriverVersion)),
        "name": _text(_try(nvml.nvmlDeviceGetName, h)),
        "uuid": _text(_try(nvml.nvmlDeviceGetUUID, h)),
        "persistence_mode": _enabled(nvml, _try(nvml.nvmlDeviceGetPersistenceMode, h)),
        "mig_mode": _enabled(nvml, mig[0]) if isinstance(mig, (list, tuple)) else None,
        "performance_state": _try(nvml.nvmlDeviceGetPerformanceState, h),
        "sm_clock_mhz": reading["sm_clock_mhz"],
        "sm_clock_max_mhz": _try(nvml.nvmlDeviceGetMaxClockInfo, h, nvml.NVML_CLOCK_SM),
        "mem_clock_mhz": reading["mem_clock_mhz"],
        "mem_clock_max_mhz": _try(nvml.nvmlDeviceGetMaxClockInfo, h, nvml.NVML_CLOCK_MEM),
        "temperature_c": reading["temperature_c"],
        "power_w": reading["power_w"],
        "power_limit_w": limit_mw / 1000 if limit_mw is not None else None,
        "utilization_pct": reading["utilization_pct"],
        "clock_event_reasons": decode_reasons(reading["reasons"]),
        "clock_event_bits": reading["reasons"],
        "memory_used_bytes": getattr(memory, "used", None),
        "other_processes": [
            {"pid": p.pid, "used_memory_bytes": getattr(p, "usedGpuMemory", None)}
            for p in procs
            if p.pid != own
        ],
    }


def _enabled(nvml: ModuleType, value: Any) -> bool | None:
    if value is None:
        return None
    return bool(value == nvml.NVML_FEATURE_ENABLED)


def _sample_forever(argv: list[str]) -> int:
    """The monitor child: append one reading per interval to --out until terminated."""
    import argparse
    import json
    import time

    parser = argparse.ArgumentParser(prog="nvml.py")
    parser.add_argument("--out", required=True)
    parser.add_argument("--uuid")
    parser.add_argument("--index", type=int, default=0)
    parser.add_argument("--interval", type=float, default=0.1)
    ns = parser.parse_args(argv)
    nvml = _nvml()
    if nvml is None:
        return 1
    handle = _handle(nvml, ns.uuid, ns.index)
    with open(ns.out, "a", encoding="utf-8") as f:
        while True:
            reading = read_dynamic(nvml, handle, time.perf_counter_ns())
            f.write(json.dumps(reading) + "\n")
            f.flush()
            time.sleep(ns.interval)


if __name__ == "__main__":
    import sys

    sys.exit(_sample_forever(sys.argv[1:]))
