"""The machine, not the model: environment, NVML readings and the GPU monitor, kernel time."""
