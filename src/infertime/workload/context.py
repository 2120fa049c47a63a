"""The one measurement context every code path that calls the model enters.

eval mode, torch.inference_mode, the spec's intra-op threads, the model's device made current,
Python's garbage collector paused, and what the model prints sent to stderr and counted: in
the parent process, in `--isolate` probes and the cold-start child, around CUDA-graph capture
and replay and the kernel-time pass. What it set is read back from inside it and recorded.
"""

from __future__ import annotations

import gc
import io
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, redirect_stdout
from dataclasses import dataclass
from typing import Any

import torch

from ..engine.timing import gc_paused
from ..records import ContextRecord
from .prepare import PreparedModel


@contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Use `threads` intra-op threads, then restore the previous count (None: leave as is)."""
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def read_context(prepared: PreparedModel) -> ContextRecord:
    """The state the model is called in, as torch and Python report it right now."""
    if prepared.device.kind == "cuda":
        current = f"cuda:{torch.cuda.current_device()}"
    else:
        current = prepared.torch_device.type
    return ContextRecord(
        threads=torch.get_num_threads(),
        interop_threads=torch.get_num_interop_threads(),
        grad_enabled=torch.is_grad_enabled(),
        inference_mode=torch.is_inference_mode_enabled(),
        model_training=prepared.module.training,
        current_device=current,
        gc_enabled=gc.isenabled(),
    )


class ModelOutput(io.TextIOBase):
    """Where `print` goes while the model is measured: to stderr, counted. stdout carries
    data (`--json -`), and a model that prints on every call puts the print in every timing."""

    def __init__(self, forward: Any) -> None:
        self.forward = forward
        self.lines = 0

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        return int(self.forward.write(text))

    def flush(self) -> None:
        self.forward.flush()


@dataclass(frozen=True)
class Measuring:
    """Inside the measurement context: what it set, and what the model printed so far."""

    record: ContextRecord
    output: ModelOutput


@contextmanager
def measurement_context(prepared: PreparedModel, *, pause_gc: bool = True) -> Iterator[Measuring]:
    """Enter everything a measurement needs; yield what was set, read from inside.

    The caller's module gets its training flag back afterwards; the thread count and stdout
    are restored.
    """
    output = ModelOutput(sys.stderr)
    with ExitStack() as stack:
        stack.enter_context(prepared.in_eval_mode())
        stack.enter_context(torch_threads(prepared.spec.threads))
        stack.enter_context(torch.inference_mode())
        stack.enter_context(prepared.device.activate())
        stack.enter_context(gc_paused(pause_gc))
        stack.enter_context(redirect_stdout(output))
        yield Measuring(read_context(prepared), output)
