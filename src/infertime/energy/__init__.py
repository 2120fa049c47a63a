"""Energy per call, item and token from a hardware energy counter (NVML on GPUs, RAPL on CPUs),
with the counter's update period, an idle baseline, windows long enough to mean something, and
findings that withhold or flag a figure instead of printing it as good (issue 25)."""
