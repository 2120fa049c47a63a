"""A stand-in for nvidia-ml-py with fixed readings, for tests of the NVML code paths.

The energy tests configure STATE: the total-energy counter (a callable giving millijoules, so a
simulated clock can drive it), whether it is supported, errors from a given read on, the MIG
mode, and the compute and graphics process lists. Importing the module afresh resets it.
"""

from collections.abc import Callable
from typing import Any, ClassVar

NVML_CLOCK_SM = 1
NVML_CLOCK_MEM = 2
NVML_TEMPERATURE_GPU = 0
NVML_FEATURE_ENABLED = 1
NVML_DEVICE_MIG_ENABLE = 1
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_GPU_IS_LOST = 15


class NVMLError(Exception):
    """Carries the error code in `value`, as nvidia-ml-py's NVMLError does."""

    _messages: ClassVar[dict[int, str]] = {
        NVML_ERROR_NOT_SUPPORTED: "Not Supported",
        NVML_ERROR_GPU_IS_LOST: "GPU is lost",
    }

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.value = value

    def __str__(self) -> str:
        return self._messages.get(self.value, f"NVML error {self.value}")


class NVMLError_NotSupported(NVMLError):  # nvidia-ml-py's name
    def __init__(self) -> None:
        super().__init__(NVML_ERROR_NOT_SUPPORTED)


class NVMLError_GpuIsLost(NVMLError):
    def __init__(self) -> None:
        super().__init__(NVML_ERROR_GPU_IS_LOST)


STATE: dict[str, Any] = {
    "energy_mj": lambda: 123_456_789,  # Callable[[], int], read at each call
    "energy_supported": True,
    "energy_fail_from_read": None,  # int: reads from this one (1-based) raise GPU is lost
    "energy_reads": 0,
    "mig_mode": (0, 0),
    "mig_device": False,  # handles are MIG device handles (a MIG UUID was opened)
    "compute_pids": [424242],
    "graphics_pids": [],
    "uuids_opened": [],
}


def set_energy(source: Callable[[], int]) -> None:
    STATE["energy_mj"] = source


class _Util:
    gpu = 97


class _Mem:
    used = 1 << 30


class _Proc:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.usedGpuMemory = 1 << 28


def nvmlInit() -> None: ...
def nvmlDeviceGetHandleByUUID(uuid: str) -> str:
    STATE["uuids_opened"].append(uuid)
    return "h"


def nvmlDeviceGetHandleByIndex(index: int) -> str:
    return "h"


def nvmlDeviceGetClockInfo(h: str, which: int) -> int:
    return 1755 if which == NVML_CLOCK_SM else 2619


def nvmlDeviceGetMaxClockInfo(h: str, which: int) -> int:
    return 1980 if which == NVML_CLOCK_SM else 2619


def nvmlDeviceGetTemperature(h: str, sensor: int) -> int:
    return 61


def nvmlDeviceGetPowerUsage(h: str) -> int:
    return 412000


def nvmlDeviceGetTotalEnergyConsumption(h: str) -> int:
    if not STATE["energy_supported"]:
        raise NVMLError_NotSupported()
    STATE["energy_reads"] += 1
    fail_from = STATE["energy_fail_from_read"]
    if fail_from is not None and STATE["energy_reads"] >= fail_from:
        raise NVMLError_GpuIsLost()
    return int(STATE["energy_mj"]())


def nvmlDeviceGetEnforcedPowerLimit(h: str) -> int:
    return 700000


def nvmlDeviceGetUtilizationRates(h: str) -> _Util:
    return _Util()


def nvmlDeviceGetCurrentClocksEventReasons(h: str) -> int:
    return 0x4


def nvmlDeviceGetPersistenceMode(h: str) -> int:
    return 1


def nvmlDeviceGetMigMode(h: str) -> tuple[int, int]:
    if STATE["mig_device"] and h == "h":
        raise NVMLError_NotSupported()  # a MIG device handle has no MIG mode of its own
    return tuple(STATE["mig_mode"])  # type: ignore[return-value]


def nvmlDeviceIsMigDeviceHandle(h: str) -> int:
    return int(STATE["mig_device"] and h == "h")


def nvmlDeviceGetDeviceHandleFromMigDeviceHandle(h: str) -> str:
    return "parent"


def nvmlDeviceGetComputeRunningProcesses(h: str) -> list[_Proc]:
    return [_Proc(pid) for pid in STATE["compute_pids"]]


def nvmlDeviceGetGraphicsRunningProcesses(h: str) -> list[_Proc]:
    return [_Proc(pid) for pid in STATE["graphics_pids"]]


def nvmlDeviceGetMemoryInfo(h: str) -> _Mem:
    return _Mem()


def nvmlDeviceGetPerformanceState(h: str) -> int:
    return 0


def nvmlSystemGetDriverVersion() -> str:
    return "580.159.04"


def nvmlDeviceGetName(h: str) -> str:
    return "Fake H100"


def nvmlDeviceGetUUID(h: str) -> str:
    return "GPU-fake"
