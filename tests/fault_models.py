"""Misbehaving models for the fault matrix, referenced as 'fault_models:NAME' (tests/ is on
sys.path): the review's `mymods`, each factory named after the review's model. Every model is a
Linear(8, 4) on one item of 8 features, so a call takes microseconds unless it sleeps.

Some misbehave only inside a fresh process (`--processes`, the cold start, `--isolate`): a
worker runs as `python -m infertime.execution.worker`, so its sys.argv[0] is worker.py.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable

import torch
from torch import nn

FEATURES = 8


def in_worker() -> bool:
    return sys.argv[0].replace(os.sep, "/").endswith("execution/worker.py")


class Faulty(nn.Module):
    """Linear(8, 4) whose `fault` runs before each call, given the call's number (from 1)."""

    def __init__(self, fault: Callable[[int], None] | None = None, scale: float = 1.0) -> None:
        super().__init__()
        self.head = nn.Linear(FEATURES, 4)
        self.fault = fault
        self.scale = scale
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        if self.fault is not None:
            self.fault(self.calls)
        return self.head(x) * self.scale


def _pair(
    fault: Callable[[int], None] | None = None, scale: float = 1.0
) -> tuple[nn.Module, torch.Tensor]:
    return Faulty(fault, scale), torch.randn(1, FEATURES)


def build() -> tuple[nn.Module, torch.Tensor]:
    return _pair()


def build_b() -> tuple[nn.Module, torch.Tensor]:
    return _pair()


def build_mod() -> nn.Module:
    """A module alone: its inputs come from --input-shape."""
    return Faulty()


def build_none_inputs() -> tuple[nn.Module, None]:
    return Faulty(), None


def build_int() -> int:
    return 3


def build_raises() -> nn.Module:
    raise RuntimeError("factory exploded")


NOT_CALLABLE = 3

_builds = {"count": 0}


def factory_fail_2nd() -> tuple[nn.Module, torch.Tensor]:
    """Builds once per process, refuses the second build (live compare builds copies)."""
    _builds["count"] += 1
    if _builds["count"] % 2 == 0:
        raise RuntimeError("second build refused")
    return _pair()


def factory_prints() -> tuple[nn.Module, torch.Tensor]:
    """A progress line without a newline while building: glued to whatever stdout says next."""
    print("building the model...", end="")
    return _pair()


def factory_prints_nl() -> tuple[nn.Module, torch.Tensor]:
    print("building the model")
    return _pair()


# --- calls that fail -------------------------------------------------------------------------


def _raise_at(n: int, exc: Callable[[], BaseException]) -> Callable[[int], None]:
    def fault(call: int) -> None:
        if call >= n:
            raise exc()

    return fault


def raise5() -> tuple[nn.Module, torch.Tensor]:
    return _pair(_raise_at(5, lambda: RuntimeError("boom on call 5")))


def raise_late() -> tuple[nn.Module, torch.Tensor]:
    return _pair(_raise_at(300, lambda: ValueError("boom on call 300")))


def memerr() -> tuple[nn.Module, torch.Tensor]:
    return _pair(_raise_at(1, MemoryError))


def memerr_late() -> tuple[nn.Module, torch.Tensor]:
    return _pair(_raise_at(200, MemoryError))


def kbint() -> tuple[nn.Module, torch.Tensor]:
    return _pair(_raise_at(5, KeyboardInterrupt))


def sysexit() -> tuple[nn.Module, torch.Tensor]:
    def fault(call: int) -> None:
        if call >= 5:
            sys.exit(3)

    return _pair(fault)


def nan() -> tuple[nn.Module, torch.Tensor]:
    return _pair(scale=float("nan"))


class ShapeErr(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(-1, 3)


def shape_err() -> tuple[nn.Module, torch.Tensor]:
    return ShapeErr(), torch.randn(1, FEATURES)


def prints() -> tuple[nn.Module, torch.Tensor]:
    def fault(call: int) -> None:
        print(f"hello from the model, call {call}")

    return _pair(fault)


# --- time ------------------------------------------------------------------------------------

SLOW_CALL_S = 0.6
slow_calls = {"count": 0}  # every call of every `slow` model in this process


def slow() -> tuple[nn.Module, torch.Tensor]:
    """0.6 s a call: over the 0.5 s that makes `run` announce how long it will take."""

    def fault(call: int) -> None:
        slow_calls["count"] += 1
        time.sleep(SLOW_CALL_S)

    return _pair(fault)


def sleep1ms() -> tuple[nn.Module, torch.Tensor]:
    return _pair(lambda call: time.sleep(0.001))


def sleep2ms() -> tuple[nn.Module, torch.Tensor]:
    return _pair(lambda call: time.sleep(0.002))


def slower_lin() -> tuple[nn.Module, torch.Tensor]:
    """Each call 1 ms longer per 100 calls made: its time keeps growing, whatever the host."""
    return _pair(lambda call: time.sleep(0.001 * (1 + call / 100)))


# --- inside a fresh process only -------------------------------------------------------------


def _in_worker(fault: Callable[[int], None]) -> Callable[[int], None]:
    def maybe(call: int) -> None:
        if in_worker():
            fault(call)

    return maybe


def nan_in_worker() -> tuple[nn.Module, torch.Tensor]:
    return _pair(scale=float("nan") if in_worker() else 1.0)


def memerr_in_worker() -> tuple[nn.Module, torch.Tensor]:
    return _pair(_in_worker(_raise_at(1, MemoryError)))


def raise_in_worker() -> tuple[nn.Module, torch.Tensor]:
    return _pair(_in_worker(_raise_at(1, lambda: RuntimeError("raised in the worker"))))


def exit_in_worker() -> tuple[nn.Module, torch.Tensor]:
    return _pair(_in_worker(lambda call: os._exit(9)))


def segv_in_worker() -> tuple[nn.Module, torch.Tensor]:
    import signal

    return _pair(_in_worker(lambda call: os.kill(os.getpid(), signal.SIGSEGV)))


def hang_in_worker() -> tuple[nn.Module, torch.Tensor]:
    return _pair(_in_worker(lambda call: threading.Event().wait()))


def writes_stdout_in_worker() -> tuple[nn.Module, torch.Tensor]:
    """The factory prints without a newline; every call writes to the real stdout, through
    sys.__stdout__ and through descriptor 1 (a C library would): none of it is an answer."""
    print("building the model...", end="")

    def fault(call: int) -> None:
        if call % 50 == 1:
            sys.__stdout__.write("x")  # type: ignore[union-attr]
            sys.__stdout__.flush()  # type: ignore[union-attr]
            os.write(1, b"junk")

    return _pair(_in_worker(fault))
