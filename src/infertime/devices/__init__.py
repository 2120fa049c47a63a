"""Devices the engine can time on: CUDA, CPU, and a public fake for tests."""

from __future__ import annotations

import re

from ..errors import ConfigError, DeviceUnavailableError, option
from .base import Device, MemoryReading, Timer
from .cpu import CpuDevice
from .fake import CallCost, FakeDevice, FakeOutOfMemory

__all__ = [
    "CallCost",
    "CpuDevice",
    "Device",
    "FakeDevice",
    "FakeOutOfMemory",
    "MemoryReading",
    "Timer",
    "resolve_device",
]

_CUDA_SPEC = re.compile(r"^cuda(?::(\d+))?$")


def resolve_device(spec: str | Device = "auto") -> Device:
    """'auto' (CUDA if available), 'cpu', 'cuda' or 'cuda:N' -> a Device; Devices pass through."""
    if not isinstance(spec, str):
        return spec
    text = spec.strip().lower()
    if text == "cpu":
        return CpuDevice()
    if text == "auto":
        import torch

        if torch.cuda.is_available():
            from .cuda import CudaDevice

            return CudaDevice(torch.cuda.current_device())
        return CpuDevice()
    match = _CUDA_SPEC.match(text)
    if not match:
        raise ConfigError(
            f"unknown device {spec!r}", advice="use auto, cpu, cuda or cuda:N (N = GPU index)"
        )
    import torch

    if not torch.cuda.is_available():
        build = torch.version.cuda
        why = "this torch build has no CUDA support" if build is None else "no CUDA GPU is visible"
        raise DeviceUnavailableError(
            f"{option('device')} {spec} asked for a GPU but {why} (torch {torch.__version__})",
            advice=f"use {option('device')} cpu, or run on a machine with an NVIDIA GPU and driver",
        )
    count = torch.cuda.device_count()
    index = int(match.group(1)) if match.group(1) is not None else torch.cuda.current_device()
    if index >= count:
        raise DeviceUnavailableError(
            f"{option('device')} {spec}: this machine has {count} visible GPU(s) "
            f"(cuda:0..cuda:{count - 1})",
            advice="pick an existing index, or check CUDA_VISIBLE_DEVICES",
        )
    from .cuda import CudaDevice

    return CudaDevice(index)
