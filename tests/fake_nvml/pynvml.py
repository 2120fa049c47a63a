"""A stand-in for nvidia-ml-py with fixed readings, for tests of the NVML code paths."""

NVML_CLOCK_SM = 1
NVML_CLOCK_MEM = 2
NVML_TEMPERATURE_GPU = 0
NVML_FEATURE_ENABLED = 1


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


def nvmlDeviceGetEnforcedPowerLimit(h: str) -> int:
    return 700000


def nvmlDeviceGetUtilizationRates(h: str) -> _Util:
    return _Util()


def nvmlDeviceGetCurrentClocksEventReasons(h: str) -> int:
    return 0x4


def nvmlDeviceGetPersistenceMode(h: str) -> int:
    return 1


def nvmlDeviceGetMigMode(h: str) -> tuple[int, int]:
    return (0, 0)


def nvmlDeviceGetComputeRunningProcesses(h: str) -> list[_Proc]:
    return [_Proc(424242)]


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
